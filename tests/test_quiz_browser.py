"""The quizzes on the built site, driven in headless Chromium as a learner would."""

from __future__ import annotations

import json
import urllib.request

import pytest
from quiz_samples import sample, write_bank

from tune_or_prompt.course.pages import BY_SLUG
from tune_or_prompt.course.quiz import Quiz, load_bank, test_yourself
from tune_or_prompt.course.quiz.grading import (
    correct_response,
    grade,
    revisit_order,
    shuffled_order,
)
from tune_or_prompt.course.quiz.payload import question_payload

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def wrong_response(q):
    if q.type == "single":
        return next(i for i, o in enumerate(q.options) if not o.correct)
    if q.type == "multiple":
        wrong = [i for i, o in enumerate(q.options) if not o.correct]
        return wrong[:1] or [next(i for i, o in enumerate(q.options) if o.correct)][:0]
    if q.type == "numeric":
        return q.near_misses[0].value if q.near_misses else q.answer + 10 * q.tolerance + 1
    return list(shuffled_order(q))


def answer(question, q, response):
    """Fill in a question's inputs on the page."""
    if q.type == "single":
        question.locator("input").nth(response).check()
    elif q.type == "multiple":
        boxes = question.locator("input")
        for i in range(boxes.count()):
            boxes.nth(i).set_checked(i in response)
    elif q.type == "numeric":
        question.locator("input").fill(str(response))
    else:
        for position, item in enumerate(response):
            current = int(question.locator(f'li[data-item="{item}"]').evaluate(
                "li => Array.from(li.parentNode.children).indexOf(li)"))
            for _ in range(current - position):
                question.locator(f'li[data-item="{item}"] button', has_text="Up").click()


def check(question):
    question.get_by_role("button", name="Check").click()
    return question.locator(".tq-feedback").inner_text()


def quiz_url(site_url, q):
    return f"{site_url}/{BY_SLUG[q.lesson].quiz_page}.html"


@pytest.mark.parametrize("qtype", ["single", "multiple", "numeric", "ordering"])
def test_each_type_wrong_right_hint_solution_score(page, site_url, bank, qtype):
    q = next(q for q in bank.questions if q.type == qtype)
    page.goto(quiz_url(site_url, q))
    question = page.locator(f'[data-qid="{q.id}"]')
    score = page.locator(".tq-score").first
    assert score.inner_text().startswith("Score: 0 of")

    wrong = wrong_response(q)
    assert not grade(q, wrong).correct
    answer(question, q, wrong)
    text = check(question)
    assert "Not quite." in text
    if qtype == "single":
        visible = question.locator(".tq-opt-feedback:not([hidden])").inner_text()
        assert "Wrong choice" in visible
    elif qtype == "numeric" and q.near_misses:
        assert question.locator(".tq-feedback").inner_html().count("<") >= 1
    assert score.inner_text().startswith("Score: 0 of")

    hint = question.locator(".tq-hint")
    assert hint.is_hidden()
    question.get_by_role("button", name="Hint").click()
    assert hint.is_visible() and "Hint:" in hint.inner_text()
    solution = question.locator(".tq-solution")
    question.get_by_role("button", name="Show solution").click()
    assert solution.is_visible() and "Quick check:" in solution.inner_text()
    assert question.locator(".tq-steps li").count() == len(q.solution.steps)

    answer(question, q, correct_response(q))
    assert "Correct." in check(question)
    assert score.inner_text().startswith("Score: 1 of")
    assert page.errors == [] and page.outside_requests == []


def test_progress_survives_reload_and_shows_on_progress_page(page, site_url, bank):
    questions = bank.by_lesson("measuring")
    first, second = questions[0], questions[1]
    page.goto(quiz_url(site_url, first))
    answer(page.locator(f'[data-qid="{first.id}"]'), first, correct_response(first))
    check(page.locator(f'[data-qid="{first.id}"]'))
    answer(page.locator(f'[data-qid="{second.id}"]'), second, wrong_response(second))
    check(page.locator(f'[data-qid="{second.id}"]'))
    page.reload()
    again = page.locator(f'[data-qid="{first.id}"]')
    assert "Correct." in again.locator(".tq-feedback").inner_text()
    assert "Not quite." in page.locator(f'[data-qid="{second.id}"] .tq-feedback').inner_text()
    assert page.locator(".tq-score").first.inner_text().startswith(
        f"Score: 1 of {len(questions)} correct (2 answered)")

    page.goto(f"{site_url}/quizzes/progress.html")
    row = page.locator('tr[data-quiz="measuring"]')
    assert row.locator("td").all_inner_texts()[:3] == ["2", "1", str(len(questions))]

    page.goto(quiz_url(site_url, first))
    page.once("dialog", lambda dialog: dialog.accept())  # Reset asks first
    page.get_by_role("button", name="Reset quiz").click()
    assert page.locator(".tq-score").first.inner_text().startswith("Score: 0 of")
    page.reload()
    assert page.locator(".tq-score").first.inner_text().startswith("Score: 0 of")


def test_test_yourself_reaches_its_summary(page, site_url):
    drawn = test_yourself(n=10, seed=2026).questions  # the same draw as the page
    page.goto(f"{site_url}/quizzes/test-yourself.html")
    for index, q in enumerate(drawn):
        question = page.locator(f'[data-qid="{q.id}"]')
        assert f"Question {index + 1} of 10" in question.locator(".tq-title").inner_text()
        answer(question, q, wrong_response(q) if index == 0 else correct_response(q))
        check(question)
        assert question.get_by_role("button", name="Check").is_disabled()  # first try counts
        page.locator(".tq-next").click()
    summary = page.locator(".tq-summary")
    assert "Your result: 9 of 10" in summary.inner_text()
    row = summary.locator(f'tr[data-difficulty="{drawn[0].difficulty}"]')
    total = sum(q.difficulty == drawn[0].difficulty for q in drawn)
    assert row.locator("td").all_inner_texts() == [str(total - 1), str(total)]
    link = summary.locator(".tq-revisit a").first
    assert BY_SLUG[drawn[0].lesson].title in link.inner_text()
    with urllib.request.urlopen(link.evaluate("a => a.href")) as response:  # not a dead link
        assert response.status == 200
    assert page.errors == []


def test_keyboard_only(page, site_url, bank):
    q = next(q for q in bank.by_lesson("two-ways") if q.type == "single")
    right = correct_response(q)
    page.goto(quiz_url(site_url, q))
    question = page.locator(f'[data-qid="{q.id}"]')
    question.locator("input").first.focus()
    page.keyboard.press("Space")  # select the first option
    for _ in range(right):
        page.keyboard.press("ArrowDown")  # radio groups move with the arrow keys
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Check"
    page.keyboard.press("Enter")
    assert "Correct." in question.locator(".tq-feedback").inner_text()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hint"
    page.keyboard.press("Enter")
    assert question.locator(".tq-hint").is_visible()
    assert question.locator(".tq-feedback").get_attribute("aria-live") == "polite"

    o = next(q for q in bank.questions if q.type == "ordering")
    page.goto(quiz_url(site_url, o))
    ordering = page.locator(f'[data-qid="{o.id}"]')
    before = ordering.locator("li").first.get_attribute("data-item")
    ordering.locator("li").nth(1).locator("button", has_text="Up").focus()
    page.keyboard.press("Enter")
    assert ordering.locator("li").nth(1).get_attribute("data-item") == before


def _standalone(tmp_path, quiz, name="page.html"):
    (tmp_path / name).write_text(f"<!doctype html><html><body>{quiz.to_html()}</body></html>")


def test_bank_html_cannot_inject_script(page, tmp_path):
    from conftest import serve

    evil = sample("single", prompt="<script>window.__xss=1</script><img src=x onerror='window.__xss=2'>",
                  hint="<svg onload=window.__xss=3>",
                  options=[{"text": "<img src=y onerror=window.__xss=4>", "correct": True,
                            "feedback": "[click](javascript:window.__xss=5)"},
                           {"text": "</script><script>window.__xss=6</script>", "correct": False,
                            "feedback": "no"}])
    bank = load_bank(write_bank(tmp_path / "bank", [evil]))
    _standalone(tmp_path, Quiz(bank.questions, "two-ways", "<b>evil</b> title"))
    with serve(tmp_path) as url:
        page.goto(f"{url}/page.html")
        question = page.locator("[data-qid]")
        question.get_by_role("button", name="Hint").click()
        question.locator("input").first.check()
        check(question)
        question.get_by_role("button", name="Show solution").click()
        assert page.evaluate("window.__xss") is None
        assert "<script>window.__xss=1</script>" in question.locator(".tq-prompt").inner_text()
        assert page.locator(".tq-quiz-title").inner_text() == "<b>evil</b> title"
        assert page.errors == []


def test_browser_grades_exactly_like_python(page, tmp_path, bank):
    from conftest import serve

    _standalone(tmp_path, Quiz(bank.questions[:1], "two-ways", "x"))
    cases = []
    for q in bank.questions:
        responses = [correct_response(q), wrong_response(q), None]
        if q.type in ("single", "multiple"):
            n = len(q.options)
            responses += [i for i in range(n)] if q.type == "single" else [
                [i] for i in range(n)] + [list(range(n)), []]
        elif q.type == "numeric":
            tol = q.tolerance
            responses += [str(q.answer + tol * 0.99), str(q.answer - tol * 1.5), "abc", "",
                          f"{q.answer}".replace(".", ","), "1e-3"]
            responses += [m.value for m in q.near_misses]
        else:
            n = len(q.items)
            responses += [list(reversed(range(n))), list(range(n - 1)), [0] * n]
        for r in responses:
            cases.append((q, r))
    with serve(tmp_path) as url:
        page.goto(f"{url}/page.html")
        payloads = {q.id: question_payload(q) for q in bank.questions}
        js = page.evaluate(
            "([payloads, cases]) => cases.map(([id, r]) => TOPQuiz.grade(payloads[id], r))",
            [payloads, [[q.id, r] for q, r in cases]])
    assert len(js) == len(cases) > 200
    for (q, r), got in zip(cases, js, strict=True):
        want = grade(q, r)
        assert (got["correct"], got["answered"]) == (want.correct, want.answered), (q.id, r)
        assert [i for i, _ in got["optionFeedback"]] == [i for i, _ in want.option_feedback]
        if not want.answered or q.type == "multiple":
            assert got["message"] == want.message, (q.id, r)
    json.dumps(js)  # plain data, nothing exotic


def test_test_yourself_lists_lessons_to_revisit_in_course_order(page, site_url):
    drawn = test_yourself(n=10, seed=2026).questions
    as_missed = list(dict.fromkeys(q.lesson for q in drawn))
    in_order = revisit_order(as_missed)
    assert as_missed != in_order  # this draw tells the two orders apart
    page.goto(f"{site_url}/quizzes/test-yourself.html")
    for q in drawn:
        question = page.locator(f'[data-qid="{q.id}"]')
        answer(question, q, wrong_response(q))
        check(question)
        page.locator(".tq-next").click()
    links = page.locator(".tq-summary .tq-revisit a").all_inner_texts()
    assert links == [f"Lesson {BY_SLUG[s].number}: {BY_SLUG[s].title}" for s in in_order]
    assert page.errors == []


def test_try_again_closes_hint_and_solution(page, site_url, bank):
    q = next(q for q in bank.by_lesson("two-ways") if q.type == "single")
    page.goto(quiz_url(site_url, q))
    question = page.locator(f'[data-qid="{q.id}"]')
    question.get_by_role("button", name="Hint").click()
    question.get_by_role("button", name="Show solution").click()
    answer(question, q, correct_response(q))
    check(question)
    question.get_by_role("button", name="Try again").click()
    assert question.locator(".tq-hint").is_hidden() and question.locator(".tq-solution").is_hidden()
    for name in ("Hint", "Show solution"):
        assert question.get_by_role("button", name=name, exact=True).get_attribute(
            "aria-expanded") == "false"
    assert question.locator(".tq-feedback").inner_text() == ""
