"""Figures readable on a phone (issue #28, item 8), measured in Chromium on the built site at
390 px: every plot's smallest text renders at 11 CSS px or more.

Rendered size of a text = its size in points (the smallest any figure code of the course asks for,
read from that code and matplotlib's defaults) x the image's dpi (from the PNG) / 72 x the scale
the page shows the image at (its on-screen width over its natural width), measured per figure."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest

import tune_or_prompt

pytestmark = [pytest.mark.browser, pytest.mark.book]
MIN_CSS_PX = 11
PACKAGE = Path(tune_or_prompt.__file__).parent
FIGURE = re.compile(r'<div class="cell_output[^"]*">\s*<img ')


def smallest_font_pt() -> float:
    """The smallest text size, in points, that the course's figure code asks for: every
    ``fontsize=``/``labelsize=`` in the package, and matplotlib's defaults where none is given."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    def points(size) -> float:
        return FontProperties(size=size).get_size_in_points()

    with mpl.rc_context(mpl.rcParamsDefault):
        sizes = [points(mpl.rcParams[key]) for key in (
            "font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize",
            "axes.labelsize", "axes.titlesize", "figure.titlesize")]
        for path in PACKAGE.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.keyword) and node.arg in ("fontsize", "labelsize") and \
                        isinstance(node.value, ast.Constant):
                    sizes.append(points(node.value.value))
    return min(sizes)


def png_dpi(data: bytes) -> float:
    from PIL import Image

    return float(Image.open(io.BytesIO(data)).info.get("dpi", (72, 72))[0])


def figure_pages(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site).with_suffix("")) for p in site.rglob("*.html")
                  if FIGURE.search(p.read_text(encoding="utf-8")))


def test_the_font_sizes_are_read_from_the_code():
    """The measure's premise: the figure code asks for sizes (8 pt in plots.py) and none is 0."""
    assert 0 < smallest_font_pt() <= 8


def test_figure_text_is_at_least_11_css_px_on_a_phone(browser_context, site, site_url):
    pages = figure_pages(site)
    assert len(pages) >= 5  # the lessons' and labs' plots
    smallest = smallest_font_pt()
    page = browser_context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    too_small, sideways, no_cue = [], [], []
    try:
        for name in pages:
            page.goto(f"{site_url}/{name}.html", wait_until="load")
            figures = page.locator(".bd-article .cell_output img")
            assert figures.count() > 0, name
            for i in range(figures.count()):
                img = figures.nth(i)
                img.scroll_into_view_if_needed()
                shown = img.evaluate("i => ({natural: i.naturalWidth, width: i.getBoundingClientRect().width,"
                                     " src: i.getAttribute('src')})")
                dpi = png_dpi((site / name).parent.joinpath(shown["src"]).resolve().read_bytes())
                px = smallest * dpi / 72 * shown["width"] / shown["natural"]
                if px < MIN_CSS_PX - 0.05:
                    too_small.append(f"{name} figure {i + 1}: {px:.1f} px")
                # wider than the screen: its box scrolls, says so above it, and takes the keys
                cue = img.evaluate("i => { const box = i.parentElement, hint = box.previousElementSibling;"
                                   " return {wide: box.scrollWidth > box.clientWidth + 1,"
                                   " focusable: box.tabIndex === 0,"
                                   " hint: !!hint && !hint.hidden && hint.textContent}; }")
                if cue["wide"] and not (cue["focusable"] and "whole figure" in (cue["hint"] or "")):
                    no_cue.append(f"{name} figure {i + 1}: {cue}")
            width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if width > 0:
                sideways.append(f"{name}: the page scrolls {width} px sideways")
    finally:
        page.close()
    assert too_small == []
    assert sideways == []  # a wide figure scrolls in its own box, never the page
    assert no_cue == []
