"""`tune-or-prompt` on good and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "tune_or_prompt"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600)


def write(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def test_models_lists_the_registry():
    out = cli("models")
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
    out = cli("prompt", "--task", "tickets", "--input", str(tmp_path / "nope.jsonl"))
    assert out.returncode == 2 and "no such file" in out.stderr


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
    from tune_or_prompt.data import INTENTS

    assert all(r["prediction"] in INTENTS for r in records)
    assert all(r["prediction_urgent"] in ("urgent", "not urgent") for r in records)
    assert "intent: accuracy" in out.stdout and "urgent: accuracy" in out.stdout


def test_prompt_without_gold_prints_no_metrics(tmp_path):
    path = write(tmp_path / "in.jsonl", [json.dumps({"text": "Great kettle, boils fast."})])
    out = cli("prompt", "--task", "reviews", "--shots", "0", "--input", str(path))
    assert out.returncode == 0 and "accuracy" not in out.stdout
    assert "sentiment: 0-shot" in out.stdout


def test_finetune_rejects_bad_input_before_training(tmp_path):
    path = write(tmp_path / "in.jsonl", ['{"text": "fine"}', "{broken"])
    out = cli("finetune", "--task", "tickets", "--input", str(path))
    assert out.returncode == 2 and "line 2: not valid JSON" in out.stderr


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
