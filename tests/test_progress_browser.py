"""One progress model, in Chromium on the built site: every graded question (lesson quizzes, the
quick path, Test yourself, Review, Mistakes, Mixed practice) feeds Mistakes and Review through one
ledger; a right answer anywhere clears a mistake everywhere; an import is checked entry by entry
with the checks the pages read with, refused whole when one fails, and shown without a reload;
Reset asks first."""

from __future__ import annotations

import json

import pytest
from test_quiz_browser import answer, check, quiz_url, wrong_response

from tune_or_prompt.course.pages import BY_SLUG
from tune_or_prompt.course.quiz import STORAGE_PREFIX, load_bank
from tune_or_prompt.course.quiz.grading import correct_response
from tune_or_prompt.course.study import ANSWERS_KEY, EXPORT_FORMAT, EXPORT_VERSION, FLASHCARDS_KEY

pytestmark = [pytest.mark.browser, pytest.mark.book]


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def single(bank, lesson):
    return next(q for q in bank.by_lesson(lesson) if q.type == "single")


def mistakes(page, site_url) -> list[str]:
    page.goto(f"{site_url}/study/mistakes.html")
    root = page.locator("[data-top-study]")
    ids = root.locator(".tq-question").evaluate_all("qs => qs.map(q => q.dataset.qid)")
    assert root.get_attribute("data-mistakes") == str(len(ids))
    return ids


def test_a_right_answer_in_review_clears_the_mistake_everywhere(page, site_url, bank):
    q = single(bank, "measuring")
    page.goto(quiz_url(site_url, q))
    shown = page.locator(f'[data-qid="{q.id}"]')
    answer(shown, q, wrong_response(q))
    check(shown)
    assert mistakes(page, site_url) == [q.id]
    page.goto(f"{site_url}/study/review.html")
    shown = page.locator(f'[data-top-study] .tq-question[data-qid="{q.id}"]')
    answer(shown, q, correct_response(q))
    assert "Correct." in check(shown)
    assert mistakes(page, site_url) == []
    page.goto(f"{site_url}/quizzes/progress.html")
    assert page.locator('[data-top-study] tr[data-mode="mistakes"] td').inner_text() == (
        "0 wrong answers to retry")
    assert page.evaluate(f"JSON.parse(localStorage.getItem('{ANSWERS_KEY}')).answers")[q.id][
        "from"] == "review"
    assert page.errors == []


def test_misses_in_mixed_practice_and_the_quick_path_reach_mistakes_and_review(page, site_url,
                                                                               bank):
    page.goto(f"{site_url}/study/mixed-practice.html")
    shown = page.locator("[data-top-study] .tq-question")
    q = bank.get(shown.get_attribute("data-qid"))
    answer(shown, q, wrong_response(q))
    check(shown)
    quick = page.goto(f"{site_url}/study/quick-path.html")
    assert quick.ok
    first = page.locator("[data-top-quiz] .tq-question").first
    q2 = bank.get(first.get_attribute("data-qid"))
    answer(first, q2, wrong_response(q2))
    check(first)
    listed = mistakes(page, site_url)
    assert set(listed) == {q.id, q2.id}
    page.goto(f"{site_url}/study/review.html")
    review = page.locator("[data-top-study]")
    assert review.get_attribute("data-due") == "2"
    # a right answer in its lesson quiz clears the mixed-practice miss: the ledger keeps the latest
    page.goto(quiz_url(site_url, q))
    lesson_view = page.locator(f'[data-top-quiz] [data-qid="{q.id}"]')
    answer(lesson_view, q, correct_response(q))
    assert "Correct." in check(lesson_view)
    assert mistakes(page, site_url) == [q2.id]
    assert page.errors == []


def test_a_damaged_import_is_refused_whole_and_progress_is_kept(page, site_url, bank, tmp_path):
    q = single(bank, "choosing")
    page.goto(quiz_url(site_url, q))
    shown = page.locator(f'[data-qid="{q.id}"]')
    answer(shown, q, wrong_response(q))
    check(shown)
    before = page.evaluate("JSON.stringify(Object.entries(localStorage).sort())")
    page.goto(f"{site_url}/quizzes/progress.html")
    study = page.locator("[data-top-study]")
    upload = study.locator("input[type=file]")
    good = {"top-quiz:v1:prompting": {"answers": {}}}
    for name, data, why in [
        ("quiz.json", {**good, STORAGE_PREFIX + "two-ways": {"answers": "zzz"}},
         "copy of your answers to Quiz 1: Two ways to adapt a model is damaged"),
        ("answer.json", {STORAGE_PREFIX + "two-ways": {"answers": {"x": {"correct": "yes"}}}},
         "the answer to x is damaged"),
        ("flash.json", {FLASHCARDS_KEY: {"cards": {"LoRA:term": {"box": 0, "due": "x"}}}},
         "flashcard schedule is damaged"),
        ("ledger.json", {ANSWERS_KEY: {"answers": {"x": {"correct": 1}}}}, "damaged"),
        ("drill.json", {"top-study:v1:drill": {"seed": 1, "position": -1, "answered": 0,
                                               "correct": 0}}, "score is damaged"),
    ]:
        payload = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported": "2026-01-01",
                   "data": data}
        upload.set_input_files({"name": name, "mimeType": "application/json",
                                "buffer": json.dumps(payload).encode()})
        message = study.locator(".ts-message")
        message.filter(has_text="Not imported").wait_for()
        text = message.inner_text()
        assert why in text and "current progress is kept" in text, (name, text)
        assert "review schedule" not in text
        assert page.evaluate("JSON.stringify(Object.entries(localStorage).sort())") == before
        assert study.locator('tr[data-mode="mistakes"] td').inner_text() == "1 wrong answer to retry"
    assert page.errors == []


def test_a_damaged_stored_quiz_still_shows_its_questions_and_resets(page, site_url, bank):
    lesson = BY_SLUG["two-ways"]
    page.goto(f"{site_url}/{lesson.quiz_page}.html")
    page.evaluate(f"localStorage.setItem('{STORAGE_PREFIX}two-ways', "
                  "JSON.stringify({answers: 'zzz'}))")
    page.reload()
    questions = page.locator("[data-top-quiz] .tq-question")
    assert questions.count() == len(bank.by_lesson("two-ways"))
    assert page.errors == []


def test_import_shows_at_once_and_reset_asks_first(page, site_url, bank):
    q = single(bank, "prompting")
    storage_key = STORAGE_PREFIX + q.lesson
    data = {storage_key: {"answers": {q.id: {"response": correct_response(q), "correct": True,
                                             "attempts": 1}}}}
    payload = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported": "2026-01-01",
               "data": data}
    page.goto(f"{site_url}/quizzes/progress.html")
    row = page.locator(f'[data-top-quiz] tr[data-quiz="{q.lesson}"] td')
    assert row.nth(1).inner_text() == "0"
    page.locator("[data-top-study] input[type=file]").set_input_files(
        {"name": "p.json", "mimeType": "application/json", "buffer": json.dumps(payload).encode()})
    page.locator("[data-top-study] .ts-message").filter(has_text="Imported").wait_for()
    # the quiz table beside the study table shows the import, without a reload
    assert page.locator(f'[data-top-quiz] tr[data-quiz="{q.lesson}"] td').nth(1).inner_text() == "1"

    page.goto(quiz_url(site_url, q))
    quiz = page.locator("[data-top-quiz]")
    assert quiz.get_attribute("data-score") == "1"
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    quiz.get_by_role("button", name="Reset quiz").click()
    assert asked and "Clear your 1 answer" in asked[0]
    assert quiz.get_attribute("data-score") == "1"  # dismissed: nothing cleared
    page.once("dialog", lambda d: d.accept())
    quiz.get_by_role("button", name="Reset quiz").click()
    page.wait_for_function("document.querySelector('[data-top-quiz]').dataset.score === '0'")
    page.reload()
    assert page.locator("[data-top-quiz]").get_attribute("data-score") == "0"
    assert page.errors == []


def test_my_progress_says_what_to_do_next(page, site_url, bank):
    page.goto(f"{site_url}/quizzes/progress.html")
    steps = page.locator("[data-top-study] .ts-next li")
    assert "start with the quick path" in steps.first.inner_text()
    q = single(bank, "measuring")
    page.goto(quiz_url(site_url, q))
    shown = page.locator(f'[data-qid="{q.id}"]')
    answer(shown, q, wrong_response(q))
    check(shown)
    page.goto(f"{site_url}/quizzes/progress.html")
    texts = steps.all_inner_texts()
    assert texts[0].startswith("Retry your 1 wrong answer")
    assert texts[1] == "Review 1 question due today."
    lesson = BY_SLUG["measuring"]
    assert f"1 of 1 answers wrong in Lesson {lesson.number}: {lesson.title}" in texts[2]
    hrefs = steps.nth(2).locator("a").evaluate_all("a => a.map(x => x.getAttribute('href'))")
    assert hrefs == [f"../{lesson.page}.html", f"../{lesson.quiz_page}.html"]
    assert steps.first.locator("a").get_attribute("href") == "../study/mistakes.html"
    assert page.errors == []
