"""The question bank: the real bank's content rules, and clear errors for malformed banks."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from cli_runner import in_process
from quiz_samples import all_samples, sample, write_bank

from tune_or_prompt.course.pages import LESSONS
from tune_or_prompt.course.quiz import BankError, check_paths, load_bank
from tune_or_prompt.course.quiz.grading import correct_response, grade
from tune_or_prompt.course.quiz.schema import MAX_FILE_BYTES, parse_bank_file

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
    assert "Traceback" not in ok.stderr + fail.stderr
    assert f"{bad}: question 'two-ways/sample-single': field 'options'" in fail.stderr


def test_bank_counts_are_reported(bank):
    counts = Counter((q.lesson, q.difficulty) for q in bank.questions)
    assert all(counts[(lesson.slug, d)] >= 1 for lesson in LESSONS
               for d in ("easy", "medium", "hard"))


# --- hostile and broken input: every mistake is a Problem naming the file, never a traceback ---


def bank_text(questions: list[dict], lesson: object = "two-ways") -> str:
    return yaml.safe_dump({"lesson": lesson, "questions": questions}, sort_keys=False)


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line of ``text`` containing ``fragment``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def only_problem(path: Path) -> str:
    """Check ``path`` alone; it must give exactly one problem, which names the file."""
    _, problems = check_paths([path])
    assert len(problems) == 1, "\n".join(map(str, problems))
    text = str(problems[0])
    assert text.startswith(f"{path}: "), text
    return text


# Runs check_paths in a child process with a memory cap, so that a regression (the alias bomb
# expanding to ~10^9 elements) fails the test by timeout instead of hanging or exhausting CI.
BOUNDED_CHECK = """
import sys, time
from pathlib import Path
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
except (ImportError, ValueError, OSError):
    pass
from tune_or_prompt.course.quiz import check_paths
start = time.perf_counter()
_, problems = check_paths([Path(sys.argv[1])])
print(f"{time.perf_counter() - start:.3f}")
print("\\n".join(map(str, problems)))
"""


def check_in_child(path: Path) -> tuple[float, str]:
    result = subprocess.run([sys.executable, "-c", BOUNDED_CHECK, str(path)],
                            capture_output=True, text=True, timeout=30)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    elapsed, _, problems = result.stdout.partition("\n")
    return float(elapsed), problems


LAUGHS = "laughs: [&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol], " + ", ".join(
    f"&a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)) + "]\n"


def with_value(field: str, value: str) -> str:
    """A bank whose sample question has ``value`` (YAML source) as ``field``; ``correct`` is the
    first option's."""
    question = sample("single")
    if field == "correct":
        question["options"][0]["correct"] = "PLACEHOLDER"
    else:
        question[field] = "PLACEHOLDER"
    return bank_text([question]).replace("PLACEHOLDER", value)


@pytest.mark.parametrize("field", ["difficulty", "type", "correct"])
def test_alias_bomb_is_refused_quickly(tmp_path, field):
    """A "billion laughs" value (9 levels of 9 aliases) once hung the checker for minutes while
    it built a repr of 10^9 elements for the error message."""
    path = tmp_path / "01-two-ways.yaml"
    path.write_text(LAUGHS + with_value(field, "*a9"))
    elapsed, problems = check_in_child(path)
    assert elapsed < 1.0
    assert problems.splitlines() == [
        f"{path}: uses a YAML anchor (&a0) at line 1: "
        "anchors and aliases are not allowed in the bank"]


@pytest.mark.parametrize("field", ["difficulty", "type", "correct"])
def test_alias_is_refused_with_its_line(tmp_path, field):
    path = tmp_path / "01-two-ways.yaml"
    path.write_text(text := with_value(field, "*laugh"))
    line = line_of(text, "*laugh")
    assert only_problem(path) == (f"{path}: uses a YAML alias (*laugh) at line {line}: "
                                  "aliases are not allowed in the bank")


def test_huge_values_are_shortened_in_messages(tmp_path):
    path = write_bank(tmp_path, [sample("single", difficulty="x" * 100_000,
                                        type=["single"] * 20_000, id="y" * 100_000)])
    _, problems = check_paths([path])
    assert {p.field for p in problems} == {"id", "difficulty", "type"}
    for problem in problems:
        assert len(str(problem)) < len(str(path)) + 250, str(problem)
    assert "…" in str(problems[0])


@pytest.mark.parametrize("lesson", [["two-ways"], {"slug": "two-ways"}], ids=["list", "map"])
def test_lesson_of_the_wrong_type(tmp_path, lesson):
    path = write_bank(tmp_path, [sample("single", difficulty="tricky")], lesson=lesson)
    _, problems = check_paths([path])
    assert [(p.question, p.field) for p in problems] == [
        (None, "lesson"), ("two-ways/sample-single", "difficulty")]
    assert str(problems[0]).startswith(f"{path}: field 'lesson': must be one of the course's")
    assert str(problems[0]).endswith(f"not {lesson!r}")


MIXED_KEYS = [
    # (YAML added after the question's `type: single` line, the problem's message after the line)
    ("3: x\n  zzz: y", "key '3' at line {line} is read as a number, not text"),
    ("yes: x\n  zzz: y", "key 'yes' at line {line} is read as true/false, not text"),
    ("? [a, b]\n  : x\n  zzz: y", "has a list as a key at line {line}"),
    ("? {a: b}\n  : x", "has a mapping as a key at line {line}"),
]


@pytest.mark.parametrize(("added", "message"), MIXED_KEYS, ids=[m[0][:6] for m in MIXED_KEYS])
def test_keys_that_are_not_text(tmp_path, added, message):
    path = tmp_path / "01-two-ways.yaml"
    text = bank_text([sample("single")]).replace("  type: single\n", f"  type: single\n  {added}\n")
    path.write_text(text)
    line = line_of(text, "type: single") + 1
    assert only_problem(path).startswith(f"{path}: {message.format(line=line)}")


def test_top_level_key_that_is_not_text(tmp_path):
    path = tmp_path / "01-two-ways.yaml"
    path.write_text("1: one\nextra: two\n" + bank_text([sample("single")]))
    assert "key '1' at line 1 is read as a number" in only_problem(path)


@pytest.mark.parametrize(("old", "new", "key"), [
    ("lesson: two-ways\n", "lesson: two-ways\nlesson: prompting\n", "lesson"),
    ("  type: single\n", "  type: single\n  type: multiple\n", "type"),
    ("  - text: Prompting\n", "  - text: Prompting\n    text: Fine-tuning\n", "text"),
], ids=["top", "question", "option"])
def test_duplicate_keys_are_refused(tmp_path, old, new, key):
    path = tmp_path / "01-two-ways.yaml"
    text = bank_text([sample("single")]).replace(old, new, 1)
    path.write_text(text)
    first = line_of(text, old.strip())
    assert only_problem(path) == (f"{path}: key {key!r} appears twice "
                                  f"(line {first} and line {first + 1}): keep one")


def test_id_with_a_trailing_newline_is_refused(tmp_path):
    """`re.match` with "$" accepted the id, and it differed from the same id without the newline,
    so the duplicate-id check missed it too."""
    path = tmp_path / "01-two-ways.yaml"
    text = bank_text([sample("single"), sample("single")])
    newline_id = '- id: "two-ways/sample-single\\n"'  # YAML's escape: the id ends in a newline
    path.write_text(text.replace("- id: two-ways/sample-single", newline_id, 1))
    assert only_problem(path) == (f"{path}: question 'two-ways/sample-single\\n': field 'id': "
                                  "must look like '<lesson>/<kebab-case-name>'")


def test_invalid_utf8_names_file_and_byte(tmp_path):
    path = tmp_path / "01-two-ways.yaml"
    path.write_bytes(b"lesson: two-ways\nquestions:\n  - id: two-ways/caf\xe9\n")
    assert only_problem(path) == f"{path}: is not valid UTF-8 (byte 49, line 3): save it as UTF-8"


def test_oversized_file_is_not_parsed(tmp_path):
    path = tmp_path / "01-two-ways.yaml"
    path.write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    assert "is larger than 1,000,000 bytes" in only_problem(path)


def write_broken_bank(folder: Path) -> dict[str, str]:
    """One bank folder with a different mistake in each file: {file name: part of its problem}."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "01-two-ways.yaml").write_text(bank_text([sample("single")], lesson=["two-ways"]))
    (folder / "02-prompting.yaml").write_bytes(b"lesson: prompting\nquestions: \xff\n")
    (folder / "03-fine-tuning.yaml").write_text(LAUGHS + "lesson: fine-tuning\n")
    question = sample("single", id="measuring/x")
    question[7] = "int key"
    (folder / "04-measuring.yaml").write_text(bank_text([question], lesson="measuring"))
    write_bank(folder, [sample("single", id="choosing/x", difficulty="tricky")],
               lesson="choosing", name="05-choosing.yaml")
    return {"01-two-ways.yaml": "field 'lesson'", "02-prompting.yaml": "is not valid UTF-8",
            "03-fine-tuning.yaml": "anchors and aliases are not allowed",
            "04-measuring.yaml": "is read as a number", "05-choosing.yaml": "field 'difficulty'"}


def test_one_bad_file_does_not_stop_the_others(tmp_path):
    expected = write_broken_bank(tmp_path)
    _, problems = check_paths([tmp_path])
    for name, phrase in expected.items():
        assert any(p.file == str(tmp_path / name) and phrase in str(p) for p in problems), name
    result = in_process("quiz", "check", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for name, phrase in expected.items():
        assert f"{tmp_path / name}: " in result.stderr and phrase in result.stderr


def test_cli_reports_invalid_utf8_without_traceback(tmp_path):
    path = tmp_path / "01-two-ways.yaml"
    path.write_bytes(b"lesson: two-ways\n\x80\n")
    result = in_process("quiz", "check", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{path}: is not valid UTF-8 (byte 18, line 2)" in result.stderr


def test_folders_are_searched_recursively(tmp_path):
    write_bank(tmp_path / "deep" / "er", [sample("single")])
    write_bank(tmp_path / "shallow", [sample("multiple", id="prompting/m")], lesson="prompting",
               name="02-prompting.yaml")
    for skipped in (".hidden", "_build"):  # copies there must not be checked
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "01-two-ways.yaml").write_text("broken: [")
    questions, problems = check_paths([tmp_path, tmp_path / "deep"])  # a file named twice: once
    assert problems == []
    assert sorted(q.id for q in questions) == ["prompting/m", "two-ways/sample-single"]
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    assert only_problem(empty).endswith("holds no .yaml bank files (in it or any folder below)")


def test_links_in_a_bank_folder_are_reported_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password: hunter2\n")
    bank = tmp_path / "bank"
    write_bank(bank, [sample("single")])
    try:
        (bank / "02-prompting.yaml").symlink_to(secret)
    except OSError:
        pytest.skip("cannot create symbolic links here")
    questions, problems = check_paths([bank])
    assert len(questions) == 1
    assert [str(p) for p in problems] == [
        f"{bank / '02-prompting.yaml'}: is a symbolic link: bank files must be plain files"]


def test_cli_check_of_the_quizzes_folder_finds_the_whole_bank(bank):
    result = in_process("quiz", "check", "quizzes", cwd=ROOT)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: {len(bank.questions)} questions")


def test_every_problem_of_a_file_names_it(tmp_path):
    path = write_bank(tmp_path, [sample("numeric", answer=[1], tolerance={"a": 1}, unit=3,
                                        near_misses="close", mistakes=[1, ""], hint=True)])
    questions, problems = parse_bank_file(path)
    assert len(questions) == 1
    fields = {p.field for p in problems}
    assert {"answer", "tolerance", "unit", "near_misses", "mistakes[1]", "mistakes[2]",
            "hint"} <= fields
    assert all(str(p).startswith(f"{path}: question 'two-ways/sample-numeric': field ")
               for p in problems)
