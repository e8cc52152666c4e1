"""The numbers the pages quote, each wired to the computation that made it.

Prose never types a measured number. A page either glues a value its own cells computed
(`glue`), or quotes the course's reference run (`reference`, glued on every page by
`glue_reference` in a hidden cell). In the book, ``{glue:text}`name``` shows the value; a name
that is not glued fails the build (warnings are errors), and ``tests/test_numbers.py`` checks
every name a page quotes against what the page glues.

Values are formatted here, once, as text: the page shows exactly the digits it was given.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from typing import Any

from tune_or_prompt.measure.reference_facts import fmt

GLUED: dict[str, str] = {}  # every value glued in this process, by name (for the twins)



def glue(name: str, value: Any, spec: str = "") -> None:
    """Format ``value`` and glue it under ``name`` for ``{glue:text}`name``` in the prose.

    Outside a book build (plain Jupyter, Colab without myst-nb) the value is only kept in
    `GLUED`; nothing is displayed either way (not even as a cell's last line)."""
    text = fmt(value, spec)
    GLUED[name] = text
    try:
        from myst_nb import glue as _glue
    except ImportError:  # Colab and plain Jupyter: no book to paste into
        return
    _glue(name, text, display=False)


def days(value: float) -> str:
    """A number of days as the prose reads it: "never", "less than one", "12"."""
    if math.isinf(value):
        return "never"
    return "less than one" if value < 1 else f"{value:,.0f}"


def glue_all(values: Mapping[str, str]) -> None:
    """Glue values already formatted as text."""
    for name, text in values.items():
        glue(name, text)


@functools.cache
def reference() -> dict[str, str]:
    """Every number the pages quote from the course's reference run, formatted, by name."""
    from tune_or_prompt.measure.reference_facts import facts

    return facts()


def glue_reference() -> None:
    """Glue every reference-run number (the hidden first cell of each page calls this)."""
    glue_all(reference())


# --- Checking pages: every name a page quotes must be glued by the page or the reference run.

_QUOTE = re.compile(r"\{glue(?::text|:md|:any|:)?\}`([^`]+)`")
_GLUE_CALL = re.compile(r"""\bglue\(\s*(f?)["']([A-Za-z0-9_]*)(\{?)""")


def quoted_names(text: str) -> list[str]:
    """The glue names a page's prose quotes (``{glue:text}`name``` and the other glue roles;
    a format spec after the last colon is dropped)."""
    names = []
    for ref in _QUOTE.findall(text):
        name = ref.split("::")[-1]
        names.append(name.rsplit(":", 1)[0] if ":" in name else name)
    return names


_F_PREFIX = re.compile(r"""\bf["']([a-z][a-z0-9]*_[a-z0-9_]*)\{""")


def glued_names(code: str) -> tuple[set[str], set[str]]:
    """Names the code glues: exact names, and prefixes of names built by f-strings
    (``glue(f"l4_{k}", ...)``, or ``name = f"l5_days_{n}"`` in a cell that calls glue)."""
    exact, prefixes = set(), set()
    for is_f, name, brace in _GLUE_CALL.findall(code):
        (prefixes if is_f and brace else exact).add(name)
    for cell in code.split("\n\x00\n"):
        if "glue(" in cell:
            prefixes.update(_F_PREFIX.findall(cell))
    return exact, prefixes


def page_problems(text: str, reference_names: set[str] | None = None) -> list[str]:
    """What is wrong with a MyST notebook page's quoted numbers: names neither the page's code
    nor the reference run glues, or reference names on a page without the numbers cell."""
    reference_names = set(reference()) if reference_names is None else reference_names
    code = "\n\x00\n".join(re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, flags=re.S))
    exact, prefixes = glued_names(code)
    problems = []
    has_reference = "glue_reference()" in code
    for name in dict.fromkeys(quoted_names(text)):
        if name in exact or any(name.startswith(p) for p in prefixes):
            continue
        if name in reference_names:
            if not has_reference:
                problems.append(f"{name}: a reference-run number, but the page never calls "
                                "glue_reference() (run `make sync`)")
            continue
        problems.append(f"{name}: not glued by the page, and not in the reference run")
    return problems
