"""The question bank: its schema, loading and validation.

Every problem found is reported with the file, the question id and the field, so an instructor
editing YAML by hand sees exactly what to fix (`tune-or-prompt quiz check`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..course import BY_SLUG, LESSONS

Difficulty = Literal["easy", "medium", "hard"]
QuestionType = Literal["single", "multiple", "numeric", "ordering"]

DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
TYPES: tuple[str, ...] = ("single", "multiple", "numeric", "ordering")
BANK_ENV = "TUNE_OR_PROMPT_BANK"
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*/[a-z0-9]+(-[a-z0-9]+)*$")

COMMON_KEYS = {"id", "difficulty", "type", "mirrors", "prompt", "hint", "solution", "mistakes"}
TYPE_KEYS: dict[str, set[str]] = {
    "single": {"options"},
    "multiple": {"options"},
    "numeric": {"answer", "tolerance", "unit", "feedback", "near_misses"},
    "ordering": {"items", "feedback"},
}


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class NearMiss:
    value: float
    tolerance: float
    feedback: str


@dataclass(frozen=True)
class Solution:
    steps: tuple[str, ...]
    answer: str
    check: str


@dataclass(frozen=True)
class Question:
    """One validated question. Which fields are used depends on ``type``."""

    id: str
    lesson: str
    difficulty: Difficulty
    type: QuestionType
    prompt: str
    hint: str
    solution: Solution
    mistakes: tuple[str, ...]
    options: tuple[Option, ...] = ()
    answer: float | None = None
    tolerance: float | None = None
    unit: str = ""
    near_misses: tuple[NearMiss, ...] = ()
    items: tuple[str, ...] = ()
    feedback_correct: str = ""
    feedback_incorrect: str = ""
    mirrors: str = ""
    source: str = ""


@dataclass
class Bank:
    """All questions of the bank, in lesson order."""

    questions: list[Question]
    files: list[Path] = field(default_factory=list)

    def by_lesson(self, slug: str) -> list[Question]:
        return [q for q in self.questions if q.lesson == slug]

    def get(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bank file."""

    file: str
    question: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.question:
            where.append(f"question {self.question!r}")
        if self.field:
            where.append(f"field {self.field!r}")
        return ": ".join(where) + f": {self.message}"


class BankError(ValueError):
    """The bank has problems; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The question bank has {len(problems)} problem(s):\n{lines}")


def find_bank_dir(start: Path | None = None) -> Path:
    """Locate ``quizzes/bank``: $TUNE_OR_PROMPT_BANK, else upwards from the working directory,
    else upwards from this package (an editable install inside the course repository)."""
    override = os.environ.get(BANK_ENV)
    if override:
        return Path(override)
    starts = [start or Path.cwd(), Path(__file__).resolve()]
    for origin in starts:
        for folder in [origin, *origin.parents]:
            candidate = folder / "quizzes" / "bank"
            if candidate.is_dir():
                return candidate
    raise FileNotFoundError(
        "Cannot find the question bank (quizzes/bank). Run from inside the course folder, "
        f"or set {BANK_ENV} to the folder that holds the bank's YAML files."
    )


class _Checker:
    """Collects problems for one file while building its questions."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, qid: str | None, field_name: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, qid, field_name, message))

    def text(self, data: dict, key: str, qid: str, prefix: str = "") -> str:
        value = data.get(key)
        if value is None:
            self.add(qid, prefix + key, "is missing")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(qid, prefix + key, "must be non-empty text")
            return ""
        return value.strip()

    def number(self, data: dict, key: str, qid: str, prefix: str = "") -> float | None:
        value = data.get(key)
        if value is None:
            self.add(qid, prefix + key, "is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value
        ):
            self.add(qid, prefix + key, f"must be a number, not {value!r}")
            return None
        return float(value)

    def texts(
        self, data: dict, key: str, qid: str, minimum: int = 1, prefix: str = ""
    ) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            self.add(qid, prefix + key, "is missing")
            return ()
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v.strip() for v in value
        ):
            self.add(qid, prefix + key, "must be a list of non-empty texts")
            return ()
        if len(value) < minimum:
            self.add(qid, prefix + key, f"needs at least {minimum} entries, has {len(value)}")
        return tuple(v.strip() for v in value)


def _parse_question(raw: Any, index: int, lesson: str, check: _Checker) -> Question | None:
    if not isinstance(raw, dict):
        check.add(f"#{index + 1}", None, "a question must be a mapping of fields")
        return None
    qid = raw.get("id")
    if not isinstance(qid, str) or not qid.strip():
        check.add(f"#{index + 1}", "id", "is missing: every question needs a stable id")
        qid = f"#{index + 1}"
    elif not ID_PATTERN.match(qid):
        check.add(qid, "id", "must look like '<lesson>/<kebab-case-name>'")
    elif qid.split("/")[0] != lesson:
        check.add(qid, "id", f"must start with the file's lesson '{lesson}/'")

    qtype = raw.get("type")
    if qtype not in TYPES:
        check.add(qid, "type", f"must be one of {', '.join(TYPES)}, not {qtype!r}")
        return None
    difficulty = raw.get("difficulty")
    if difficulty not in DIFFICULTIES:
        check.add(qid, "difficulty", f"must be one of {', '.join(DIFFICULTIES)}, not {difficulty!r}")

    for key in sorted(set(raw) - COMMON_KEYS - TYPE_KEYS[qtype]):
        check.add(qid, key, f"is not a field of a {qtype} question (typo?)")

    prompt = check.text(raw, "prompt", qid)
    hint = check.text(raw, "hint", qid)
    mirrors = raw.get("mirrors") or ""
    if not isinstance(mirrors, str):
        check.add(qid, "mirrors", "must be text")
        mirrors = ""
    mistakes = check.texts(raw, "mistakes", qid)

    sol_raw = raw.get("solution")
    if not isinstance(sol_raw, dict):
        check.add(qid, "solution", "is missing: give steps, answer and check")
        solution = Solution((), "", "")
    else:
        for key in sorted(set(sol_raw) - {"steps", "answer", "check"}):
            check.add(qid, f"solution.{key}", "is not a field of a solution (typo?)")
        solution = Solution(
            check.texts(sol_raw, "steps", qid, prefix="solution."),
            check.text(sol_raw, "answer", qid, prefix="solution."),
            check.text(sol_raw, "check", qid, prefix="solution."),
        )

    extra: dict[str, Any] = {}
    if qtype in ("single", "multiple"):
        extra["options"] = _parse_options(raw.get("options"), qid, qtype, check)
    elif qtype == "numeric":
        extra.update(_parse_numeric(raw, qid, check))
    else:
        items = check.texts(raw, "items", qid, minimum=3)
        if len(set(items)) != len(items):
            check.add(qid, "items", "must not repeat an item")
        extra["items"] = items
        extra.update(_parse_feedback_pair(raw, qid, check))

    return Question(
        id=qid,
        lesson=lesson,
        difficulty=difficulty if difficulty in DIFFICULTIES else "easy",
        type=qtype,
        prompt=prompt,
        hint=hint,
        solution=solution,
        mistakes=mistakes,
        mirrors=mirrors.strip(),
        source=check.file,
        **extra,
    )


def _parse_options(raw: Any, qid: str, qtype: str, check: _Checker) -> tuple[Option, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        check.add(qid, "options", "needs a list of at least two options")
        return ()
    options = []
    for i, opt in enumerate(raw):
        where = f"options[{i + 1}]"
        if not isinstance(opt, dict):
            check.add(qid, where, "must be a mapping with text, correct and feedback")
            continue
        for key in sorted(set(opt) - {"text", "correct", "feedback"}):
            check.add(qid, f"{where}.{key}", "is not a field of an option (typo?)")
        text = opt.get("text")
        feedback = opt.get("feedback")
        correct = opt.get("correct", False)
        if not isinstance(text, str) or not text.strip():
            check.add(qid, f"{where}.text", "is missing")
            text = ""
        if not isinstance(feedback, str) or not feedback.strip():
            check.add(qid, f"{where}.feedback", "is missing: say why this option is right or wrong")
            feedback = ""
        if not isinstance(correct, bool):
            check.add(qid, f"{where}.correct", f"must be true or false, not {correct!r}")
            correct = False
        options.append(Option(str(text).strip(), correct, str(feedback).strip()))
    n_correct = sum(o.correct for o in options)
    if qtype == "single" and n_correct != 1:
        check.add(qid, "options", f"a single-choice question needs exactly one correct option, "
                  f"has {n_correct}")
    if qtype == "multiple" and n_correct == 0:
        check.add(qid, "options", "a multiple-select question needs at least one correct option")
    texts = [o.text for o in options]
    if len(set(texts)) != len(texts):
        check.add(qid, "options", "two options have the same text")
    return tuple(options)


def _parse_feedback_pair(raw: dict, qid: str, check: _Checker) -> dict[str, str]:
    feedback = raw.get("feedback")
    if not isinstance(feedback, dict):
        check.add(qid, "feedback", "is missing: give feedback.correct and feedback.incorrect")
        return {"feedback_correct": "", "feedback_incorrect": ""}
    for key in sorted(set(feedback) - {"correct", "incorrect"}):
        check.add(qid, f"feedback.{key}", "is not a feedback field (use correct / incorrect)")
    out = {}
    for key in ("correct", "incorrect"):
        value = feedback.get(key)
        if not isinstance(value, str) or not value.strip():
            check.add(qid, f"feedback.{key}", "is missing")
            value = ""
        out[f"feedback_{key}"] = value.strip()
    return out


def _parse_numeric(raw: dict, qid: str, check: _Checker) -> dict[str, Any]:
    answer = check.number(raw, "answer", qid)
    if raw.get("tolerance") is None:
        check.add(qid, "tolerance", "is missing: a numeric answer needs a tolerance (e.g. 0.005)")
        tolerance = None
    else:
        tolerance = check.number(raw, "tolerance", qid)
        if tolerance is not None and tolerance < 0:
            check.add(qid, "tolerance", "must not be negative")
    unit = raw.get("unit") or ""
    if not isinstance(unit, str):
        check.add(qid, "unit", "must be text")
        unit = ""
    near = []
    near_raw = raw.get("near_misses") or []
    if not isinstance(near_raw, list):
        check.add(qid, "near_misses", "must be a list")
        near_raw = []
    for i, miss in enumerate(near_raw):
        where = f"near_misses[{i + 1}]"
        if not isinstance(miss, dict):
            check.add(qid, where, "must be a mapping with value, tolerance and feedback")
            continue
        value = check.number(miss, "value", qid, prefix=where + ".")
        tol = check.number(miss, "tolerance", qid, prefix=where + ".") if "tolerance" in miss else 0.0
        text = check.text(miss, "feedback", qid, prefix=where + ".")
        if value is None or tol is None:
            continue
        if answer is not None and tolerance is not None and abs(value - answer) <= tolerance + tol:
            check.add(qid, where, f"value {value} overlaps the correct answer {answer}")
        near.append(NearMiss(value, tol, text))
    return {
        "answer": answer,
        "tolerance": tolerance,
        "unit": unit.strip(),
        "near_misses": tuple(near),
        **_parse_feedback_pair(raw, qid, check),
    }


def parse_bank_file(path: Path) -> tuple[list[Question], list[Problem]]:
    """Parse one bank file; returns its questions and every problem found."""
    name = str(path)
    check = _Checker(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return [], [Problem(name, None, None, f"is not valid YAML{where}: {error}")]
    except OSError as error:
        return [], [Problem(name, None, None, f"cannot be read: {error}")]
    if not isinstance(data, dict):
        return [], [Problem(name, None, None, "must be a mapping with 'lesson' and 'questions'")]
    for key in sorted(set(data) - {"lesson", "title", "questions"}):
        check.add(None, key, "is not a top-level field (use lesson, title, questions)")
    lesson = data.get("lesson")
    if lesson not in BY_SLUG:
        known = ", ".join(BY_SLUG)
        check.add(None, "lesson", f"must be one of the course's lessons ({known}), not {lesson!r}")
        lesson = str(lesson)
    elif path.name != BY_SLUG[lesson].bank_file:
        check.add(None, "lesson", f"lesson {lesson!r} belongs in {BY_SLUG[lesson].bank_file}")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        check.add(None, "questions", "must be a non-empty list of questions")
        return [], check.problems
    questions = [
        q for i, raw in enumerate(raw_questions) if (q := _parse_question(raw, i, lesson, check))
    ]
    return questions, check.problems


def _duplicate_ids(questions: Iterable[Question]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for q in questions:
        if q.id in seen:
            problems.append(Problem(q.source, q.id, "id", f"is used twice (also in {seen[q.id]})"))
        else:
            seen[q.id] = q.source
    return problems


def check_paths(paths: Iterable[Path]) -> tuple[list[Question], list[Problem]]:
    """Validate bank files (or folders of them) together; returns questions and all problems."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
            if not found:
                problems.append(Problem(str(path), None, None, "holds no .yaml bank files"))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(str(path), None, None, "does not exist"))
    questions: list[Question] = []
    for file in files:
        qs, probs = parse_bank_file(file)
        questions.extend(qs)
        problems.extend(probs)
    problems.extend(_duplicate_ids(questions))
    return questions, problems


def load_bank(path: str | Path | None = None) -> Bank:
    """Load and validate the whole bank (or one file); raises BankError listing every problem."""
    root = Path(path) if path else find_bank_dir()
    questions, problems = check_paths([root])
    if problems:
        raise BankError(problems)
    order = {lesson.slug: i for i, lesson in enumerate(LESSONS)}
    questions.sort(key=lambda q: order.get(q.lesson, len(order)))
    files = sorted(root.glob("*.yaml")) if root.is_dir() else [root]
    return Bank(questions, files)
