"""Progress that follows the learner, in Chromium on the built site (issue #28, item 4, second
round): a right answer in Review or Mixed practice clears the ✘ in the lesson quiz and the quick
path, not only in Mistakes; the counts on Mistakes, Review and My progress follow each answer
without a reload, on the same page and in another tab; "Clear all my progress" clears every key
the course keeps, after asking, and says what it cleared; messages name progress in words, never
by its storage key."""

from __future__ import annotations

import json

import pytest
from test_quiz_browser import answer, check, quiz_url, wrong_response

from tune_or_prompt.course.quiz import STORAGE_PREFIX, load_bank
from tune_or_prompt.course.quiz.grading import correct_response
from tune_or_prompt.course.study import (
    ANSWERS_KEY,
    DRILL_KEY,
    EXPLAIN_KEY,
    EXPORT_FORMAT,
    EXPORT_VERSION,
    FLASHCARDS_KEY,
    MIXED_KEY,
    QUICK_PATH_ID,
    QUICK_QUESTIONS,
    REVIEW_KEY,
    STUDY_PREFIX,
    WORKED_KEY,
    interleave,
)

pytestmark = [pytest.mark.browser, pytest.mark.book]
COURSE_KEYS = "Object.keys(localStorage).filter(k => k.startsWith('top-')).sort()"


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def miss(page, url, q):
    """Answer ``q`` wrong on the page at ``url`` (a lesson quiz or the quick path)."""
    page.goto(url)
    shown = page.locator(f'[data-top-quiz] .tq-question[data-qid="{q.id}"]')
    answer(shown, q, wrong_response(q))
    assert "Not quite." in check(shown)


def mark(page, url, q) -> str:
    """How the quiz at ``url`` marks ``q`` after a reload: 'right', 'wrong' or 'blank'."""
    page.goto(url)
    classes = page.locator(f'[data-top-quiz] .tq-question[data-qid="{q.id}"]').get_attribute("class")
    return "right" if "tq-is-correct" in classes else "wrong" if "tq-is-wrong" in classes else "blank"


def test_a_right_answer_in_review_clears_the_mark_in_the_lesson_quiz_and_the_quick_path(
        page, site_url, bank):
    q = bank.get(QUICK_QUESTIONS[0])  # in the quick path and in its lesson quiz
    other = bank.get(QUICK_QUESTIONS[1])
    quick = f"{site_url}/study/quick-path.html"
    miss(page, quiz_url(site_url, q), q)
    miss(page, quick, q)
    assert mark(page, quiz_url(site_url, q), q) == "wrong"
    page.goto(f"{site_url}/study/review.html")
    shown = page.locator(f'[data-top-study] .tq-question[data-qid="{q.id}"]')
    answer(shown, q, correct_response(q))
    assert "Correct." in check(shown)
    # the same verdict everywhere: the lesson quiz and the quick path show it right, with the
    # answer given in Review, and count it in their scores and in the quiz table
    assert mark(page, quiz_url(site_url, q), q) == "right"
    assert page.locator("[data-top-quiz]").get_attribute("data-score") == "1"
    assert "Answered right in Review on " in page.locator(
        f'[data-top-quiz] .tq-question[data-qid="{q.id}"] .tq-feedback').inner_text()
    assert mark(page, quick, q) == "right"
    assert mark(page, quick, other) == "blank"  # never answered: nothing is filled in
    page.goto(f"{site_url}/quizzes/progress.html")
    cells = page.locator(f'[data-top-quiz] tr[data-quiz="{q.lesson}"] td').all_inner_texts()
    assert cells[:2] == ["1", "1"]  # answered, correct
    assert page.locator('[data-top-study] tr[data-mode="mistakes"] td').inner_text() == (
        "0 wrong answers to retry")
    assert page.locator('[data-top-study] tr[data-mode="quick"] td').inner_text().startswith(
        "1 of ")
    assert page.errors == []


def test_a_right_answer_in_mixed_practice_clears_the_lesson_quiz_mark(page, site_url, bank):
    q = bank.get(interleave(bank, seed=2026)[0])  # the first question mixed practice asks
    miss(page, quiz_url(site_url, q), q)
    page.goto(f"{site_url}/study/mixed-practice.html")
    shown = page.locator(f'[data-top-study] .tq-question[data-qid="{q.id}"]')
    answer(shown, q, correct_response(q))
    assert "Correct." in check(shown)
    assert mark(page, quiz_url(site_url, q), q) == "right"
    assert page.errors == []


def test_the_mistakes_count_follows_each_retry(page, site_url, bank):
    first, second = [q for q in bank.by_lesson("prompting") if q.type == "single"][:2]
    page.goto(quiz_url(site_url, first))
    for q in (first, second):
        shown = page.locator(f'[data-top-quiz] .tq-question[data-qid="{q.id}"]')
        answer(shown, q, wrong_response(q))
        assert "Not quite." in check(shown)
    page.goto(f"{site_url}/study/mistakes.html")
    root = page.locator("[data-top-study]")
    status = root.locator(".ts-status")
    assert root.get_attribute("data-mistakes") == "2"
    assert status.inner_text().startswith("2 wrong answers to reread and retry")
    for left, q in ((1, first), (0, second)):
        shown = root.locator(f'.tq-question[data-qid="{q.id}"]')
        shown.get_by_role("button", name="Try again").click()
        answer(shown, q, correct_response(q))
        assert "Correct." in check(shown)
        page.wait_for_function(
            f"document.querySelector('[data-top-study]').dataset.mistakes === '{left}'")
    assert status.inner_text().startswith("No wrong answers left: you cleared 2 mistakes")
    assert root.locator(".tq-question").count() == 2  # still there, marked right, to reread
    assert page.errors == []


def test_review_and_my_progress_follow_answers_given_in_another_tab(page, browser_context,
                                                                    site_url, bank):
    q = next(q for q in bank.by_lesson("measuring") if q.type == "single")
    miss(page, quiz_url(site_url, q), q)
    progress = browser_context.new_page()
    review = browser_context.new_page()
    try:
        progress.goto(f"{site_url}/quizzes/progress.html")
        mistakes_row = progress.locator('[data-top-study] tr[data-mode="mistakes"] td')
        review_row = progress.locator('[data-top-study] tr[data-mode="review"] td')
        assert mistakes_row.inner_text() == "1 wrong answer to retry"
        assert review_row.inner_text() == "1 question in review, 1 due today"
        review.goto(f"{site_url}/study/review.html")
        box2 = review.locator('[data-top-study] .ts-boxes li[data-box="2"]')
        assert box2.inner_text().startswith("Box 2\n0 cards")
        # retried right on the Mistakes page, in a third tab
        page.goto(f"{site_url}/study/mistakes.html")
        shown = page.locator(f'[data-top-study] .tq-question[data-qid="{q.id}"]')
        shown.get_by_role("button", name="Try again").click()
        answer(shown, q, correct_response(q))
        assert "Correct." in check(shown)
        # the other tabs follow, with no reload: a first hit files it in box 2, due in two days
        progress.wait_for_function(
            "document.querySelector('[data-top-study] tr[data-mode=mistakes] td').textContent"
            " === '0 wrong answers to retry'")
        assert review_row.inner_text() == "1 question in review, 0 due today"
        cells = progress.locator(f'[data-top-quiz] tr[data-quiz="{q.lesson}"] td')
        assert cells.all_inner_texts()[:2] == ["1", "1"]
        review.wait_for_function(
            "document.querySelector('[data-top-study] .ts-boxes li[data-box=\"2\"]')"
            ".textContent.includes('1 card')")
        assert review.locator("[data-top-study]").get_attribute("data-due") == "0"
    finally:
        progress.close()
        review.close()
    assert page.errors == []


def test_clear_all_clears_every_course_key_after_asking_and_says_what(page, site_url, bank):
    q = next(q for q in bank.by_lesson("measuring") if q.type == "single")
    quick_q = bank.get(QUICK_QUESTIONS[0])
    miss(page, quiz_url(site_url, q), q)  # a lesson quiz and the ledger
    miss(page, f"{site_url}/study/quick-path.html", quick_q)  # the quick path
    page.goto(f"{site_url}/study/flashcards.html")  # the flashcard schedule
    cards = page.locator("[data-top-study]")
    cards.get_by_role("button", name="Show answer").click()
    cards.get_by_role("button", name="I knew it").click()
    page.goto(f"{site_url}/study/review.html")  # the review schedule
    shown = page.locator("[data-top-study] .tq-question").first
    due = bank.get(shown.get_attribute("data-qid"))
    answer(shown, due, correct_response(due))
    check(shown)
    page.evaluate("localStorage.setItem('another-site:setting', 'keep me')")
    page.goto(f"{site_url}/quizzes/progress.html")
    stored = page.evaluate(COURSE_KEYS)
    assert {FLASHCARDS_KEY, REVIEW_KEY, ANSWERS_KEY, STORAGE_PREFIX + q.lesson,
            STORAGE_PREFIX + QUICK_PATH_ID} <= set(stored)

    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Clear all my progress").click()
    assert asked and "your flashcard schedule" in asked[0] and "cannot be undone" in asked[0]
    assert page.evaluate(COURSE_KEYS) == stored  # dismissed: nothing cleared

    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Clear all my progress").click()
    message = page.locator("[data-top-study] .ts-message")
    message.filter(has_text="Cleared").wait_for()
    said = message.inner_text()
    for words in ("your flashcard schedule", "your review schedule", "your quick path answers",
                  "your record of right and wrong answers", "your answers to "):
        assert words in said, (words, said)
    assert "top-" not in said
    assert page.evaluate(COURSE_KEYS) == []
    assert page.evaluate("localStorage.getItem('another-site:setting')") == "keep me"
    # both tables show the cleared state at once
    assert page.locator('[data-top-study] tr[data-mode="flashcards"] td').inner_text().startswith(
        "0 cards")
    assert page.locator('[data-top-study] tr[data-mode="mistakes"] td').inner_text() == (
        "0 wrong answers to retry")
    assert page.locator(f'[data-top-quiz] tr[data-quiz="{q.lesson}"] td').first.inner_text() == "0"
    page.reload()
    page.get_by_role("button", name="Clear all my progress").click()  # nothing left: no question
    message.filter(has_text="Nothing to clear").wait_for()
    assert page.errors == []


@pytest.mark.parametrize(("key", "value", "words"), [
    (FLASHCARDS_KEY, {"cards": {"LoRA:term": {"box": 0, "due": "x"}}}, "your flashcard schedule"),
    (REVIEW_KEY, {"cards": "zzz"}, "your review schedule"),
    (ANSWERS_KEY, {"answers": {"x": {"correct": 1}}}, "your record of right and wrong answers"),
    (STORAGE_PREFIX + "prompting", {"answers": "zzz"},
     "your answers to Quiz 2: Prompt engineering in practice"),
    (STORAGE_PREFIX + QUICK_PATH_ID, {"answers": "zzz"}, "your quick path answers"),
    (DRILL_KEY, {"seed": 1}, "your decision drill score"),
    (MIXED_KEY, {"seed": 1}, "your mixed practice score"),
    (WORKED_KEY, {"steps": {"a": {}}}, "your worked-example steps"),
    (EXPLAIN_KEY, {"prompts": []}, "your explanations"),
])
def test_an_import_error_names_the_damaged_progress_in_words(page, site_url, key, value, words):
    payload = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported": "2026-01-01",
               "data": {key: value}}
    page.goto(f"{site_url}/quizzes/progress.html")
    page.locator("[data-top-study] input[type=file]").set_input_files(
        {"name": "p.json", "mimeType": "application/json", "buffer": json.dumps(payload).encode()})
    message = page.locator("[data-top-study] .ts-message")
    message.filter(has_text="Not imported").wait_for()
    text = message.inner_text()
    assert f"the file's copy of {words} is damaged" in text, text
    assert STORAGE_PREFIX not in text and STUDY_PREFIX not in text
    assert page.errors == []


def test_the_pages_know_the_course_s_storage_prefixes(page, site_url):
    """quiz.js names the keys it clears and follows with Python's prefixes, and only those."""
    page.goto(f"{site_url}/quizzes/progress.html")
    known = page.evaluate("keys => keys.map(k => TOPQuiz.courseKey(k))",
                          [STORAGE_PREFIX + "two-ways", STUDY_PREFIX + "review", ANSWERS_KEY,
                           STORAGE_PREFIX, "top-quiz:probe", "another-site:top-quiz:v1:x"])
    assert known == [True, True, True, False, False, False]
