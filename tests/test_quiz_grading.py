"""grade(): the one place answers are judged, for every question type."""

from __future__ import annotations

import pytest
from quiz_samples import all_samples, write_bank

from tune_or_prompt.course.quiz import load_bank
from tune_or_prompt.course.quiz.grading import grade, parse_number, shuffled_order


@pytest.fixture
def q(tmp_path):
    bank = load_bank(write_bank(tmp_path, all_samples()))
    return {question.type: question for question in bank.questions}


def test_single(q):
    wrong, right = grade(q["single"], 0), grade(q["single"], 1)
    assert not wrong.correct and wrong.option_feedback == ((0, "It changes the input."),)
    assert right.correct and right.option_feedback == ((1, "It trains weights."),)
    assert not grade(q["single"], None).answered
    assert not grade(q["single"], 7).answered


def test_multiple(q):
    assert grade(q["multiple"], [0, 2]).correct
    partial = grade(q["multiple"], [0])
    assert not partial.correct and partial.message == "You left out 1 correct option."
    extra = grade(q["multiple"], [0, 1, 2])
    assert not extra.correct and [i for i, _ in extra.option_feedback] == [0, 1, 2]
    assert not grade(q["multiple"], []).answered


def test_numeric_tolerance_and_near_misses(q):
    assert grade(q["numeric"], "0.842").correct
    assert grade(q["numeric"], 0.8465).correct
    assert not grade(q["numeric"], 0.848).correct
    assert grade(q["numeric"], " 0,84 ").correct  # a decimal comma is accepted
    near = grade(q["numeric"], 0.8)
    assert not near.correct and near.message == "That is the recall."
    assert grade(q["numeric"], 0.5).message == "Use TP / (TP + FP)."
    for junk in ("", "abc", "0x10", "inf", "nan", None, True):
        assert not grade(q["numeric"], junk).answered, junk


def test_parse_number():
    assert parse_number("1e3") == 1000.0
    assert parse_number("-.5") == -0.5
    assert parse_number("1_000") is None


def test_ordering(q):
    question = q["ordering"]
    assert grade(question, [0, 1, 2, 3]).correct
    wrong = grade(question, [1, 0, 2, 3])
    assert not wrong.correct and "(2 of 4 in the right place.)" in wrong.message
    assert not grade(question, [0, 1, 2]).answered
    assert not grade(question, [0, 0, 1, 2]).answered
    start = list(shuffled_order(question))
    assert sorted(start) == [0, 1, 2, 3] and start != [0, 1, 2, 3]
    assert list(shuffled_order(question)) == start  # deterministic
