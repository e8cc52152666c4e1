"""Grading: the one place that decides whether a response is right and what feedback it gets.

The browser view grades with the same rules from the answer data that `payload.py` exports from
these questions (a browser test checks both give the same verdicts).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tune_or_prompt.course.pages import LESSONS

from .schema import Question


@dataclass(frozen=True)
class Result:
    """The verdict on one response.

    ``answered`` is False when there was nothing to grade (no option chosen, not a number):
    such a response is not counted as an attempt.
    """

    correct: bool
    answered: bool = True
    message: str = ""  # Markdown, shown under the question
    option_feedback: tuple[tuple[int, str], ...] = ()  # (option index, Markdown) to show


# How learners type numbers (quiz.js's parseNumber applies the same patterns, and
# number_cases.json is the one table of cases both are tested against):
# - a plain number: 0.84, .5, 12, 1e3 (a leading + or -, or the minus sign U+2212);
# - thousands separators, only where they group digits in threes after a first group of one to
#   three digits: 500,000 / 1,234.5 / 500 000 (space, no-break space, thin or narrow no-break
#   space) / 1 234,5 (a decimal comma after space groups);
# - a decimal comma where it cannot be a thousands separator: 0,84 / 12,5 / 1234,5 (but 1,234
#   reads as one thousand two hundred and thirty-four, and 5000,000 is refused);
# - a suffix k or K (thousand) or M (million): 500k, 2.5M, 1,5k.
# Anything else (1.234,5, 1,23,456, 1_000, 0x10) is "not a number": refused, never misread.
# A point before exactly three digits after a first group of one to three digits (500.000,
# 1.858) reads two ways, a decimal point in English and a thousands point in German: refused too,
# with a message that names both readings (`two_readings`). 0.825 and 1234.567 read one way.
SPACES = " \u00a0\u2009\u202f"
_TRIM = " \t\r\n" + SPACES[1:]
_SIGN = re.compile(r"[+\-\u2212]")
_PLAIN = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_COMMA_GROUPS = re.compile(r"[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+)?")
_SPACE_GROUPS = re.compile(rf"[1-9][0-9]{{0,2}}([{SPACES}][0-9]{{3}})+([.,][0-9]+)?")
# a comma before exactly three digits reads as a (misplaced) thousands separator, unless
# nothing but zeros stands before it (0,825)
_DECIMAL_COMMA = re.compile(r"0*,[0-9]+|[0-9]*,([0-9]{1,2}|[0-9]{4,})")
_SUFFIX = re.compile(rf"(.*?)[{SPACES}]?([kKM])")
_TWO_WAYS = re.compile(r"([1-9][0-9]{0,2})\.([0-9]{3})")
SCALE = {"k": 1e3, "K": 1e3, "M": 1e6}
NUMBER_PLACEHOLDER = "a number, e.g. 1,500 or 0.25"
NUMBER_HELP = ("Type the number as you would write it: 500000, 500,000, 500 000, 500k, 2.5M, "
               "0.25, 0,25 and $0.25 all work.")


def _unsigned(text: str, scaled: bool) -> float | None:
    if _PLAIN.fullmatch(text) and not (scaled and "e" in text.lower()):
        return float(text)
    if _COMMA_GROUPS.fullmatch(text):
        return float(text.replace(",", ""))
    if _SPACE_GROUPS.fullmatch(text):
        return float(re.sub(f"[{SPACES}]", "", text).replace(",", "."))
    if _DECIMAL_COMMA.fullmatch(text):
        return float(text.replace(",", "."))
    return None


def _split(text: str) -> tuple[str, bool, float]:
    """Typed text as (digits and separators, negative, scale): sign, $ and suffix taken off."""
    text = text.strip(_TRIM)
    scale = 1.0
    suffix = _SUFFIX.fullmatch(text)
    if suffix:
        text, scale = suffix.group(1), SCALE[suffix.group(2)]
    negative = False
    text = text.removeprefix("$")  # a dollar amount typed with its sign: "$0.26"
    if text[:1] and _SIGN.fullmatch(text[:1]):
        negative, text = text[0] != "+", text[1:].removeprefix("$")  # "-$5"
    return text, negative, scale


def two_readings(response: Any) -> str | None:
    """For a number that reads two ways (500.000: 500 or 500000), a message naming both and how
    to type each; None for anything else. quiz.js's twoReadings words it the same."""
    if not isinstance(response, str):
        return None
    text = _split(response)[0]
    match = _TWO_WAYS.fullmatch(text)
    if not match:
        return None
    whole, digits = match.groups()
    kept = digits.rstrip("0")
    decimal = f"{whole}.{kept}" if kept else whole
    typed = f"{whole}.{digits}0" if kept == digits else decimal
    return (f"{text} reads two ways: {whole}{digits} (a thousands point) or {decimal} (a decimal "
            f"point). Type {whole},{digits} for the first or {typed} for the second.")


def parse_number(response: Any) -> float | None:
    """A learner's numeric answer, or None when it is not a number. Accepts '0.84', ' 0,84 ',
    '500,000', '500 000', '500k', '2.5M', '$0.26', 12, '1e3' (the rules above); refuses
    '500.000', which reads two ways (`two_readings`)."""
    if isinstance(response, bool):
        return None
    if isinstance(response, (int, float)):
        return float(response) if math.isfinite(response) else None
    if not isinstance(response, str):
        return None
    text, negative, scale = _split(response)
    if _TWO_WAYS.fullmatch(text):
        return None
    value = _unsigned(text, scale != 1.0)
    if value is None:
        return None
    value *= -scale if negative else scale
    return value if math.isfinite(value) else None


def _grade_single(q: Question, response: Any) -> Result:
    if not isinstance(response, int) or isinstance(response, bool) or not (
        0 <= response < len(q.options)
    ):
        return Result(False, answered=False, message="Choose an option first.")
    option = q.options[response]
    return Result(option.correct, option_feedback=((response, option.feedback),))


def _grade_multiple(q: Question, response: Any) -> Result:
    chosen = sorted({i for i in (response or ()) if isinstance(i, int) and 0 <= i < len(q.options)})
    if not chosen:
        return Result(False, answered=False, message="Select at least one option first.")
    right = {i for i, o in enumerate(q.options) if o.correct}
    correct = set(chosen) == right
    missed = len(right - set(chosen))
    message = ""
    if not correct and missed:
        message = f"You left out {missed} correct option{'s' if missed > 1 else ''}."
    return Result(correct, message=message,
                  option_feedback=tuple((i, q.options[i].feedback) for i in chosen))


def _grade_numeric(q: Question, response: Any) -> Result:
    value = parse_number(response)
    if value is None:
        return Result(False, answered=False,
                      message=two_readings(response) or "Enter a number. " + NUMBER_HELP)
    assert q.answer is not None and q.tolerance is not None
    if abs(value - q.answer) <= q.tolerance + 1e-12:
        return Result(True, message=q.feedback_correct)
    for miss in q.near_misses:
        if abs(value - miss.value) <= miss.tolerance + 1e-12:
            return Result(False, message=miss.feedback)
    return Result(False, message=q.feedback_incorrect)


def _grade_ordering(q: Question, response: Any) -> Result:
    order = list(response or ())
    n = len(q.items)
    if sorted(order) != list(range(n)):
        return Result(False, answered=False, message="Arrange all the items first.")
    if order == list(range(n)):
        return Result(True, message=q.feedback_correct)
    in_place = sum(1 for position, item in enumerate(order) if position == item)
    return Result(False, message=f"{q.feedback_incorrect} ({in_place} of {n} in the right place.)")


GRADERS = {
    "single": _grade_single,
    "multiple": _grade_multiple,
    "numeric": _grade_numeric,
    "ordering": _grade_ordering,
}


def grade(question: Question, response: Any) -> Result:
    """Grade a response to a question.

    Responses: ``single`` an option index; ``multiple`` an iterable of option indices;
    ``numeric`` a number or text; ``ordering`` the item indices (0 = first in the correct order)
    in the order the learner arranged them.
    """
    return GRADERS[question.type](question, response)


def score(results: Iterable[Result | None]) -> int:
    """How many of the results are correct."""
    return sum(1 for r in results if r is not None and r.correct)


def revisit_order(lessons: Iterable[str]) -> list[str]:
    """Lessons to revisit, each once, in the order the course teaches them (not the order the
    questions were missed in). Both views list "Lessons to revisit" in this order; the browser
    view gets it in the quiz's config (``lessonOrder``)."""
    wanted = set(lessons)
    taught = [lesson.slug for lesson in LESSONS]
    return [slug for slug in taught if slug in wanted] + sorted(wanted - set(taught))


def correct_response(question: Question) -> Any:
    """A response that grades as correct (for tests and 'show me' demos)."""
    if question.type == "single":
        return next(i for i, o in enumerate(question.options) if o.correct)
    if question.type == "multiple":
        return [i for i, o in enumerate(question.options) if o.correct]
    if question.type == "numeric":
        return question.answer
    return list(range(len(question.items)))


def shuffled_order(question: Question) -> Sequence[int]:
    """A deterministic, never-already-correct starting order for an ordering question."""
    import random

    n = len(question.items)
    rng = random.Random(question.id)
    order = list(range(n))
    while order == list(range(n)) and n > 1:
        rng.shuffle(order)
    return order
