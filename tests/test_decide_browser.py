"""The decision helper on the built decision guide: the browser shows `recommend`'s answers."""

from __future__ import annotations

import itertools
import random

import pytest

from tune_or_prompt.course import decide as D

pytestmark = pytest.mark.browser


def expected(selection: tuple[int, ...]) -> D.Recommendation:
    return D.recommend(D.situation_for(selection), D.reference_evidence())


def test_decision_guide_helper_matches_python(page, site_url):
    page.goto(f"{site_url}/book/decision-guide.html")
    helper = page.locator("[data-tod-helper]")
    selects = helper.locator("select")
    assert selects.count() == len(D.MENUS)
    for _, title, _ in D.MENUS:  # every menu has its visible label
        assert helper.get_by_label(title).count() == 1, title
    default = expected(D.DEFAULT_SELECTION)
    assert helper.locator(".tod-choice strong").inner_text() == default.choice
    combos = list(itertools.product(*(range(len(m[2])) for m in D.MENUS)))
    for selection in [combos[0], combos[-1], *random.Random(0).sample(combos, 8)]:
        for select, value in zip(selects.all(), selection, strict=True):
            select.select_option(str(value))
        rec = expected(selection)
        assert helper.locator(".tod-choice strong").inner_text() == rec.choice, selection
        reasons = helper.locator(".tod-reasons li").all_inner_texts()
        assert reasons == list(rec.reasons), selection
    assert {expected(c).choice for c in combos} == set(D.CHOICES)  # every answer is reachable
    assert page.errors == [] and page.outside_requests == []


def test_helper_works_with_the_keyboard(page, site_url):
    page.goto(f"{site_url}/book/decision-guide.html")
    first = page.locator("[data-tod-helper] select").first
    first.focus()
    first.press("ArrowUp")
    first.press("ArrowUp")  # from "about 200" to "none yet"
    reasons = page.locator(".tod-reasons li")
    assert reasons.first.inner_text().startswith("Decided by Rule 2 (what can be trained)")
    assert "with no labelled examples" in reasons.nth(1).inner_text()
