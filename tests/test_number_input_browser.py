"""Numbers as people type them, in Chromium: quiz.js's parseNumber runs the shared table of cases
(quiz/number_cases.json) that grading.parse_number passes, and a learner typing "500,000" on the
built Quiz 5 page is told it is right."""

from __future__ import annotations

import pytest
from conftest import serve
from test_number_input import number_cases, same
from test_quiz_browser import check, quiz_url

from tune_or_prompt.course.quiz import Quiz, load_bank
from tune_or_prompt.course.quiz.grading import NUMBER_HELP, parse_number, two_readings

pytestmark = pytest.mark.browser


def test_js_reads_the_shared_table_like_python(page, tmp_path):
    bank = load_bank()
    quiz = Quiz([q for q in bank.questions if q.type == "numeric"][:1], "choosing", "x")
    (tmp_path / "page.html").write_text(f"<!doctype html><html><body>{quiz.to_html()}</body></html>")
    cases = number_cases()
    with serve(tmp_path) as url:
        page.goto(f"{url}/page.html")
        got = page.evaluate("texts => texts.map(t => TOPQuiz.parseNumber(t))",
                            [c["text"] for c in cases])
        assert page.evaluate("TOPQuiz.numberHelp") == NUMBER_HELP
    wrong = [(c["text"], g, c["value"]) for c, g in zip(cases, got, strict=True)
             if not same(g, c["value"])]
    assert wrong == []
    assert all(same(parse_number(c["text"]), g) for c, g in zip(cases, got, strict=True))


@pytest.mark.book
def test_500_000_typed_on_the_site_is_right(page, site_url):
    q = next(q for q in load_bank().questions if q.id == "choosing/break-even")
    page.goto(quiz_url(site_url, q))
    question = page.locator(f'[data-qid="{q.id}"]')
    box = question.locator("input")
    assert box.get_attribute("placeholder")  # says what it takes before anything is typed
    help_id = box.get_attribute("aria-describedby").split()[-1]
    assert page.locator(f"#{help_id}").inner_text() == NUMBER_HELP
    for typed in ("500,000", "500 000", "500k"):
        box.fill(typed)
        feedback = check(question)
        assert feedback.startswith("\u2714") or "Correct." in feedback, (typed, feedback)
        assert "thousands" not in feedback
        question.get_by_role("button", name="Try again").click()
    box.fill("500,00,0")
    assert NUMBER_HELP in check(question)


def test_js_refuses_a_number_that_reads_two_ways_with_python_s_message(page, tmp_path):
    bank = load_bank()
    quiz = Quiz([q for q in bank.questions if q.type == "numeric"][:1], "choosing", "x")
    (tmp_path / "page.html").write_text(f"<!doctype html><html><body>{quiz.to_html()}</body></html>")
    texts = [c["text"] for c in number_cases()]
    with serve(tmp_path) as url:
        page.goto(f"{url}/page.html")
        got = page.evaluate("texts => texts.map(t => TOPQuiz.twoReadings(t))", texts)
    assert "500.000" in texts
    assert got == [two_readings(t) for t in texts]


@pytest.mark.book
def test_500_point_000_typed_on_the_site_names_both_readings(page, site_url):
    q = next(q for q in load_bank().questions if q.id == "choosing/break-even")
    page.goto(quiz_url(site_url, q))
    question = page.locator(f'[data-qid="{q.id}"]')
    question.locator("input").fill("500.000")
    feedback = check(question)
    assert feedback == two_readings("500.000"), feedback  # not graded: neither right nor wrong
    assert page.locator("[data-top-quiz]").get_attribute("data-score") == "0"
    question.locator("input").fill("500000")
    assert "Correct." in check(question)
