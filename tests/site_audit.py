"""Audit helpers for the built site: its pages, axe-core, sideways scrolling on a phone.

Used by tests/test_accessibility.py and by tools/audit.py (which prints the totals).
"""

from __future__ import annotations

import collections
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# `make axe` installs the pinned axe-core here (npm, gitignored); nothing is downloaded at test time.
AXE_JS = ROOT / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
THEMES = ("light", "dark")
IMPACTS = ("critical", "serious", "moderate", "minor")


def site_pages(html: Path) -> list[str]:
    """Every page of the built site (paths relative to `html`), less the redirect index.html
    and the pages left at moved pages' old addresses (`course.MOVED`), which only forward."""
    from tune_or_prompt.course.pages import MOVED

    return sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")
                  if p.relative_to(html).parts[0] not in ("_static", "_sources", "_images")
                  and p != html / "index.html"
                  and p.relative_to(html).with_suffix("").as_posix() not in MOVED)


def set_theme(page, theme: str) -> None:
    """Switch the pydata theme's colour mode the way its own button does, and let styles settle."""
    page.evaluate("""async theme => {
        document.documentElement.dataset.theme = theme;
        document.documentElement.dataset.mode = theme;
        await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
        await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
    }""", theme)


def run_axe(page) -> list[dict]:
    """Run axe-core (WCAG 2.x A/AA and best practices) on the page; return its violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.map(n => n.target.join(' '))}));
    }""")


def sideways_overflow(page) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it fits the viewport)."""
    return page.evaluate("""() => {
        const root = document.documentElement;
        return Math.max(root.scrollWidth, document.body.scrollWidth) - root.clientWidth;
    }""")


def totals(found: dict[tuple[str, str], list[dict]]) -> dict[str, int]:
    """Violating elements per impact over all (page, theme) runs."""
    count = collections.Counter({impact: 0 for impact in IMPACTS})
    for violations in found.values():
        for v in violations:
            count[v["impact"]] += len(v["targets"])
    return dict(count)
