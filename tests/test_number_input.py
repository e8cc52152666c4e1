"""Numbers as people type them: grading.parse_number against the shared table of cases.

The same table (quiz/number_cases.json, shipped in the package) runs through quiz.js's
parseNumber in Chromium (test_number_input_browser.py), so both graders read every case alike.
"""

from __future__ import annotations

import json
import math
from importlib import resources

import pytest

from tune_or_prompt.course.quiz import load_bank
from tune_or_prompt.course.quiz.grading import NUMBER_HELP, grade, parse_number, two_readings


def number_cases() -> list[dict]:
    """The shared table, read from the installed package (as a learner's copy would have it)."""
    text = resources.files("tune_or_prompt.course.quiz").joinpath("number_cases.json").read_text("utf-8")
    return json.loads(text)["cases"]


def same(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is want
    return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("case", number_cases(), ids=lambda c: ascii(c["text"]))
def test_python_reads_each_case(case):
    assert same(parse_number(case["text"]), case["value"])


def test_the_table_covers_what_the_issue_names():
    texts = {c["text"]: c["value"] for c in number_cases()}
    for typed in ("500,000", "500 000", "500\u2009000", "500\u202f000", "500k", "0,825"):
        assert typed in texts and texts[typed] is not None
    assert any(v is None for v in texts.values()) and len(texts) == len(number_cases())


def test_break_even_typed_with_separators_is_right():
    """Quiz 5 choosing/break-even: 500,000 used to read as 500.0 and get the 'in thousands' hint."""
    bank = load_bank()
    q = next(q for q in bank.questions if q.id == "choosing/break-even")
    for typed in ("500,000", "500 000", "500k", "0.5M", "500000"):
        assert grade(q, typed).correct, typed
    assert not grade(q, "500").correct  # the near miss still gets its own feedback
    refused = grade(q, "500,00,0")
    assert not refused.answered and NUMBER_HELP in refused.message


def test_a_number_that_reads_two_ways_is_refused_naming_both():
    """500.000 is 500 with a decimal point and 500000 with a German thousands point: refused,
    never misread, with a message that says how to type each reading."""
    cases = number_cases()
    assert any(c["text"] == "500.000" and c.get("two_ways") for c in cases)
    for case in cases:
        message = two_readings(case["text"])
        assert (message is not None) == bool(case.get("two_ways")), case["text"]
    bank = load_bank()
    q = next(q for q in bank.questions if q.id == "choosing/break-even")
    result = grade(q, "500.000")
    assert not result.answered and result.message == two_readings("500.000")
    assert "500000" in result.message and "500,000" in result.message
    assert grade(q, "500,000").correct and grade(q, "500000").correct
