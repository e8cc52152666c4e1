"""Properties of the bank checker: no input, however broken or hostile, makes it raise.

`parse_bank_file` must turn every mistake into a `Problem` that starts with the file's path; these
tests feed it arbitrary bytes, YAML-like text, arbitrary YAML documents (mixed-type keys, any value
anywhere) and mutations of a valid bank file.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from properties import examples
from quiz_samples import all_samples

from tune_or_prompt.course.quiz.schema import Problem, Question, parse_bank_file

SETTINGS = settings(max_examples=examples(200), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

VALID = {"lesson": "two-ways", "questions": all_samples()}
VALID_TEXT = yaml.safe_dump(VALID, sort_keys=False)


@pytest.fixture(scope="module")
def bank_file(tmp_path_factory) -> Path:
    """One file, rewritten by every example (the name the lesson `two-ways` expects)."""
    return tmp_path_factory.mktemp("properties") / "01-two-ways.yaml"


def check(path: Path, content: bytes) -> tuple[list[Question], list[Problem]]:
    """Write ``content`` and parse it: the result must be well formed whatever the content."""
    path.write_bytes(content)
    questions, problems = parse_bank_file(path)
    assert isinstance(questions, list) and isinstance(problems, list)
    assert all(isinstance(q, Question) for q in questions)
    for problem in problems:
        assert isinstance(problem, Problem)
        text = str(problem)
        assert text.startswith(f"{path}: "), text
        assert len(text) < len(str(path)) + 1000, text  # values echoed are shortened
    if not problems:
        assert questions, "a file without problems must hold questions"
    return questions, problems


def test_the_valid_sample_has_no_problems(bank_file):
    questions, problems = check(bank_file, VALID_TEXT.encode())
    assert problems == [] and len(questions) == 4


@SETTINGS
@given(content=st.binary(max_size=3000))
def test_arbitrary_bytes(bank_file, content):
    check(bank_file, content)


YAML_PIECES = [":", ": ", "-", "- ", "[", "]", "{", "}", ",", "?", "? ", "&a", "*a", "!", "!!",
               "|", ">", "'", '"', "#", "%", "@", "`", "\n", "\n  ", "  ", "\t", "\\", "~", "<<",
               "lesson", "two-ways", "questions", "id", "type", "single", "options", "text",
               "correct", "true", "yes", "null", "3", "0x1f", "1:2", "1e999", ".nan", "2001-13-45",
               "=", "\ufeff", "\x00", "\x85", "é", "\U0001f600", "\\ud800"]


@SETTINGS
@given(pieces=st.lists(st.sampled_from(YAML_PIECES), max_size=60))
def test_yaml_like_text(bank_file, pieces):
    check(bank_file, "".join(pieces).encode("utf-8"))


SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=20) | st.sampled_from(["two-ways", "single", "easy", "two-ways/x"]))
KEYS = (st.text(max_size=10) | st.integers() | st.booleans() | st.none()
        | st.floats(allow_nan=False)
        | st.tuples(st.integers(), st.text(max_size=3))
        | st.sampled_from(["id", "type", "lesson", "questions", "options", "feedback", "correct"]))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)
QUESTION_LIKE = st.dictionaries(
    st.sampled_from(["id", "difficulty", "type", "prompt", "hint", "solution", "mistakes",
                     "options", "answer", "tolerance", "unit", "feedback", "near_misses", "items",
                     "mirrors"]) | KEYS, VALUES, max_size=8)
DOCUMENTS = VALUES | st.fixed_dictionaries(
    {"lesson": st.sampled_from(["two-ways", "cooking"]) | VALUES,
     "questions": st.lists(QUESTION_LIKE | VALUES, max_size=4) | VALUES},
    optional={"title": VALUES, "extra": VALUES})


def dump(document: object, flow: bool | None, unicode: bool) -> bytes:
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=flow,
                          allow_unicode=unicode).encode("utf-8")


@SETTINGS
@given(document=DOCUMENTS, flow=st.sampled_from([False, True, None]), unicode=st.booleans())
def test_arbitrary_yaml_documents(bank_file, document, flow, unicode):
    check(bank_file, dump(document, flow, unicode))


def paths_in(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every path (a tuple of keys and indexes) to a node below ``value``."""
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(
        value, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths_in(child, (*prefix, key)))
    return found


SAMPLE_PATHS = paths_in(VALID)
DELETE = object()


def replace(document: dict, path: tuple, value: object) -> dict:
    """``document`` with the node at ``path`` replaced by ``value`` (or deleted), in place."""
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


def changed(path: tuple, value: object) -> dict:
    """A copy of the valid sample with one node replaced (or deleted)."""
    return replace(copy.deepcopy(VALID), path, value)


@SETTINGS
@given(changes=st.lists(st.tuples(st.sampled_from(SAMPLE_PATHS), st.just(DELETE) | VALUES),
                        min_size=1, max_size=3),
       flow=st.sampled_from([False, True, None]))
def test_valid_sample_with_any_value_anywhere(bank_file, changes, flow):
    document = copy.deepcopy(VALID)
    for path, value in changes:
        try:
            replace(document, path, value)
        except (KeyError, IndexError, TypeError):  # an earlier change removed or replaced the path
            continue
    check(bank_file, dump(document, flow, True))


SNIPPETS = ["&a ", "*a", "&a [1, 2]", "!!binary aGk=", "!!int x", "? [a, b]\n: c", "? {a: 1}\n: b",
            "<<: {hint: x}", "yes: 1", "3: x", "null: x", "id: x", "type: single", "type: essay",
            "correct: maybe", "lesson: [a]", "answer: 1:2:3", "answer: 0x" + "f" * 60, "\t", "\x00",
            "'", '"', "{", "[", "- ", ":", "\ufeff", "---", "...", "%YAML 1.1", "[" * 50,
            "- " * 40 + "x", "text: " + "x" * 5000]


@st.composite
def mutated_sample(draw) -> bytes:
    lines = VALID_TEXT.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(lines)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "replace", "indent"]))
        if kind == "insert":
            indent = " " * draw(st.integers(0, 8))
            lines.insert(where, indent + draw(st.sampled_from(SNIPPETS)) + "\n")
        elif lines and kind in ("delete", "duplicate", "indent", "replace"):
            where = min(where, len(lines) - 1)
            if kind == "delete":
                del lines[where]
            elif kind == "duplicate":
                lines.insert(where, lines[where])
            elif kind == "indent":
                lines[where] = " " * draw(st.integers(1, 4)) + lines[where]
            else:
                line = lines[where]
                key, sep, _ = line.partition(": ")
                value = draw(st.sampled_from(SNIPPETS) | st.text(max_size=10))
                lines[where] = f"{key}{sep or ': '}{value}\n"
    content = "".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(content)))
        content = content[:cut] + draw(st.binary(max_size=4)) + content[cut + 1:]
    return content


@SETTINGS
@given(content=mutated_sample())
def test_mutations_of_a_valid_file(bank_file, content):
    check(bank_file, content)


# --- deterministic: every field of every sample, given a value of the wrong type --------------

WRONG_VALUES = {"mapping": {"zz": [1, {"y": None}]}, "nested-list": [[]], "true": True}


def field_name(path: tuple) -> str:
    """How a problem names the field at ``path`` below a question: options[2].feedback, ..."""
    name = ""
    for key in path:
        name += f"[{key + 1}]" if isinstance(key, int) else f".{key}" if name else key
    return name


CASES = [(path, kind) for path in SAMPLE_PATHS if path[0] == "questions" and len(path) > 2
         for kind in WRONG_VALUES
         # true is a valid value for an option's `correct`
         if not (kind == "true" and re.fullmatch(r"options\[\d+\]\.correct", field_name(path[2:])))]


@pytest.mark.parametrize(("path", "kind"), CASES,
                         ids=[f"q{p[1] + 1}.{field_name(p[2:])}:{k}" for p, k in CASES])
def test_a_wrong_type_in_any_field_is_named(bank_file, path, kind):
    field = field_name(path[2:])
    _, problems = check(bank_file, dump(changed(path, WRONG_VALUES[kind]), False, True))
    question = VALID["questions"][path[1]]["id"] if path[2] != "id" else f"#{path[1] + 1}"
    named = [p for p in problems if p.question == question and p.field is not None
             and (p.field == field or p.field.startswith((field + ".", field + "[")))]
    assert named, f"no problem names question {question!r} and field {field!r}: " + "\n".join(
        map(str, problems))
    assert str(named[0]).startswith(f"{bank_file}: question {question!r}: field ")
