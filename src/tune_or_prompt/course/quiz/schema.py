"""The question bank: its schema, loading and validation.

Every problem found is reported with the file, the question id and the field, so an instructor
editing YAML by hand sees exactly what to fix (`tune-or-prompt quiz check`).

The bank is edited by hand and arrives in pull requests, so reading it must be safe against broken
or hostile files: a bank file is read with a restricted YAML loader (no anchors, aliases or tags,
no duplicate or non-text keys, bounded nesting, at most ``MAX_FILE_BYTES``), every value echoed in
a message is shortened, and every kind of mistake becomes a ``Problem``, never an exception.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal

import yaml

from tune_or_prompt.course.pages import BY_SLUG, LESSONS

from .render import foreign_urls

Difficulty = Literal["easy", "medium", "hard"]
QuestionType = Literal["single", "multiple", "numeric", "ordering"]

DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
TYPES: tuple[str, ...] = ("single", "multiple", "numeric", "ordering")
BANK_ENV = "TUNE_OR_PROMPT_BANK"
# \A and \Z, not ^ and $: "$" also matches before a final newline ("lesson/name\n").
ID_PATTERN = re.compile(r"\A[a-z0-9]+(-[a-z0-9]+)*/[a-z0-9]+(-[a-z0-9]+)*\Z")
BANK_SUFFIXES = (".yaml", ".yml")
SKIPPED_FOLDERS = {"_build"}  # and every hidden folder
MAX_FILE_BYTES = 1_000_000  # a lesson's bank file is about 20 kB
MAX_DEPTH = 32  # nesting of lists and mappings; a bank file needs 6
MAX_NUMBER_CHARS = 40  # a number longer than this is a mistake (and slow to convert)
SHORT = 60  # longest value echoed in a message

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
            where.append(f"question {short(self.question)}")
        if self.field:
            where.append(f"field {short(self.field)}")
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


def _brief(value: object, level: int) -> str:
    """A repr of ``value`` that looks at no more than 4 entries per container and ``level`` levels
    deep, and at no more than ``SHORT + 1`` characters of a text (so it is cheap for any size)."""
    if isinstance(value, (str, bytes, bytearray)):
        return repr(value[: SHORT + 1])
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        bits = value.bit_length()
        return repr(value) if bits <= 4 * SHORT else f"<a {bits}-bit number>"
    if isinstance(value, dict):
        if not value:
            return "{}"
        if level <= 0:
            return "{…}"
        parts = [f"{_brief(k, level - 1)}: {_brief(v, level - 1)}"
                 for k, v in islice(value.items(), 4)]
        return "{" + ", ".join(parts + ["…"] * (len(value) > 4)) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        left, right = ("[", "]") if isinstance(value, list) else ("(", ")") if isinstance(
            value, tuple) else ("{", "}")
        if not value:
            return left + right
        if level <= 0:
            return left + "…" + right
        parts = [_brief(v, level - 1) for v in islice(value, 4)]
        return left + ", ".join(parts + ["…"] * (len(value) > 4)) + right
    return f"<{type(value).__name__}>"


def short(value: object, limit: int = SHORT) -> str:
    """The repr of ``value`` shortened to at most ``limit`` characters (cut with "…"), computed
    without walking or copying more than a few entries however large the value is."""
    text = _brief(value, level=3)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bare(text: str, limit: int = 30) -> str:
    """``text`` with unprintable characters escaped, without quotes, cut to ``limit`` characters."""
    return repr(text[:limit])[1:-1] + ("…" if len(text) > limit else "")


class BankYAMLError(yaml.YAMLError):
    """A bank file uses a YAML feature the bank does not allow; the message says what and where."""


_YAML = "tag:yaml.org,2002:"
_KIND_OF_TAG = {_YAML + "bool": "true/false", _YAML + "int": "a number",
                _YAML + "float": "a number", _YAML + "null": "empty (null)"}


class _BankLoader(yaml.SafeLoader):
    """YAML's safe loader restricted to what a bank file needs.

    Refused, each with its line: anchors and aliases (so a "billion laughs" file cannot expand),
    tags (``!!binary``, ``!!set``, ...), nesting deeper than ``MAX_DEPTH``, keys that are not
    text, keys that appear twice in one mapping, and numbers longer than ``MAX_NUMBER_CHARS``.
    Dates, ``<<`` merge keys and ``=`` are read as plain text.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag in _KIND_OF_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise BankYAMLError(f"uses a YAML alias (*{_bare(event.anchor)}) at line {line}: "
                                "aliases are not allowed in the bank")
        if getattr(event, "anchor", None) is not None:
            raise BankYAMLError(f"uses a YAML anchor (&{_bare(event.anchor)}) at line {line}: "
                                "anchors and aliases are not allowed in the bank")
        if getattr(event, "tag", None) is not None:
            tag = "!!" + event.tag[len(_YAML):] if event.tag.startswith(_YAML) else event.tag
            raise BankYAMLError(f"uses a YAML tag ({_bare(tag)}) at line {line}: tags "
                                "are not allowed in the bank (quote a text instead)")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise BankYAMLError(f"nests lists and mappings more than {MAX_DEPTH} levels deep "
                                    f"(line {line})")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        lines: dict[str, int] = {}
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.SequenceNode):
                raise BankYAMLError(f"has a list as a key at line {line}: keys must be field names")
            if isinstance(key_node, yaml.MappingNode):
                raise BankYAMLError(f"has a mapping as a key at line {line}: keys must be field "
                                    "names")
            if key_node.tag != _YAML + "str":
                kind = _KIND_OF_TAG.get(key_node.tag, "not text")
                raise BankYAMLError(f"key {short(key_node.value)} at line {line} is read as {kind}"
                                    ", not text: keys must be field names (quote it if need be)")
            key = key_node.value
            if key in lines:
                raise BankYAMLError(f"key {short(key)} appears twice (line {lines[key]} and line "
                                    f"{line}): keep one")
            lines[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> Any:
        if len(node.value) > MAX_NUMBER_CHARS:
            raise BankYAMLError(f"has a number of {len(node.value)} characters at line "
                                f"{node.start_mark.line + 1}: at most {MAX_NUMBER_CHARS} are "
                                "allowed")
        return super().construct_yaml_int(node)


_BankLoader.add_constructor(_YAML + "int", _BankLoader.construct_yaml_int)
# YAML 1.1 (PyYAML) reads 5e-3 as text: a float needs a dot there. The bank reads it as a number,
# as YAML 1.2 and JSON do.
_BankLoader.add_implicit_resolver(
    _YAML + "float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def _read_yaml(path: Path) -> tuple[Any, str | None]:
    """The YAML document in ``path``, or None and the problem that stops it being read."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return None, f"cannot be read: {error.strerror or type(error).__name__}"
    if len(raw) > MAX_FILE_BYTES:
        return None, (f"is larger than {MAX_FILE_BYTES:,} bytes: a bank file is a lesson's "
                      "questions, about 20 kB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return None, f"is not valid UTF-8 (byte {error.start + 1}, line {line}): save it as UTF-8"
    loader = None
    try:
        loader = _BankLoader(text)
        loader.name = path.name  # named in YAML's own messages instead of "<unicode string>"
        return loader.get_single_data(), None
    except BankYAMLError as error:
        return None, str(error)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        position = getattr(error, "position", None)
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        elif isinstance(position, int):  # a ReaderError: an unacceptable character
            where = " (line {})".format(text.count("\n", 0, position) + 1)
        else:
            where = ""
        detail = str(error)
        if len(detail) > 400:
            detail = detail[:399] + "…"
        return None, f"is not valid YAML{where}: {detail}"
    finally:
        if loader is not None:
            loader.dispose()


def _unknown_keys(mapping: dict, known: set[str]) -> list[str]:
    """The keys of ``mapping`` not in ``known``, as field names, in a stable order."""
    return sorted(k if isinstance(k, str) else short(k) for k in mapping if k not in known)


class _Checker:
    """Collects problems for one file while building its questions."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, qid: str | None, field_name: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, qid, field_name, message))

    def text(self, data: dict, key: str, qid: str | None, prefix: str = "") -> str:
        value = data.get(key)
        if value is None:
            self.add(qid, prefix + key, "is missing")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(qid, prefix + key, f"must be non-empty text, not {short(value)}")
            return ""
        return value.strip()

    def optional_text(self, data: dict, key: str, qid: str | None) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.add(qid, key, f"must be text, not {short(value)}")
            return ""
        return value.strip()

    def number(self, data: dict, key: str, qid: str, prefix: str = "") -> float | None:
        value = data.get(key)
        if value is None:
            self.add(qid, prefix + key, "is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.add(qid, prefix + key, f"must be a number, not {short(value)}")
            return None
        number = float(value) if isinstance(value, float) or value.bit_length() < 1000 else math.inf
        if not math.isfinite(number):
            self.add(qid, prefix + key, f"must be a finite number, not {short(value)}")
            return None
        return number

    def texts(
        self, data: dict, key: str, qid: str, minimum: int = 1, prefix: str = ""
    ) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            self.add(qid, prefix + key, "is missing")
            return ()
        if not isinstance(value, list):
            self.add(qid, prefix + key, f"must be a list of non-empty texts, not {short(value)}")
            return ()
        good = []
        for i, entry in enumerate(value):
            if isinstance(entry, str) and entry.strip():
                good.append(entry.strip())
            else:
                self.add(qid, f"{prefix}{key}[{i + 1}]",
                         f"must be non-empty text, not {short(entry)}")
        if len(value) < minimum:
            self.add(qid, prefix + key, f"needs at least {minimum} entries, has {len(value)}")
        return tuple(good)

    def choice(self, data: dict, key: str, qid: str, allowed: tuple[str, ...]) -> str | None:
        value = data.get(key)
        if isinstance(value, str) and value in allowed:
            return value
        found = "it is missing" if value is None else f"not {short(value)}"
        self.add(qid, key, f"must be one of {', '.join(allowed)}, {found}")
        return None


def _parse_question(raw: Any, index: int, lesson: str | None, check: _Checker) -> Question | None:
    """One question; ``lesson`` is the file's lesson, None when the file names no known lesson."""
    if not isinstance(raw, dict):
        check.add(f"#{index + 1}", None,
                  f"a question must be a mapping of fields, not {short(raw)}")
        return None
    qid = raw.get("id")
    if not isinstance(qid, str) or not qid.strip():
        found = "" if qid is None else f" ({short(qid)} is not one)"
        check.add(f"#{index + 1}", "id", f"is missing: every question needs a stable id{found}")
        qid = f"#{index + 1}"
    elif not ID_PATTERN.fullmatch(qid):
        check.add(qid, "id", "must look like '<lesson>/<kebab-case-name>'")
    elif lesson is not None and qid.split("/")[0] != lesson:
        check.add(qid, "id", f"must start with the file's lesson '{lesson}/'")

    qtype = check.choice(raw, "type", qid, TYPES)
    difficulty = check.choice(raw, "difficulty", qid, DIFFICULTIES)
    if qtype is None:
        return None

    for key in _unknown_keys(raw, COMMON_KEYS | TYPE_KEYS[qtype]):
        check.add(qid, key, f"is not a field of a {qtype} question (typo?)")

    prompt = check.text(raw, "prompt", qid)
    hint = check.text(raw, "hint", qid)
    mirrors = check.optional_text(raw, "mirrors", qid)
    mistakes = check.texts(raw, "mistakes", qid)

    sol_raw = raw.get("solution")
    if not isinstance(sol_raw, dict):
        if sol_raw is None:
            check.add(qid, "solution", "is missing: give steps, answer and check")
        else:
            check.add(qid, "solution", f"must be a mapping with steps, answer and check, not "
                      f"{short(sol_raw)}")
        solution = Solution((), "", "")
    else:
        for key in _unknown_keys(sol_raw, {"steps", "answer", "check"}):
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
        lesson=lesson or "",
        difficulty=difficulty or "easy",  # type: ignore[arg-type]
        type=qtype,  # type: ignore[arg-type]
        prompt=prompt,
        hint=hint,
        solution=solution,
        mistakes=mistakes,
        mirrors=mirrors,
        source=check.file,
        **extra,
    )


def _parse_options(raw: Any, qid: str, qtype: str, check: _Checker) -> tuple[Option, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        found = "" if raw is None else f", not {short(raw)}"
        check.add(qid, "options", f"needs a list of at least two options{found}")
        return ()
    options = []
    for i, opt in enumerate(raw):
        where = f"options[{i + 1}]"
        if not isinstance(opt, dict):
            check.add(qid, where, f"must be a mapping with text, correct and feedback, not "
                      f"{short(opt)}")
            continue
        for key in _unknown_keys(opt, {"text", "correct", "feedback"}):
            check.add(qid, f"{where}.{key}", "is not a field of an option (typo?)")
        text = opt.get("text")
        feedback = opt.get("feedback")
        correct = opt.get("correct", False)
        if not isinstance(text, str) or not text.strip():
            check.add(qid, f"{where}.text", "is missing" if text is None
                      else f"must be non-empty text, not {short(text)}")
            text = ""
        if not isinstance(feedback, str) or not feedback.strip():
            check.add(qid, f"{where}.feedback", "is missing: say why this option is right or wrong"
                      if feedback is None else f"must be non-empty text, not {short(feedback)}")
            feedback = ""
        if not isinstance(correct, bool):
            check.add(qid, f"{where}.correct", f"must be true or false, not {short(correct)}")
            correct = False
        options.append(Option(text.strip(), correct, feedback.strip()))
    n_correct = sum(o.correct for o in options)
    if qtype == "single" and n_correct != 1:
        check.add(qid, "options", f"a single-choice question needs exactly one correct option, "
                  f"has {n_correct}")
    if qtype == "multiple" and n_correct == 0:
        check.add(qid, "options", "a multiple-select question needs at least one correct option")
    texts = [o.text for o in options if o.text]
    if len(set(texts)) != len(texts):
        check.add(qid, "options", "two options have the same text")
    return tuple(options)


def _parse_feedback_pair(raw: dict, qid: str, check: _Checker) -> dict[str, str]:
    feedback = raw.get("feedback")
    if not isinstance(feedback, dict):
        if feedback is None:
            check.add(qid, "feedback", "is missing: give feedback.correct and feedback.incorrect")
        else:
            check.add(qid, "feedback", f"must be a mapping with correct and incorrect, not "
                      f"{short(feedback)}")
        return {"feedback_correct": "", "feedback_incorrect": ""}
    for key in _unknown_keys(feedback, {"correct", "incorrect"}):
        check.add(qid, f"feedback.{key}", "is not a feedback field (use correct / incorrect)")
    return {f"feedback_{key}": check.text(feedback, key, qid, prefix="feedback.")
            for key in ("correct", "incorrect")}


def _parse_numeric(raw: dict, qid: str, check: _Checker) -> dict[str, Any]:
    answer = check.number(raw, "answer", qid)
    if raw.get("tolerance") is None:
        check.add(qid, "tolerance", "is missing: a numeric answer needs a tolerance (e.g. 0.005)")
        tolerance = None
    else:
        tolerance = check.number(raw, "tolerance", qid)
        if tolerance is not None and tolerance < 0:
            check.add(qid, "tolerance", "must not be negative")
    unit = check.optional_text(raw, "unit", qid)
    near = []
    near_raw = raw.get("near_misses")
    if near_raw is None:
        near_raw = []
    elif not isinstance(near_raw, list):
        check.add(qid, "near_misses", f"must be a list, not {short(near_raw)}")
        near_raw = []
    for i, miss in enumerate(near_raw):
        where = f"near_misses[{i + 1}]"
        if not isinstance(miss, dict):
            check.add(qid, where, f"must be a mapping with value, tolerance and feedback, not "
                      f"{short(miss)}")
            continue
        for key in _unknown_keys(miss, {"value", "tolerance", "feedback"}):
            check.add(qid, f"{where}.{key}", "is not a field of a near miss (typo?)")
        value = check.number(miss, "value", qid, prefix=where + ".")
        tol = 0.0 if "tolerance" not in miss else check.number(miss, "tolerance", qid,
                                                                 prefix=where + ".")
        if tol is not None and tol < 0:
            check.add(qid, f"{where}.tolerance", "must not be negative")
        text = check.text(miss, "feedback", qid, prefix=where + ".")
        if value is None or tol is None:
            continue
        if answer is not None and tolerance is not None and abs(value - answer) <= tolerance + tol:
            check.add(qid, where, f"value {value} overlaps the correct answer {answer}")
        near.append(NearMiss(value, tol, text))
    return {
        "answer": answer,
        "tolerance": tolerance,
        "unit": unit,
        "near_misses": tuple(near),
        **_parse_feedback_pair(raw, qid, check),
    }


def parse_bank_file(path: Path) -> tuple[list[Question], list[Problem]]:
    """Parse one bank file; returns its questions and every problem found.

    Never raises for any content: a file that cannot be read, is not UTF-8, is too large, is not
    valid YAML or uses YAML the bank refuses (anchors, aliases, tags, duplicate keys...) gives one
    problem; a readable file gives a problem per mistake, each naming question and field."""
    name = str(path)
    data, problem = _read_yaml(path)
    if problem is not None:
        return [], [Problem(name, None, None, problem)]
    check = _Checker(name)
    if not isinstance(data, dict):
        found = "it is empty" if data is None else f"not {short(data)}"
        return [], [Problem(name, None, None,
                            f"must be a mapping with 'lesson' and 'questions', {found}")]
    for key in _unknown_keys(data, {"lesson", "title", "questions"}):
        check.add(None, key, "is not a top-level field (use lesson, title, questions)")
    known = ", ".join(BY_SLUG)
    raw_lesson = data.get("lesson")
    lesson: str | None = None
    if raw_lesson is None:
        check.add(None, "lesson", f"is missing: give the lesson's slug (one of {known})")
    elif not isinstance(raw_lesson, str) or raw_lesson not in BY_SLUG:
        check.add(None, "lesson",
                  f"must be one of the course's lessons ({known}), not {short(raw_lesson)}")
    else:
        lesson = raw_lesson
        if path.name != BY_SLUG[lesson].bank_file:
            check.add(None, "lesson", f"lesson {lesson!r} belongs in {BY_SLUG[lesson].bank_file}")
    check.optional_text(data, "title", None)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        found = "" if raw_questions is None else f", not {short(raw_questions)}"
        check.add(None, "questions", f"must be a non-empty list of questions{found}")
        return [], check.problems
    questions = [
        q for i, raw in enumerate(raw_questions) if (q := _parse_question(raw, i, lesson, check))
    ]
    for raw in raw_questions:
        if isinstance(raw, dict):
            qid = raw.get("id") if isinstance(raw.get("id"), str) else None
            _check_urls(raw, qid, "", check)
    return questions, check.problems


def _check_urls(value: Any, qid: str | None, where: str, check: _Checker) -> None:
    """Every image and link in the question's text must be one of the course's own files."""
    if isinstance(value, str):
        for kind, url in foreign_urls(value):
            check.add(qid, where or None, f"{kind} {short(url)} is not one of the course's own "
                      "files: the site loads nothing from other hosts (use a relative path)")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_urls(item, qid, f"{where}.{key}" if where else str(key), check)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_urls(item, qid, f"{where}[{i}]", check)


def _duplicate_ids(questions: Iterable[Question]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for q in questions:
        if q.id in seen:
            problems.append(Problem(q.source, q.id, "id", f"is used twice (also in {seen[q.id]})"))
        else:
            seen[q.id] = q.source
    return problems


def _bank_files(folder: Path, problems: list[Problem]) -> list[Path]:
    """The ``*.yaml`` / ``*.yml`` files in ``folder`` and every folder below it, skipping hidden
    folders and files and ``_build``. Links are reported, not followed (a link in a pull request
    must not make the checker read, and echo, a file outside the course)."""

    def unreadable(error: OSError) -> None:
        where = error.filename or str(folder)
        problems.append(Problem(str(where), None, None,
                                f"cannot be read: {error.strerror or type(error).__name__}"))

    found = []
    for root, dirs, names in os.walk(folder, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        for name in sorted(names):
            if name.startswith(".") or not name.endswith(BANK_SUFFIXES):
                continue
            file = Path(root, name)
            if file.is_symlink():
                problems.append(Problem(str(file), None, None,
                                        "is a symbolic link: bank files must be plain files"))
            elif file.is_file():
                found.append(file)
    return found


def _kind(path: Path) -> str:
    """'dir', 'file', 'other', 'missing', or why the path cannot be examined."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as error:
        return f"cannot be read: {error.strerror or type(error).__name__}"
    return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"


def check_paths(paths: Iterable[Path]) -> tuple[list[Question], list[Problem]]:
    """Validate bank files (or folders of them, searched recursively) together; returns the
    questions and every problem of every file: one bad file never stops the others."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        kind = _kind(path)
        if kind == "dir":
            found = _bank_files(path, problems)
            if not found:
                problems.append(Problem(str(path), None, None,
                                        "holds no .yaml bank files (in it or any folder below)"))
            files.extend(found)
        elif kind == "file":
            files.append(path)
        elif kind == "missing":
            problems.append(Problem(str(path), None, None, "does not exist"))
        elif kind == "other":
            problems.append(Problem(str(path), None, None, "is not a file or a folder"))
        else:
            problems.append(Problem(str(path), None, None, kind))
    questions: list[Question] = []
    checked: set[str] = set()
    for file in files:
        real = os.path.realpath(file)
        if real in checked:  # named twice, e.g. `quiz check quizzes quizzes/bank`
            continue
        checked.add(real)
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
    files = _bank_files(root, []) if root.is_dir() else [root]
    return Bank(questions, files)
