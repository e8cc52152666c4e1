"""The course's few settings, each read in one place.

`TUNE_OR_PROMPT_MODELS` is the one switch between the embedded offline models (the default) and
models from the Hugging Face Hub (opt-in, needs internet). Nothing in the course tries the
network unless it is set to ``hub``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

Source = Literal["embedded", "hub"]

MODELS_ENV = "TUNE_OR_PROMPT_MODELS"
CACHE_ENV = "TUNE_OR_PROMPT_CACHE"


def model_source(source: str | None = None) -> Source:
    """Return ``"embedded"`` or ``"hub"``: the argument if given, else the environment setting."""
    value = (source or os.environ.get(MODELS_ENV) or "embedded").strip().lower()
    if value in ("embedded", "offline", "local"):
        return "embedded"
    if value in ("hub", "online"):
        return "hub"
    raise ValueError(
        f"Unknown model source {value!r} (from {MODELS_ENV} or the `source` argument): "
        "use 'embedded' (offline, the default) or 'hub' (downloads from the Hugging Face Hub)."
    )


def cache_dir() -> Path:
    """Where the course keeps converted model copies (git-ignored, outside the repo by default)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tune_or_prompt"
