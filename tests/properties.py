"""How hard the property tests push: Hypothesis profiles chosen by HYPOTHESIS_PROFILE.

`ci` (the default, what `make test` runs) tries as many examples as each property asks for;
`dev` (what `make check` runs after every edit) a tenth of them, at least 10. Properties that
name their own count wrap it in `examples(n)` so that both profiles apply to them.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=10,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """``n`` examples under the `ci` profile; a tenth of them (at least 10) under `dev`."""
    return n if PROFILE == "ci" else min(n, max(10, n // 10))
