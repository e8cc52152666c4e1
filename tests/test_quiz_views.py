"""The two views: ipywidgets callbacks driven from Python, and the safe static HTML."""

from __future__ import annotations

import json
import re

import pytest
from quiz_samples import all_samples, sample, write_bank

from tune_or_prompt.course.html_view import json_for_script
from tune_or_prompt.course.quiz import Quiz, lesson_quiz, load_bank, test_yourself
from tune_or_prompt.course.quiz.payload import question_payload


@pytest.fixture
def quiz(tmp_path):
    bank = load_bank(write_bank(tmp_path, all_samples()))
    return Quiz(bank.questions, "two-ways", "Sample quiz")


def test_widget_single_wrong_then_right(quiz):
    view = quiz.widget().views[0]
    view.set_response(0)
    view.check_button.click()
    assert "Not quite" in view.feedback.value and "It changes the input." in view.feedback.value
    assert quiz.score == 0
    view.set_response(1)
    view.check_button.click()
    assert "Correct" in view.feedback.value and quiz.score == 1
    assert view.attempts == 2


def test_widget_multiple_numeric_ordering(quiz):
    multiple, numeric, ordering = quiz.widget().views[1:]
    multiple.set_response([0])
    multiple.check_button.click()
    assert "You left out 1 correct option." in multiple.feedback.value
    multiple.set_response([0, 2])
    multiple.check_button.click()
    numeric.set_response("0.8")
    numeric.check_button.click()
    assert "That is the recall." in numeric.feedback.value
    numeric.set_response("0.842")
    numeric.check_button.click()
    # Ordering: move items with the Up/Down buttons' logic until they are in order.
    for target in range(4):
        position = ordering.response().index(target)
        while position > target:
            ordering._select.value = position
            ordering.move(-1)
            position -= 1
    assert ordering.response() == [0, 1, 2, 3]
    ordering.check_button.click()
    assert "That is the pipeline." in ordering.feedback.value
    assert quiz.score == 3
    assert "Score: 3 of 4 correct" in quiz.widget().score_label.value


def test_widget_hint_solution_try_again_reset(quiz):
    view = quiz.widget().views[0]
    view.hint_button.click()
    assert "Hint:" in view.hint_box.value and "<strong>changes</strong>" in view.hint_box.value
    view.hint_button.click()
    assert view.hint_box.value == ""
    view.solution_button.click()
    assert "First step." in view.solution_box.value and "A common mistake." in view.solution_box.value
    view.set_response(1)
    view.check_button.click()
    assert quiz.score == 1
    view.again_button.click()
    assert quiz.score == 0 and view.response() is None
    view.set_response(1)
    view.check_button.click()
    quiz.widget().reset_button.click()
    assert quiz.score == 0


def test_unanswered_check_is_not_an_attempt(quiz):
    view = quiz.widget().views[2]
    view.check_button.click()
    assert "Enter a number" in view.feedback.value and view.attempts == 0


def test_mimebundle_has_widget_and_html(quiz):
    bundle = quiz._repr_mimebundle_()
    assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]
    assert 'data-top-quiz' in bundle["text/html"]


def test_payload_answer_key_comes_from_the_bank(quiz):
    single = question_payload(quiz.questions[0])
    assert single["key"]["correct"] == [1]
    numeric = question_payload(quiz.questions[2])
    assert numeric["key"]["answer"] == 0.842 and numeric["key"]["tolerance"] == 0.005


def test_raw_html_in_the_bank_is_escaped(tmp_path):
    evil = sample("single", prompt="<script>alert(1)</script> and <img src=x onerror=alert(2)>",
                  options=[{"text": "<b onmouseover=alert(3)>A</b>", "correct": True,
                            "feedback": "[link](javascript:alert(4))"},
                           {"text": "</script><script>alert(5)</script>", "correct": False,
                            "feedback": "no"}])
    bank = load_bank(write_bank(tmp_path, [evil]))
    payload = question_payload(bank.questions[0])
    rendered = json.dumps(payload)
    assert "<script>" not in rendered and "<img" not in rendered and "<b " not in rendered
    assert "&lt;script&gt;" in payload["prompt"]
    assert "href" not in payload["key"]["feedback"][0]  # markdown-it refuses javascript: links
    html = Quiz(bank.questions, "two-ways", "Evil </script> title").to_html()
    data = re.search(r'<script type="application/json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in data and json.loads(data)["title"] == "Evil </script> title"


def test_json_for_script_round_trips():
    value = {"a": "</script><!-- & \u2028"}
    assert json.loads(json_for_script(value)) == value


def test_real_lesson_quiz_and_test_yourself():
    quiz = lesson_quiz("two-ways")
    assert len(quiz.questions) >= 6
    drawn = test_yourself(seed=3).questions
    assert len(drawn) == 10 and len({q.id for q in drawn}) == 10
    assert {q.difficulty for q in drawn} == {"easy", "medium", "hard"}
    assert [q.id for q in test_yourself(seed=3).questions] == [q.id for q in drawn]
    assert [q.id for q in test_yourself(seed=4).questions] != [q.id for q in drawn]
    assert len({q.lesson for q in drawn}) >= 5


def test_sequential_widget_counts_first_try_and_summarises(tmp_path):
    bank = load_bank(write_bank(tmp_path, all_samples()))
    quiz = Quiz(bank.questions, "test-yourself", "Test", mode="sequential")
    seq = quiz.widget()
    first = seq.views[0]
    assert seq.next_button.layout.visibility == "hidden"
    first.set_response(0)  # wrong
    first.check_button.click()
    assert first.check_button.disabled and seq.next_button.layout.visibility == "visible"
    first.set_response(1)
    first.check()  # a second try changes nothing
    assert quiz.score == 0
    from tune_or_prompt.course.quiz.grading import correct_response

    for index in range(1, 4):
        seq.next_button.click()
        view = seq.views[index]
        view.set_response(correct_response(view.question))
        view.check_button.click()
    assert not seq.finished
    seq.next_button.click()
    assert seq.finished and quiz.score == 3
    assert "Your result: 3 of 4" in seq.summary.value
    assert "<tr><th>easy</th><td>0</td><td>1</td></tr>" in seq.summary.value
    assert "Two ways to adapt a model" in seq.summary.value  # the lesson to revisit


def test_widget_try_again_closes_hint_and_solution(quiz):
    view = quiz.widget().views[0]
    view.hint_button.click()
    view.solution_button.click()
    view.set_response(0)
    view.check_button.click()
    assert view.hint_box.value and view.solution_box.value
    view.again_button.click()
    assert view.hint_box.value == "" and view.solution_box.value == ""
    assert (view.hint_button.description, view.solution_button.description) == (
        "Hint", "Show solution")
    view.hint_button.click()  # and the next click opens the hint again
    assert "Hint:" in view.hint_box.value


def _wrong(q):
    """A response that grades as answered but wrong."""
    if q.type in ("single", "multiple"):
        index = next(i for i, o in enumerate(q.options) if not o.correct)
        return index if q.type == "single" else [index]
    if q.type == "numeric":
        return f"{q.answer + 10 * q.tolerance + 1:.4f}"  # four decimals: 1.835 reads two ways
    return list(reversed(range(len(q.items))))


def test_lessons_to_revisit_come_in_course_order_in_both_views():
    from tune_or_prompt.course.pages import BY_SLUG
    from tune_or_prompt.course.quiz.grading import grade, revisit_order

    assert revisit_order(["measuring", "two-ways", "measuring"]) == ["two-ways", "measuring"]
    bank = load_bank()
    later, earlier = bank.by_lesson("measuring")[0], bank.by_lesson("two-ways")[0]
    quiz = Quiz([later, earlier], "test-yourself", "Test", mode="sequential")
    seq = quiz.widget()
    for index, q in enumerate([later, earlier]):  # missed in the order: measuring, two-ways
        view = seq.views[index]
        result = grade(q, _wrong(q))
        assert result.answered and not result.correct
        view.set_response(_wrong(q))
        view.check_button.click()
        seq.next_button.click()
    summary = seq.summary.value
    assert summary.index(BY_SLUG["two-ways"].title) < summary.index(BY_SLUG["measuring"].title)
    assert quiz.config()["lessonOrder"] == ["two-ways", "measuring"]  # what the browser view uses
