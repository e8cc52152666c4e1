"""A learner's own labelled data: the registry, reading and splitting it, refusing bad files, and
the CLI's prompt, finetune and compare on a CSV with other field names (tests/data holds a small
dataset the course does not ship: 120 help-desk messages of a fictional library)."""

from __future__ import annotations

import csv
import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from cli_runner import in_process

from tune_or_prompt.ground import registry as tasks
from tune_or_prompt.ground.data import from_file, load, split_sizes
from tune_or_prompt.ground.records import InputError

LIBRARY = Path(__file__).parent / "data" / "library_desk.csv"
FIELDS = ["--text-field", "message", "--label-field", "category"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return in_process(*args)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_the_library_file_is_registered_split_and_stratified():
    found = from_file(LIBRARY, "message", "category")
    assert found.name == "library-desk" and tasks.dataset("library-desk") is found
    t = tasks.target("library-desk")
    assert t.labels == ("account_access", "lost_or_damaged", "renewal", "room_booking")
    assert t.field == "category" and t.rare is None
    assert split_sizes("library-desk") == {"train": 72, "validation": 24, "test": 24}
    for split in ("train", "validation", "test"):
        counts = Counter(r["category"] for r in load("library-desk", split))
        assert len(set(counts.values())) == 1  # the same number of each label in every split
    test = load("library-desk", "test")
    assert all(r["text"] == r["message"] for r in test)  # the models read 'text'
    again = from_file(LIBRARY, "message", "category")  # same seed, same split
    assert [r["id"] for r in load("library-desk", "test")] == [r["id"] for r in test]
    assert again.source == str(LIBRARY)
    other = from_file(LIBRARY, "message", "category", seed=1)
    assert [r["id"] for r in load(other.name, "test")] != [r["id"] for r in test]


def test_a_rare_binary_label_gets_the_rare_class_policy(tmp_path):
    rows = [["text", "label"]] + [[f"fine message number {i}", "ok"] for i in range(40)] + [
        [f"alarming message number {i}", "alert"] for i in range(6)]
    found = from_file(write_csv(tmp_path / "alerts.csv", rows))
    assert tasks.target(found.name).rare == "alert"


def test_a_learner_cannot_replace_a_bundled_dataset(tmp_path):
    path = write_csv(tmp_path / "tickets.csv",
                     [["text", "label"]] + [[f"text {i} {lab}", lab] for i in range(4)
                                            for lab in ("a", "b")])
    found = from_file(path)
    assert found.name == "tickets-yours" and tasks.dataset("tickets").source == "bundled"
    with pytest.raises(ValueError, match="bundled dataset"):
        tasks.register(tasks.Dataset("tickets", ("x",), source="mine.csv"), [])


GOOD = [[f"message {i} about {lab}", lab] for i in range(5) for lab in ("a", "b")]


@pytest.mark.parametrize(("rows", "message"), [
    ([["text", "label"]] + [[f"t{i}", "a"] for i in range(8)],
     "field 'label' has only one label ('a')"),
    ([["text", "label"]] + GOOD + [["rare one", "c"], ["rare two", "c"], ["rare three", "c"]],
     "label 'c' has 3 example(s) (lines 12, 13, 14); each label needs at least 4"),
    ([["text", "label"]] + GOOD + [["  ", "a"]], "line 12: field 'text' must be non-empty"),
    ([["text", "label"]] + GOOD + [["no label here", ""]],
     "line 12: field 'label' must be a non-empty label"),
    ([["text", "category"]] + GOOD, "line 2: no 'label' field"),
    ([["message", "label"]] + GOOD, "line 2: no 'text' field"),
])
def test_bad_csv_data_is_refused_naming_file_line_and_field(tmp_path, rows, message):
    path = write_csv(tmp_path / "mine.csv", rows)
    with pytest.raises(InputError) as caught:
        from_file(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_the_same_text_in_two_splits_is_refused(tmp_path):
    rows = [{"text": f"message {i} {lab}", "label": lab, "split": split}
            for i, split in enumerate(["train", "train", "validation", "test"])
            for lab in ("a", "b")]
    rows.append({"text": "Message 0  A", "label": "a", "split": "test"})  # case and spacing
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(InputError, match=r"line 9: the same text is in the test split and, at "
                       r"line 1, in the train split"):
        from_file(path)
    rows[-1]["split"] = "later"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(InputError, match="line 9: field 'split' must be one of"):
        from_file(path)


def test_label_rules_go_into_the_prompt_and_must_match_the_labels(tmp_path):
    from tune_or_prompt.approaches import prompting as P

    data = write_csv(tmp_path / "mine.csv", [["text", "label"]] + GOOD)
    rules = tmp_path / "labels.yaml"
    rules.write_text("a: the first kind\nb: the second kind\n", encoding="utf-8")
    found = from_file(data, labels=rules)
    header = P.header(tasks.target(found.name))
    assert "- a: the first kind" in header and "- b: the second kind" in header
    rules.write_text("a: the first kind\n", encoding="utf-8")
    with pytest.raises(InputError, match="no rule for label\\(s\\) 'b'"):
        from_file(data, labels=rules)
    rules.write_text("a: x\nb: y\nc: z\n", encoding="utf-8")
    with pytest.raises(InputError, match="label\\(s\\) 'c' never occur"):
        from_file(data, labels=rules)
    rules.write_text("[not, a, mapping]", encoding="utf-8")
    with pytest.raises(InputError, match="expected a mapping"):
        from_file(data, labels=rules)


def test_cli_refuses_bad_data_before_any_model_loads(tmp_path, cli_without_models):
    broken = tmp_path / "broken.csv"
    broken.write_text('text,label\n"Lovely kettle,positive\n', encoding="utf-8")
    for command in ("prompt", "finetune", "compare"):
        out = cli_without_models(command, "--data", str(broken))
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert f"{broken} line 2: not valid CSV" in out.stderr, out.stderr
    few = write_csv(tmp_path / "few.csv", [["text", "label"]] + GOOD + [["x y", "c"]])
    out = cli_without_models("finetune", "--data", str(few), "--method", "head")
    assert out.returncode == 2 and "label 'c' has 1 example(s) (line 12)" in out.stderr


@pytest.mark.models
def test_cli_finetune_head_on_a_csv_with_other_field_names(tmp_path):
    """Embeddings + a classifier on the library's training split, then predictions for a CSV
    whose text field is 'message': every input field is kept and 'prediction' added."""
    out_path = tmp_path / "predicted.csv"
    out = cli("finetune", "--data", str(LIBRARY), *FIELDS, "--method", "head", "--train-size", "0",
              "--quiet", "--input", str(LIBRARY), "--output", str(out_path))
    assert out.returncode == 0, out.stderr
    assert "dataset 'library-desk' from library_desk.csv" in out.stdout
    assert "72 train, 24 validation, 24 test" in out.stdout
    assert "library-desk: accuracy" in out.stdout  # the input has gold labels: scored
    with open(out_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 120 and list(rows[0])[:3] == ["message_id", "message", "category"]
    labels = {"account_access", "lost_or_damaged", "renewal", "room_booking"}
    assert {r["prediction"] for r in rows} <= labels
    right = sum(r["prediction"] == r["category"] for r in rows)
    assert right / len(rows) > 0.5  # four labels: chance is 0.25


@pytest.mark.models
def test_cli_prompt_and_compare_on_the_library_data(tmp_path):
    out = cli("prompt", "--data", str(LIBRARY), *FIELDS, "--shots", "0", "--limit", "4")
    assert out.returncode == 0, out.stderr
    assert "library-desk: 0-shot" in out.stdout and "library-desk: accuracy" in out.stdout
    out = cli("compare", "--data", str(LIBRARY), *FIELDS, "--out", str(tmp_path / "o"),
              "--n-test", "8", "--n-validation", "8", "--shots", "0", "--train-size", "16",
              "--epochs", "1", "--no-curve")
    assert out.returncode == 0, out.stderr
    table = (tmp_path / "o" / "table.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in table[1:]] == ["prompting", "fine-tuning",
                                                          "embeddings + classifier"]
    measured = json.loads((tmp_path / "o" / "measurements.json").read_text())
    assert {side["task"] for side in measured.values()} == {"library-desk"}
    assert all(len(side["details"]["library-desk"]["answers"]) == 8
               for side in measured.values())
