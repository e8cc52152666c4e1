"""The question bank: the real bank's content rules, and clear errors for malformed banks."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from quiz_samples import all_samples, sample, write_bank

from tune_or_prompt.course import LESSONS
from tune_or_prompt.quiz import BankError, check_paths, load_bank
from tune_or_prompt.quiz.grading import correct_response, grade

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bank():
    return load_bank(ROOT / "quizzes" / "bank")


def test_real_bank_is_valid_and_complete(bank):
    assert len(bank.questions) >= 45
    for lesson in LESSONS:
        questions = bank.by_lesson(lesson.slug)
        assert len(questions) >= 6, lesson.slug
        assert {q.difficulty for q in questions} == {"easy", "medium", "hard"}, lesson.slug
    assert {q.type for q in bank.questions} == {"single", "multiple", "numeric", "ordering"}


def test_every_question_grades_its_own_answer_as_correct(bank):
    for q in bank.questions:
        assert grade(q, correct_response(q)).correct, q.id


def test_every_wrong_option_is_graded_wrong_with_its_own_feedback(bank):
    for q in bank.questions:
        if q.type != "single":
            continue
        for i, option in enumerate(q.options):
            result = grade(q, i)
            assert result.correct == option.correct
            assert result.option_feedback == ((i, option.feedback),)


def test_confusion_matrix_questions_are_arithmetically_right(bank):
    """The seed's matrix (80 TP, 20 FN, 15 FP, 85 TN): any numeric question on it must agree."""
    truth = {"precision": 80 / 95, "recall": 80 / 100, "accuracy": 165 / 200,
             "f1": 2 * 80 / (2 * 80 + 15 + 20)}
    checked = 0
    for q in bank.questions:
        if q.type == "numeric" and "80" in q.prompt and "85" in q.prompt and "15" in q.prompt:
            text = q.prompt.lower()
            asked = [m for m in truth if re.search(rf"\b{m}\b", text.replace("f1 score", "f1"))]
            if len(asked) == 1:
                assert abs(q.answer - truth[asked[0]]) <= q.tolerance, q.id
                checked += 1
    assert checked >= 1


def test_seed_practice_questions_are_mirrored(bank):
    mirrored = " ".join(q.mirrors.lower() for q in bank.questions)
    for words in ["main difference", "describe", "medical", "fail", "product", "preferred",
                  "98%", "confusion"]:
        assert words in mirrored, f"no question mirrors the seed question about {words!r}"


def test_valid_samples_pass(tmp_path):
    questions, problems = check_paths([write_bank(tmp_path, all_samples())])
    assert problems == []
    assert [q.type for q in questions] == ["single", "multiple", "numeric", "ordering"]


TWO_CORRECT = sample("single", options=[
    {"text": "A", "correct": True, "feedback": "x"},
    {"text": "B", "correct": True, "feedback": "y"}])
NO_FEEDBACK = sample("single", options=[
    {"text": "A", "correct": True, "feedback": "x"},
    {"text": "B", "correct": False}])
NONE_CORRECT = sample("multiple", options=[
    {"text": "A", "correct": False, "feedback": "x"},
    {"text": "B", "correct": False, "feedback": "y"}])

MALFORMED = [
    # (questions, the field named in the message, a phrase of the message)
    ([TWO_CORRECT], "options", "exactly one correct option, has 2"),
    ([sample("single", options=[{"text": "A", "correct": False, "feedback": "x"},
                                {"text": "B", "correct": False, "feedback": "y"}])],
     "options", "exactly one correct option, has 0"),
    ([NO_FEEDBACK], "options[2].feedback", "is missing"),
    ([NONE_CORRECT], "options", "at least one correct option"),
    ([sample("single", solution=None)], "solution", "is missing"),
    ([sample("single", solution={"answer": "a", "check": "b"})], "solution.steps", "is missing"),
    ([sample("single", difficulty="tricky")], "difficulty", "must be one of easy, medium, hard"),
    ([sample("numeric", tolerance=None)], "tolerance", "needs a tolerance"),
    ([sample("numeric", answer="about a half")], "answer", "must be a number"),
    ([sample("single", type="essay")], "type", "must be one of single, multiple"),
    ([sample("single", feedbak="oops")], "feedbak", "is not a field of a single question"),
    ([sample("single", hint=None)], "hint", "is missing"),
    ([sample("single", mistakes=None)], "mistakes", "is missing"),
    ([sample("ordering", items=["a", "b"])], "items", "at least 3"),
    ([sample("ordering", feedback={"correct": "ok"})], "feedback.incorrect", "is missing"),
    ([sample("numeric", near_misses=[{"value": 0.843, "feedback": "close"}])],
     "near_misses[1]", "overlaps the correct answer"),
    ([sample("single", id="prompting/wrong-lesson")], "id", "must start with the file's lesson"),
    ([sample("single", id="Two Ways/Bad Id")], "id", "must look like"),
]


@pytest.mark.parametrize(("questions", "field", "phrase"), MALFORMED,
                         ids=[f"{m[1]}:{m[2][:25]}" for m in MALFORMED])
def test_malformed_bank_names_file_question_and_field(tmp_path, questions, field, phrase):
    path = write_bank(tmp_path, questions)
    _, problems = check_paths([path])
    assert problems, "the malformed bank was accepted"
    text = "\n".join(map(str, problems))
    qid = questions[0].get("id", "")
    matching = [p for p in problems if p.field == field and phrase in p.message]
    assert matching, f"expected a problem on {field!r} saying {phrase!r}, got:\n{text}"
    assert str(path) in str(matching[0])
    assert f"question {qid!r}" in str(matching[0])


def test_duplicate_ids_across_files(tmp_path):
    write_bank(tmp_path, [sample("single")])
    write_bank(tmp_path, [sample("single", id="prompting/sample-single"), sample("multiple")],
               lesson="prompting", name="02-prompting.yaml")
    write_bank(tmp_path / "other", [sample("single")])
    _, problems = check_paths([tmp_path, tmp_path / "other"])
    dupes = [p for p in problems if "used twice" in p.message]
    assert dupes and dupes[0].question == "two-ways/sample-single"


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "01-two-ways.yaml"
    path.write_text("lesson: two-ways\nquestions:\n  - id: two-ways/x\n    prompt: [unclosed\n")
    _, problems = check_paths([path])
    assert len(problems) == 1 and "is not valid YAML (line" in problems[0].message


def test_unknown_lesson_and_misplaced_file(tmp_path):
    _, problems = check_paths([write_bank(tmp_path, [sample("single")], lesson="cooking")])
    assert any(p.field == "lesson" and "must be one of the course's lessons" in p.message
               for p in problems)
    _, problems = check_paths([write_bank(tmp_path, [sample("single")], name="07-x.yaml")])
    assert any("belongs in 01-two-ways.yaml" in p.message for p in problems)


def test_load_bank_raises_with_every_problem(tmp_path):
    write_bank(tmp_path, [TWO_CORRECT, sample("numeric", tolerance=None)])
    with pytest.raises(BankError) as info:
        load_bank(tmp_path)
    assert len(info.value.problems) == 2
    assert "2 problem(s)" in str(info.value)


def test_cli_check_exit_codes(tmp_path):
    good = write_bank(tmp_path / "good", all_samples())
    bad = write_bank(tmp_path / "bad", [TWO_CORRECT])
    cli = [sys.executable, "-m", "tune_or_prompt", "quiz", "check"]
    ok = subprocess.run([*cli, str(good)], capture_output=True, text=True)
    assert ok.returncode == 0 and "OK: 4 questions" in ok.stdout
    fail = subprocess.run([*cli, str(bad)], capture_output=True, text=True)
    assert fail.returncode == 1
    assert f"{bad}: question 'two-ways/sample-single': field 'options'" in fail.stderr


def test_bank_counts_are_reported(bank):
    counts = Counter((q.lesson, q.difficulty) for q in bank.questions)
    assert all(counts[(lesson.slug, d)] >= 1 for lesson in LESSONS
               for d in ("easy", "medium", "hard"))
