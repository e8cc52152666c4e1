"""A Sphinx extension: number exercises per page (Exercise 1, 2, ... on every page).

sphinx-exercise numbers exercises with Sphinx's figure numbers, and without a numbered table of
contents Sphinx counts those across the whole book, so Lesson 2 would start at "Exercise 4".
After Sphinx assigns the numbers, this renumbers each page's exercises from 1 in their order on
the page; titles, "Solution to Exercise N" and references all read these numbers.
"""

from __future__ import annotations

from typing import Any

FIGTYPE = "exercise"


def per_page(numbers: dict[str, dict[str, dict[str, tuple[int, ...]]]]) -> bool:
    """Renumber each document's exercises 1, 2, ... in their book order (in place); True when
    anything changed."""
    changed = False
    for types in numbers.values():
        found = types.get(FIGTYPE)
        if not found:
            continue
        ordered = sorted(found, key=lambda key: found[key])
        renumbered = {key: (index,) for index, key in enumerate(ordered, 1)}
        changed |= renumbered != found
        types[FIGTYPE] = renumbered
    return changed


def _renumber(app: Any, env: Any) -> list[str]:
    per_page(env.toc_fignumbers)
    return []


def setup(app: Any) -> dict[str, Any]:
    # After Sphinx's own TocTreeCollector (priority 500) has assigned the figure numbers.
    app.connect("env-get-updated", _renumber, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
