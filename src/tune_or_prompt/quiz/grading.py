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

from ..course import LESSONS
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


# The same pattern as quiz.js, so both views accept exactly the same answers.
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_number(response: Any) -> float | None:
    """A learner's numeric answer, or None. Accepts '0.84', ' 0,84 ', 12, '1e3'."""
    if isinstance(response, bool):
        return None
    if isinstance(response, (int, float)):
        return float(response) if math.isfinite(response) else None
    if isinstance(response, str):
        text = response.strip().replace(",", ".")
        if not NUMBER.match(text):
            return None
        value = float(text)
        return value if math.isfinite(value) else None
    return None


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
        return Result(False, answered=False, message="Enter a number, e.g. 0.25.")
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
