"""Flashcards as the page promises, in Chromium on the built site: the first rating already
counts (I knew it: box 2 in two days; Not yet: box 1, tomorrow), both directions come mixed in the
seeded order Python made, and at most scheduler.NEW_PER_DAY new cards are offered a day."""

from __future__ import annotations

import datetime as dt

import pytest

from tune_or_prompt.course.study import scheduler as S
from tune_or_prompt.course.study.flashcards import cards

pytestmark = [pytest.mark.browser, pytest.mark.book]


def at(day: str) -> str:
    ms = int(dt.datetime.fromisoformat(day + "T12:00:00").timestamp() * 1000)
    return f"Date.now = () => {ms};"


def rate(fc, knew: bool) -> str:
    fc.get_by_role("button", name="Show answer").click()
    fc.get_by_role("button", name="I knew it" if knew else "Not yet").click()
    return fc.get_attribute("data-last")


def test_first_ratings_differ_directions_mix_and_new_cards_are_capped(browser_context, site_url):
    deck = cards()
    page = browser_context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(at("2026-09-01"))
    try:
        page.goto(f"{site_url}/study/flashcards.html")
        fc = page.locator("[data-top-study]")
        assert fc.get_attribute("data-due") == str(S.NEW_PER_DAY)
        shown, lasts = [], []
        for n in range(S.NEW_PER_DAY):
            shown.append(fc.locator(".ts-card").get_attribute("data-card"))
            lasts.append(rate(fc, knew=n % 2 == 0))
        assert shown == [c["id"] for c in deck[:S.NEW_PER_DAY]]  # Python's seeded order
        assert {i.rsplit(":", 1)[1] for i in shown} == {"term", "definition"}
        knew, not_yet = lasts[0].split(), lasts[1].split()
        assert knew[1:] == ["2", "2026-09-03"] and not_yet[1:] == ["1", "2026-09-02"]
        assert fc.get_attribute("data-due") == "0"  # the day's new cards are done
        status = fc.locator(".ts-status").inner_text()
        assert f"You met {S.NEW_PER_DAY} new cards today" in status
        page.goto(f"{site_url}/study/flashcards.html?today=2026-09-02")
        fc = page.locator("[data-top-study]")
        # the five "not yet" cards come back first, then a new day's new cards
        assert fc.get_attribute("data-due") == str(S.NEW_PER_DAY // 2 + S.NEW_PER_DAY)
        assert fc.locator(".ts-card").get_attribute("data-card") == shown[1]
        assert errors == []
    finally:
        page.evaluate("window.localStorage.clear()")
        page.close()
