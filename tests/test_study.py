"""The study modes from Python: the one scheduler, the drill graded by decide.recommend, and the
live (ipywidgets) views of Review and the drill."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tune_or_prompt.course import decide
from tune_or_prompt.course.quiz import load_bank
from tune_or_prompt.course.quiz.grading import correct_response
from tune_or_prompt.course.study import (
    Drill,
    describe,
    drill,
    drill_order,
    flashcards,
    grade_drill,
    interleave,
    mixed,
    review,
    situations,
    study_progress,
)
from tune_or_prompt.course.study import scheduler as S


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def wrong_for(q):
    from test_quiz_browser import wrong_response

    return wrong_response(q)


def test_leitner_rules():
    day = dt.date(2026, 3, 1)
    card = S.answer(None, True, day)
    assert card == S.Card(2, "2026-03-03")  # a first hit: up from box 1 to box 2, in 2 days
    for box, days in [(3, 4), (4, 8), (5, 16), (5, 16)]:  # up one box per hit, capped
        card = S.answer(card, True, day)
        assert card == S.Card(box, (day + dt.timedelta(days=days)).isoformat())
    assert S.answer(card, False, day) == S.Card(1, "2026-03-02")  # a miss: back to box 1
    assert S.answer(None, False, "2026-12-31") == S.Card(1, "2027-01-01")
    assert S.is_due(None, day) and S.is_due(S.Card(3, "2026-03-01"), day)
    assert not S.is_due(S.Card(3, "2026-03-02"), day)
    assert S.rules() == {"intervals": [1, 2, 4, 8, 16], "missBox": 1, "newBox": 1}


@pytest.mark.parametrize("bad, message", [
    ({"box": 0, "due": "2026-01-01"}, "box must be"), ({"box": 6, "due": "2026-01-01"}, "box"),
    ({"box": True, "due": "2026-01-01"}, "box"), ({"box": 2, "due": "tomorrow"}, "due must"),
    ({"box": 2, "due": "2026-02-30"}, "day is out of range"), ([], "must be an object"),
])
def test_stored_cards_are_checked(bad, message):
    with pytest.raises(ValueError, match=message):
        S.card_from_json(bad)


def test_deck_orders_due_cards_low_boxes_first_then_new():
    deck = S.Deck(["a", "b", "c", "d"], {"a": S.Card(3, "2026-01-01"), "b": S.Card(1, "2026-01-02"),
                                         "c": S.Card(2, "2026-02-01")})
    assert deck.due("2026-01-05") == ["b", "a", "d"]
    assert deck.boxes() == [1, 1, 1, 0, 0]
    assert deck.next_due() == "2026-01-01"


def test_review_widget_schedules_each_answer(bank):
    r = review(today="2026-04-01", bank=bank)
    ui = r.widget()
    total = len(bank.questions)
    assert len(r.due()) == total  # in a kernel every question starts due
    first = ui.current.question
    card = ui.answer(wrong_for(first))
    assert card == S.Card(1, "2026-04-02")
    assert "comes back on 2026-04-02" in ui.status.value
    ui.show_next()
    second = ui.current.question
    assert second.id != first.id
    assert ui.answer(correct_response(second)) == S.Card(2, "2026-04-03")
    assert len(r.due()) == total - 2
    r.today = dt.date(2026, 4, 3)  # two days on both are back
    assert {first.id, second.id} <= set(r.due())
    ui.show_next()
    assert ui.answer(correct_response(ui.current.question)).box in (1, 2)
    # Answer everything right for a month: nothing is left due, and the next review is named.
    r.deck.cards = {i: S.Card(5, "2026-05-01") for i in r.deck.ids}
    ui.show_next()
    assert ui.current is None and "Next review: 2026-05-01" in ui.status.value


def test_drill_is_graded_by_recommend_and_reproducible():
    assert drill_order(7) == drill_order(7) != drill_order(8)
    assert sorted(drill_order(7)) == list(range(len(situations())))
    d = Drill(seed=7)
    ui = d.widget()
    seen = set()
    for _ in range(25):
        selection = d.situation()
        expected = decide.recommend(decide.situation_for(selection))
        wrong = next(c for c in decide.CHOICES if c != expected.choice)
        assert not grade_drill(selection, wrong).correct
        choice = expected.choice if len(seen) % 2 else wrong
        result = ui.choose(choice)
        assert result.correct == (choice == expected.choice)
        assert result.recommendation.reasons == expected.reasons
        assert expected.reasons[0][:40] in ui.feedback.value.replace("&#x27;", "'")
        for label, _ in describe(selection):
            assert label in ui.situation.value
        seen.add(selection)
        ui.next()
    assert len(seen) == 25 and ui.answered == 25
    assert [b.description for b in ui.buttons] == list(decide.CHOICES)  # a button for all six
    with pytest.raises(ValueError, match="choose one of"):
        grade_drill(d.situation(), "retrain weekly")


def test_the_drill_sets_situations_for_all_six_choices_and_grades_each_pick():
    assert len(decide.CHOICES) == 6
    found: dict[str, tuple[int, ...]] = {}
    for seed in range(3):  # the first situations of a few drills cover every answer
        d = Drill(seed=seed)
        for position in range(150):
            selection = d.situation(position)
            found.setdefault(decide.recommend(decide.situation_for(selection)).choice, selection)
    assert set(found) == set(decide.CHOICES)
    for answer, selection in found.items():
        for pick in decide.CHOICES:  # each pick is graded against recommend
            result = grade_drill(selection, pick)
            assert result.correct == (pick == answer)
            assert result.recommendation.choice == answer
    cfg = drill(seed=0).config()
    assert cfg["choices"] == list(decide.CHOICES)  # the static drill offers the same six


def test_drill_payload_is_recommends_table():
    cfg = drill(seed=1).config()
    assert len(cfg["situations"]) == len(cfg["order"]) == len(situations())
    for key in cfg["situations"][::97]:
        selection = tuple(map(int, key.split("-")))
        rec = decide.recommend(decide.situation_for(selection))
        choice, headline, reasons = cfg["results"][key]
        assert cfg["choices"][choice] == rec.choice
        assert [cfg["texts"][r] for r in reasons] == list(rec.reasons)


def test_study_payloads_share_the_bank_and_rules(bank):
    cfg = study_progress(bank).config()
    assert cfg["rules"] == S.rules()
    assert [q["id"] for q in cfg["questions"]] == [q.id for q in bank.questions]
    assert all(key.startswith("top-quiz:v1:") for key in cfg["quizKeys"].values())
    html = review(bank=bank).to_html()
    assert "window.TOPQuiz" in html and "window.TOPStudy" in html and "</script><script>" in html


def test_mixed_practice_interleaves_every_lesson_and_difficulty(bank):
    order = interleave(bank, seed=5)
    lessons = [bank_q.lesson for bank_q in (next(q for q in bank.questions if q.id == i)
                                            for i in order)]
    assert all(a != b for a, b in zip(lessons, lessons[1:], strict=False))  # no lesson twice running
    n = len(bank.questions)
    for start in range(0, len(order), n):  # every question once per round
        assert sorted(order[start:start + n]) == sorted(q.id for q in bank.questions)
    assert interleave(bank, seed=5) == order != interleave(bank, seed=6)
    # Difficulties come mixed because the draw ignores them (nothing guarantees all three in a
    # given ten): over many seeds, the first ten questions usually hold all three.
    difficulty = {q.id: q.difficulty for q in bank.questions}
    spans = [len({difficulty[i] for i in interleave(bank, seed=s)[:10]}) for s in range(40)]
    assert min(spans) >= 2 and sum(n == 3 for n in spans) >= 30


def test_mixed_practice_widget_counts_first_tries(bank):
    m = mixed(seed=3, bank=bank)
    ui = m.widget()
    q = m.question()
    assert "Question 1</strong>" in ui.current.box.children[0].value
    ui.answer(correct_response(q))
    assert ui.answer(wrong_for(q)).correct  # a second try is not counted (the first one stands)
    assert (ui.correct, ui.answered) == (1, 1)
    ui.next()
    q2 = m.question()
    assert q2.lesson != q.lesson
    ui.answer(wrong_for(q2))
    assert (ui.correct, ui.answered) == (1, 2) and "1 right of 2" in ui.score.value


def test_flashcards_cover_every_glossary_term_both_ways():
    from tune_or_prompt.course.study.flashcards import BLANK, cards, load_glossary

    entries = load_glossary()
    text = Path(__file__).parents[1] / "book/glossary.md"
    inside = text.read_text().split("```{glossary}", 1)[1].split("\n```", 1)[0]
    heads = [line.strip() for line in inside.splitlines() if line.strip() and not line[0].isspace()]
    assert [t for e in entries for t in e.terms] == heads  # every term, in order
    deck = cards(entries)
    assert len(deck) == 2 * len(entries) and len({c["id"] for c in deck}) == len(deck)
    calibration = next(c for c in deck if c["id"] == "Calibration:definition")
    assert "ontextual calibration" not in calibration["front"] and BLANK in calibration["front"]
    assert all("{term}" not in c["front"] + c["back"] and "{cite}" not in c["back"] for c in deck)
    # both directions mixed from the start (not 60 term cards first), the two cards of a term
    # never next to each other, and the order fixed by the seed
    first = [c["direction"] for c in deck[:20]]
    assert 5 <= first.count("term") <= 15
    keys = [c["id"].rsplit(":", 1)[0] for c in deck]
    assert all(a != b for a, b in zip(keys, keys[1:], strict=False))
    assert [c["id"] for c in cards(entries)] == [c["id"] for c in deck]
    assert [c["id"] for c in cards(entries, seed=1)] != [c["id"] for c in deck]


@pytest.mark.parametrize("source, message", [
    ("```{glossary}\nTerm\n\nOther\n  Defined.\n```\n", "line 3: term 'Term': definition is empty"),
    ("```{glossary}\n  Orphan definition.\n```\n", "line 3: definition: it comes before any term"),
    ("```{glossary}\nA\n  One.\nA\n  Two.\n```\n", "line 5: term 'A': defined twice"),
    ("```{glossary}\nA\n  One.\n", "never closed"),
])
def test_a_broken_glossary_is_refused_naming_file_line_and_field(tmp_path, source, message):
    from tune_or_prompt.course.study.flashcards import GlossaryError, load_glossary

    path = tmp_path / "glossary.md"
    path.write_text("# Glossary\n" + source)
    with pytest.raises(GlossaryError) as error:
        load_glossary(path)
    assert str(path) in str(error.value)
    assert message.replace("line ", "") in str(error.value).replace(f"{path}:", "")


def test_flashcards_widget_rates_and_schedules():
    f = flashcards(today="2026-06-01")
    ui = f.widget()
    first = ui.current
    assert f.by_id[first]["ask"] in ui.front.value and ui.back.value == ""
    ui.show_answer()
    assert ui.back.value
    assert ui.rate(True) == S.Card(2, "2026-06-03")  # knew it: box 2, in two days
    second = ui.current
    assert second != first
    ui.show_answer()
    assert ui.rate(False) == S.Card(1, "2026-06-02")  # not yet: box 1, tomorrow
    assert first not in f.due() and second not in f.due()
    f.today = dt.date(2026, 6, 2)
    assert f.due()[:1] == [second]  # back before the cards never seen; the first waits a day more
    f.today = dt.date(2026, 6, 3)
    assert f.due()[:2] == [second, first]  # lowest box first
    ui.show_next()
    ui.show_answer()
    assert ui.rate(True) == S.Card(2, "2026-06-05")


def test_the_cheat_sheet_quotes_the_rules_thresholds():
    """Its thresholds are typed as rules, not measurements: they must match decide's."""
    import re

    path = Path(__file__).parents[1] / "study/cheat-sheet.md"
    text = " ".join(path.read_text().split())

    costing = decide.Costing()
    assert f"gives p < {decide.LEVEL}" in text
    assert f"a budget under {decide.TIGHT_BUDGET_MS:,.0f} ms" in text
    assert f"({costing.horizon_months:g} months unless you say otherwise)" in text
    assert (f"under {costing.materiality_share:.0%} of the total or "
            f"${costing.materiality_floor_usd:,.0f} is a tie") in text
    assert "a tie goes to the simpler option: a prompt, then **embeddings + classifier**" in text
    assert len(re.findall(r"^\d\. \*\*", path.read_text(), re.M)) == len(decide.RULES)
    assert all(f"**{choice}**" in text.lower() for choice in decide.CHOICES[2:])  # six rules
    assert len(re.findall(r"\{glue:text\}`tickets_", text)) >= 18  # measured numbers are glued


def test_knew_it_and_not_yet_differ_from_the_first_rating():
    """The flashcards page promises: I knew it moves a card up a box, Not yet brings it back
    tomorrow. A new card's two first ratings must therefore land in different boxes and days."""
    day = "2026-06-01"
    knew, not_yet = S.answer(None, True, day), S.answer(None, False, day)
    assert knew.box > not_yet.box and knew.due > not_yet.due
    assert not_yet == S.Card(1, "2026-06-02")


def test_flashcards_offer_at_most_the_daily_cap_of_new_cards():
    f = flashcards(today="2026-06-01")
    assert len(f.cards) > S.NEW_PER_DAY and len(f.due()) == S.NEW_PER_DAY
    offered = f.due()
    for card_id in offered[:4]:
        f.rate(card_id, True)
    assert f.due() == offered[4:]  # rated cards leave; no new card joins the same day
    f.rate(offered[4], False)
    f.today = dt.date(2026, 6, 2)
    due = f.due()
    assert due[0] == offered[4]  # the missed card first, then a fresh day's new cards
    assert sum(1 for i in due if i not in f.deck.cards) == S.NEW_PER_DAY


def test_flashcards_stays_the_function_after_its_submodule_is_imported():
    """A notebook that reruns `from tune_or_prompt.course.study import flashcards` after the cards were
    loaded must still get the function (the submodule of the same name must not replace it)."""
    import importlib

    importlib.import_module("tune_or_prompt.course.study.flashcards")
    from tune_or_prompt.course.study import flashcards as again

    assert callable(again) and again(today="2026-06-01").cards
