"""Quizzes from one question bank, graded the same in a live kernel and on the static site.

>>> from tune_or_prompt.course.quiz import lesson_quiz
>>> lesson_quiz("measuring")          # in a notebook: a widget live, self-grading HTML on the site
"""

from __future__ import annotations

import random
from typing import Any

from tune_or_prompt.course import html_view
from tune_or_prompt.course.pages import BY_SLUG, LESSONS

from .grading import Result, correct_response, grade, revisit_order
from .payload import lesson_links, question_payload
from .schema import Bank, BankError, Problem, Question, check_paths, find_bank_dir, load_bank

__all__ = [
    "Bank", "BankError", "Problem", "Question", "Quiz", "Result", "check_paths", "correct_response",
    "find_bank_dir", "grade", "lesson_quiz", "load_bank", "progress", "test_yourself",
]

STORAGE_PREFIX = "top-quiz:v1:"
TEST_YOURSELF_ID = "test-yourself"
TEST_YOURSELF_PAGE = "quizzes/test-yourself"


class Quiz:
    """A list of questions shown as an ipywidgets quiz live and as HTML on the static site."""

    def __init__(self, questions: list[Question], quiz_id: str, title: str,
                 mode: str = "lesson", root_prefix: str = "../"):
        if not questions:
            raise ValueError(f"Quiz {quiz_id!r} has no questions.")
        self.questions = questions
        self.quiz_id = quiz_id
        self.title = title
        self.mode = mode
        self.root_prefix = root_prefix
        self._widget: Any = None

    def config(self) -> dict[str, Any]:
        """What the browser view needs: rendered questions and the answer data, from the bank."""
        return {
            "quiz": self.quiz_id,
            "title": self.title,
            "mode": "sequential" if self.mode == "sequential" else "lesson",
            "storageKey": STORAGE_PREFIX + self.quiz_id,
            "questions": [question_payload(q) for q in self.questions],
            "lessons": lesson_links(self.root_prefix),
            "lessonOrder": revisit_order(q.lesson for q in self.questions),
        }

    def to_html(self) -> str:
        return html_view.render(self.config(), f"Quiz: {self.title}")

    def widget(self) -> Any:
        """The live ipywidgets view (built on first use)."""
        if self._widget is None:
            from .widget import QuizWidget, SequentialQuizWidget

            if self.mode == "sequential":
                self._widget = SequentialQuizWidget(self.questions, self.title,
                                                    lesson_links(self.root_prefix))
            else:
                self._widget = QuizWidget(self.questions, self.title)
        return self._widget

    @property
    def score(self) -> int:
        """Questions answered correctly in the live view."""
        return self.widget().score

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # Built by hand: ipywidgets 7 (Colab's) has no _repr_mimebundle_, ipywidgets 8 does.
        return {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2, "version_minor": 0, "model_id": self.widget().box.model_id,
            },
            "text/html": self.to_html(),
            "text/plain": f"Quiz {self.title!r}: {len(self.questions)} questions",
        }

    def __repr__(self) -> str:
        return f"<Quiz {self.quiz_id!r}: {len(self.questions)} questions>"


def lesson_quiz(slug: str, bank: Bank | None = None) -> Quiz:
    """The quiz of one lesson (all its questions, in bank order)."""
    if slug not in BY_SLUG:
        raise KeyError(f"No lesson {slug!r}; lessons are: {', '.join(BY_SLUG)}")
    bank = bank or load_bank()
    lesson = BY_SLUG[slug]
    return Quiz(bank.by_lesson(slug), slug, f"Lesson {lesson.number} quiz: {lesson.title}")


def draw(bank: Bank, n: int = 10, seed: int = 0) -> list[Question]:
    """Draw ``n`` questions across easy/medium/hard (about 3:4:3), spread over the lessons."""
    rng = random.Random(seed)
    shares = {"easy": 0.3, "medium": 0.4, "hard": 0.3}
    wanted = {d: round(n * s) for d, s in shares.items()}
    wanted["medium"] += n - sum(wanted.values())
    picked: list[Question] = []
    per_lesson: dict[str, int] = {}
    for difficulty, count in wanted.items():
        pool = [q for q in bank.questions if q.difficulty == difficulty]
        rng.shuffle(pool)
        for _ in range(min(count, len(pool))):
            best = min(pool, key=lambda q: per_lesson.get(q.lesson, 0))
            pool.remove(best)
            picked.append(best)
            per_lesson[best.lesson] = per_lesson.get(best.lesson, 0) + 1
    return picked


def test_yourself(n: int = 10, seed: int = 0, bank: Bank | None = None) -> Quiz:
    """A mixed quiz, one question at a time, ending with a score by difficulty."""
    bank = bank or load_bank()
    return Quiz(draw(bank, n, seed), TEST_YOURSELF_ID, "Test yourself", mode="sequential")


test_yourself.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


class Progress:
    """The "My progress" table of every quiz, read from the browser's storage (static site only)."""

    def __init__(self, bank: Bank, n_test: int = 10):
        self.quizzes = [
            {"id": lesson.slug, "title": f"Quiz {lesson.number}: {lesson.title}",
             "href": f"../{lesson.quiz_page}.html", "total": len(bank.by_lesson(lesson.slug)),
             "storageKey": STORAGE_PREFIX + lesson.slug, "kind": "lesson"}
            for lesson in LESSONS if bank.by_lesson(lesson.slug)
        ]
        self.quizzes.append({"id": TEST_YOURSELF_ID, "title": "Test yourself",
                             "href": f"../{TEST_YOURSELF_PAGE}.html", "total": n_test,
                             "storageKey": STORAGE_PREFIX + TEST_YOURSELF_ID,
                             "kind": "sequential"})

    def _repr_html_(self) -> str:
        return html_view.render({"mode": "progress", "quizzes": self.quizzes}, "My progress")

    def __repr__(self) -> str:
        return "<My progress: shown on the course site, where quiz answers are kept>"


def progress(bank: Bank | None = None) -> Progress:
    return Progress(bank or load_bank())
