"""Every built page, in headless Chromium: fits a phone, passes axe-core, logs no error.

axe-core comes from `make axe` (npm, pinned in the Makefile); nothing is downloaded here.
`.venv/bin/python tools/audit.py` prints the same measurements as totals.
"""

from __future__ import annotations

import os

import pytest
from site_audit import (
    AXE_JS,
    PHONE,
    THEMES,
    run_axe,
    set_theme,
    sideways_overflow,
    site_pages,
)

pytestmark = [pytest.mark.browser, pytest.mark.book]

DESKTOP = {"width": 1280, "height": 900}
# The course's own markup must not bring these back, whatever their impact.
OWN_RULES = {"empty-table-header", "heading-order"}

# Two frames: course-site.js wraps the tables a page builds after loading on the next frame.
FRAMES_JS = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
# Elements whose content is wider than their box; only code blocks and table boxes may scroll.
CUT_OFF_JS = """() => {
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.clientWidth <= 1 || el.scrollWidth <= el.clientWidth + 1) continue;
    if (el.matches('pre, .top-table-scroll')) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    const text = (el.textContent || '').trim().slice(0, 60);
    found.push(`<${el.tagName.toLowerCase()} class="${el.className}"> ${el.clientWidth}px box, `
               + `${el.scrollWidth}px content: ${text}`);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def pages(site) -> list[str]:
    found = site_pages(site)
    assert len(found) >= 25, found
    return found


def test_no_page_scrolls_sideways_or_cuts_anything_off_on_a_phone(page, site_url, pages):
    page.set_viewport_size(PHONE)
    problems = {}
    for name in pages:
        page.goto(f"{site_url}/{name}")
        page.evaluate(FRAMES_JS)
        found = page.evaluate(CUT_OFF_JS)
        if (extra := sideways_overflow(page)) > 0:
            found.insert(0, f"the page scrolls sideways by {extra}px")
        if found:
            problems[name] = found[:5]
    assert not problems, problems


@pytest.mark.parametrize("name", ["quizzes/progress.html", "labs/01-few-shot-prompting.html"])
def test_wide_tables_scroll_in_their_own_box_with_a_visible_cue(page, site_url, name):
    page.set_viewport_size(PHONE)
    page.goto(f"{site_url}/{name}")
    page.evaluate(FRAMES_JS)
    tables = page.locator(".bd-article table")
    assert tables.count() > 0
    for i in range(tables.count()):  # every table sits in its own scroll box
        assert tables.nth(i).evaluate("t => t.parentElement.className").startswith(
            "top-table-scroll")
    wide = page.locator(".top-table-scroll.top-table-wide")
    assert wide.count() > 0, "no table is wider than a phone here any more: pick another page"
    box = wide.first.element_handle()
    hint = box.evaluate_handle("b => b.previousElementSibling").as_element()
    assert hint.is_visible() and "Scroll sideways" in hint.inner_text()
    assert box.get_attribute("tabindex") == "0" and box.get_attribute("aria-label")
    assert "top-more-right" in box.get_attribute("class")
    assert box.evaluate("b => getComputedStyle(b).maskImage") != "none"  # the fade
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    page.wait_for_function("b => !b.classList.contains('top-more-right')", arg=box)
    assert "top-more-left" in box.get_attribute("class")
    if name == "quizzes/progress.html":  # no cue where the table fits
        page.set_viewport_size(DESKTOP)
        page.wait_for_function("b => !b.classList.contains('top-table-wide')", arg=box)
        assert hint.is_hidden() and box.evaluate("b => getComputedStyle(b).maskImage") == "none"


@pytest.mark.parametrize("theme", THEMES)
def test_axe_finds_nothing_critical_or_serious(page, site_url, pages, theme):
    if not AXE_JS.exists():
        message = f"axe-core is not installed ({AXE_JS}); `make axe` installs it."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    page.set_viewport_size(DESKTOP)
    problems = {}
    for name in pages:
        page.goto(f"{site_url}/{name}")
        set_theme(page, theme)
        found = [v for v in run_axe(page)
                 if v["impact"] in ("critical", "serious") or v["id"] in OWN_RULES]
        if found:
            problems[name] = [f"{v['impact']} {v['id']}: {v['targets'][:3]}" for v in found]
    assert not problems, problems


def test_every_page_logs_no_error_and_has_the_favicon(page, site_url, pages):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}")
            if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{page.url}: {r.status} {r.url}")
            if r.status >= 400 else None)
    page.set_viewport_size(DESKTOP)
    for name in pages:
        page.goto(f"{site_url}/{name}")
        icon = page.locator('head link[rel~="icon"]')
        assert icon.count() == 1, name
        href = icon.evaluate("link => link.href")
        response = page.request.get(href)
        assert response.ok and response.headers["content-type"].startswith("image/"), href
    assert page.errors == [] and errors == []
