"""The site's navigation in Chromium: on a phone (390 px) the visible ☰ opens the primary sidebar,
a link inside it works, and the sidebar closes again; on a desktop the same button collapses and
restores the sidebar. Both themes bind the first, hidden .primary-toggle (pydata-sphinx-theme
#2451, sphinx-book-theme #988); site_assets/course-site.js hands a tap on the visible one to it."""

from __future__ import annotations

import contextlib

import pytest
from conftest import BROWSER_ARGS, CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.book]
PAGE = "study/flashcards.html"  # any page below the root, with the sidebar's links relative


@contextlib.contextmanager
def device(browser_context, width, height, touch):
    browser = browser_context.top_playwright.chromium.launch(executable_path=CHROMIUM,
                                                             headless=True, args=BROWSER_ARGS)
    try:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      has_touch=touch, is_mobile=touch)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        yield page
    finally:
        browser.close()


def visible_toggle(page):
    toggles = page.locator(".primary-toggle")
    shown = [toggles.nth(i) for i in range(toggles.count()) if toggles.nth(i).is_visible()]
    assert len(shown) == 1, f"{len(shown)} visible ☰ buttons of {toggles.count()}"
    return shown[0]


def is_open(page) -> bool:
    return page.evaluate("document.getElementById('pst-primary-sidebar-modal').open")


def test_phone_sidebar_opens_from_the_visible_button_and_its_links_work(browser_context, site_url):
    with device(browser_context, 390, 844, touch=True) as page:
        page.goto(f"{site_url}/{PAGE}")
        page.wait_for_load_state("load")
        assert not page.locator("#pst-primary-sidebar").is_visible()  # folded away on a phone
        visible_toggle(page).tap()
        page.wait_for_function("document.getElementById('pst-primary-sidebar-modal').open")
        dialog = page.locator("#pst-primary-sidebar-modal")
        links = dialog.locator("nav a.reference.internal")
        target = next(links.nth(i) for i in range(links.count())
                      if links.nth(i).is_visible() and "glossary" in (links.nth(i).get_attribute(
                          "href") or ""))
        box = target.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390  # on screen, tappable
        target.tap()
        page.wait_for_url("**/book/glossary.html*")
        assert page.locator("h1").first.inner_text().startswith("Glossary")
        # on the new page it opens again, and Escape closes it
        visible_toggle(page).tap()
        page.wait_for_function("document.getElementById('pst-primary-sidebar-modal').open")
        page.keyboard.press("Escape")
        page.wait_for_function("!document.getElementById('pst-primary-sidebar-modal').open")
        # and a tap beside the panel (on the backdrop) closes it too
        visible_toggle(page).tap()
        page.wait_for_function("document.getElementById('pst-primary-sidebar-modal').open")
        panel = dialog.bounding_box()
        assert panel and panel["width"] < 390
        page.touchscreen.tap(389, 420)
        page.wait_for_function("!document.getElementById('pst-primary-sidebar-modal').open")
        assert not is_open(page)
        assert page.errors == []


def test_desktop_sidebar_collapses_and_comes_back(browser_context, site_url):
    with device(browser_context, 1280, 900, touch=False) as page:
        page.goto(f"{site_url}/{PAGE}")
        page.wait_for_load_state("load")
        sidebar = page.locator("#pst-primary-sidebar")
        assert sidebar.is_visible()
        article_left = page.locator("article").bounding_box()["x"]
        visible_toggle(page).click()
        page.wait_for_function("getComputedStyle(document.getElementById('pst-primary-sidebar'))"
                               ".visibility === 'hidden'")
        assert not is_open(page)  # collapsed, not opened as a dialog
        page.wait_for_function(f"document.querySelector('article').getBoundingClientRect().x "
                               f"< {article_left}")  # the page takes the room
        visible_toggle(page).click()
        page.wait_for_function("getComputedStyle(document.getElementById('pst-primary-sidebar'))"
                               ".visibility === 'visible'")
        assert sidebar.is_visible()
        assert page.errors == []
