"""`tune-or-prompt` on good and bad input."""

from __future__ import annotations

import json

import pytest
from cli_runner import in_process as cli
from cli_runner import subprocess_cli


def write(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def test_models_lists_the_registry():
    out = subprocess_cli("models")  # the installed entry point, in its own process
    assert out.returncode == 0
    assert "smollm2-135m-instruct" in out.stdout and "all-minilm-l6-v2" in out.stdout


@pytest.mark.parametrize(("lines", "message"), [
    (['{"text": "ok"}', "not json"], "line 2: not valid JSON"),
    (['{"text": "ok"}', '{"body": "no text here"}'], "line 2: no 'text' field"),
    (['["a", "list"]'], "line 1: expected a JSON object"),
    ([""], "no records"),
])
def test_prompt_rejects_bad_input_naming_the_line(tmp_path, lines, message):
    path = write(tmp_path / "in.jsonl", lines)
    out = cli("prompt", "--task", "reviews", "--input", str(path))
    assert out.returncode == 2
    assert message in out.stderr and str(path) in out.stderr
    assert "Traceback" not in out.stderr


def test_prompt_missing_file(tmp_path):
    out = subprocess_cli("prompt", "--task", "tickets", "--input", str(tmp_path / "nope.jsonl"))
    assert out.returncode == 2 and "no such file" in out.stderr


@pytest.mark.models
def test_prompt_tickets_writes_predictions_and_metrics(tmp_path):
    path = write(tmp_path / "in.jsonl", [
        json.dumps({"text": "My card was stolen and someone is using it right now!",
                    "intent": "lost_or_stolen_card", "urgent": True, "ref": 1}),
        json.dumps({"text": "How much is the fee for paying in euros?",
                    "intent": "fees_and_rates", "urgent": False, "ref": 2}),
    ])
    out_path = tmp_path / "out.jsonl"
    out = cli("prompt", "--task", "tickets", "--shots", "2", "--input", str(path),
              "--output", str(out_path))
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert [r["ref"] for r in records] == [1, 2]  # other fields kept, order kept
    from tune_or_prompt.ground.data import INTENTS

    assert all(r["prediction"] in INTENTS for r in records)
    assert all(r["prediction_urgent"] in ("urgent", "not urgent") for r in records)
    assert "intent: accuracy" in out.stdout and "urgent: accuracy" in out.stdout


@pytest.mark.models
def test_prompt_without_gold_prints_no_metrics(tmp_path):
    path = write(tmp_path / "in.jsonl", [json.dumps({"text": "Great kettle, boils fast."})])
    out = cli("prompt", "--task", "reviews", "--shots", "0", "--input", str(path))
    assert out.returncode == 0 and "accuracy" not in out.stdout
    assert "sentiment: 0-shot" in out.stdout


def test_finetune_rejects_bad_input_before_training(tmp_path):
    path = write(tmp_path / "in.jsonl", ['{"text": "fine"}', "{broken"])
    out = subprocess_cli("finetune", "--task", "tickets", "--input", str(path))
    assert out.returncode == 2 and "line 2: not valid JSON" in out.stderr


@pytest.mark.models
def test_finetune_reviews_end_to_end(tmp_path):
    path = write(tmp_path / "in.jsonl", [
        json.dumps({"text": "Wonderful, works perfectly, buying another.", "label": "positive"}),
        json.dumps({"text": "Broke on day two and the seller ignored me.", "label": "negative"})])
    out_path = tmp_path / "out.jsonl"
    out = cli("finetune", "--task", "reviews", "--train-size", "32", "--epochs", "2", "--quiet",
              "--input", str(path), "--output", str(out_path), "--save", str(tmp_path / "m"))
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert all(r["prediction"] in ("positive", "negative") for r in records)
    assert "sentiment: accuracy" in out.stdout
    assert (tmp_path / "m" / "sentiment" / "tune_or_prompt.json").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["finetune", "--task", "tickets", "--epochs", "0"], "argument --epochs: must be at least 1"),
    (["finetune", "--task", "tickets", "--train-size", "-5"], "--train-size: must be at least 0"),
    (["finetune", "--task", "tickets", "--min-recall", "1.5"], "--min-recall: must be a number"),
    (["prompt", "--task", "tickets", "--shots", "-1"], "argument --shots: must be at least 0"),
    (["prompt", "--task", "tickets", "--limit", "-147"], "argument --limit: must be at least 1"),
    (["prompt", "--task", "tickets", "--shots", "many"], "'many' is not a whole number"),
    (["compare", "--task", "reviews", "--usd-per-label", "nan"], "--usd-per-label: must be"),
    (["compare", "--task", "reviews", "--queries-per-day", "0"], "--queries-per-day: must be"),
])
def test_options_out_of_range_are_refused_in_one_line(args, message, cli_without_models):
    out = cli_without_models(*args)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(("content", "message"), [
    (b'{"text": "ok \\ud800"}\n', "line 1: field 'text' holds text that is not valid Unicode"),
    (b'{"text": "fine", "ref": "\\udfff"}\n', "line 1: field 'ref' holds text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "line 1: not valid UTF-8"),
    (b"[" * 100000 + b"\n", "line 1: nested too deeply"),
    (b'{"text": "card gone", "intent": ["a"]}\n', "line 1: field 'intent': [\"a\"] is not one"),
    (b'{"text": "ok"}\n{"text": "card gone", "intent": "nope"}\n',
     "line 2: field 'intent': \"nope\" is not one of the intent labels"),
    (b'{"text": "card gone", "urgent": "yes"}\n',
     "line 1: field 'urgent': \"yes\" must be true or false"),
])
def test_bad_input_is_refused_before_any_model_loads(tmp_path, content, message, cli_without_models):
    path = tmp_path / "in.jsonl"
    path.write_bytes(content)
    for command in ("prompt", "finetune"):
        out = cli_without_models(command, "--task", "tickets", "--input", str(path))
        assert out.returncode == 2, out.stderr
        assert f"{path} {message}" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_csv_input_with_a_broken_quote(tmp_path, cli_without_models):
    path = tmp_path / "in.csv"
    path.write_text('text,label\n"Lovely,positive\n', encoding="utf-8")
    out = cli_without_models("prompt", "--task", "reviews", "--input", str(path))
    assert out.returncode == 2 and f"{path} line 2: not valid CSV" in out.stderr


@pytest.mark.parametrize(("option", "target", "message"), [
    ("--output", "missing/out.jsonl", "the folder"),
    ("--output", ".", "is a folder, not a file"),
    ("--save", "afile", "exists and is not a folder"),
])
def test_unwritable_outputs_are_refused_before_any_work(tmp_path, option, target, message, cli_without_models):
    (tmp_path / "afile").write_text("x")
    data = write(tmp_path / "in.jsonl", ['{"text": "Lovely"}'])
    out = cli_without_models("finetune", "--task", "reviews", "--input", str(data), option,
                             target, cwd=tmp_path)
    assert out.returncode == 2 and f"{option} {target}: {message}" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_compare_out_that_is_a_file_is_refused(tmp_path, cli_without_models):
    (tmp_path / "afile").write_text("x")
    out = cli_without_models("compare", "--task", "reviews", "--out", str(tmp_path / "afile"))
    assert out.returncode == 2 and "exists and is not a folder" in out.stderr


def test_shots_beyond_the_context_are_refused_with_the_largest_that_fits():
    out = cli("prompt", "--task", "tickets", "--shots", "600", "--limit", "1")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "--shots 600: the prompt would take" in out.stderr
    assert "8,192-token context" in out.stderr and "at most" in out.stderr
    out = cli("prompt", "--task", "tickets", "--shots", "100000", "--limit", "1")
    assert out.returncode == 2 and "must be between 0 and" in out.stderr


@pytest.mark.models
def test_output_equal_to_input_with_a_long_record(tmp_path):
    """One record is far longer than the model reads: it is cut (and counted), every field of
    every record is kept. (Output equal to input is refused since issue #23: see
    test_outputs_safe.py; the output here is a second file.)"""
    path = write(tmp_path / "data.jsonl", [
        json.dumps({"text": "The kettle leaks and the handle melted. " * 3000, "ref": 1}),
        json.dumps({"text": "Great kettle, boils fast.", "label": "positive", "ref": 2})])
    out = cli("prompt", "--task", "reviews", "--shots", "0", "--input", str(path),
              "--output", str(tmp_path / "out.jsonl"))
    assert out.returncode == 0, out.stderr
    assert "1 record(s) longer than the model reads were cut to 1024 tokens" in out.stdout
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["ref"] for r in records] == [1, 2]
    assert len(records[0]["text"]) == len("The kettle leaks and the handle melted. " * 3000)
    assert all(r["prediction"] in ("positive", "negative") for r in records)
