"""LoRA on the generative model: the JSONL pairs and a tiny training run."""

from __future__ import annotations

import json

import pytest

from tune_or_prompt.approaches import lora as L
from tune_or_prompt.approaches import prompting as P
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.registry import TARGETS

# LoRA training of the generative model: the slowest tests of the suite.
pytestmark = [pytest.mark.models, pytest.mark.slow]


def test_pairs_hold_the_zero_shot_prompt_and_the_label_word():
    rows = load("tickets", "train")[:3]
    pairs = L.pairs("intent", rows)
    for row, pair in zip(rows, pairs, strict=True):
        assert pair["prompt"] == P.plain_prompt(TARGETS["intent"], [], row["text"], False)
        assert pair["prompt"].endswith("Answer:") and row["text"] in pair["prompt"]
        assert pair["completion"] == " " + TARGETS["intent"].answers[row["intent"]]


def test_jsonl_round_trip_and_errors_name_the_line(tmp_path):
    pairs = L.pairs("sentiment", load("reviews", "train")[:2])
    path = L.write_jsonl(pairs, tmp_path / "train.jsonl")
    assert [json.loads(line) for line in path.read_text().splitlines()] == pairs
    assert L.read_pairs(path) == pairs
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(pairs[0]) + "\n{oops\n")
    with pytest.raises(ValueError, match=r"bad.jsonl line 2: not valid JSON"):
        L.read_pairs(bad)
    bad.write_text(json.dumps({"prompt": "x"}) + "\n")
    with pytest.raises(ValueError, match=r"bad.jsonl line 1: no 'completion' field"):
        L.read_pairs(bad)


def test_tiny_lora_run_trains_only_adapters_and_leaves_the_shared_model_alone(tmp_path):
    import torch

    from tune_or_prompt.ground.models import load_generative

    shared = load_generative()
    before = {n: p.detach().clone() for n, p in shared.model.named_parameters()}
    result = L.lora_llm("sentiment", train_size=8, epochs=2, batch_size=4, progress=False)
    assert 0 < result.trainable_parameters < result.total_parameters / 100
    assert len(result.history) == 2 and all(r["train_loss"] > 0 for r in result.history)
    adapters = {n: p for n, p in result.loaded.model.named_parameters() if "lora_B" in n}
    assert adapters and any(p.abs().sum() > 0 for p in adapters.values())  # B starts at zero
    for name, param in shared.model.named_parameters():  # the cached model is untouched
        assert torch.equal(param, before[name]), name
    size = L.save_adapter(result, tmp_path / "adapter")
    assert 0 < size < 5_000_000
    rows = load("reviews", "test")[:4]
    run = P.run(result.loaded, "sentiment", rows, k=0, describe=False)  # prompting uses it as is
    assert run.scores.shape == (4, 2)


def test_loss_settling_tells_a_falling_curve_from_a_flat_one():
    falling = L.loss_settling([{"epoch": e, "train_loss": v}
                               for e, v in enumerate([7.7, 3.1, 1.4, 0.85, 0.52, 0.36], 1)])
    assert falling["first"] == 7.7 and falling["last"] == 0.36
    assert falling["last_drop"] == pytest.approx(0.16) and not falling["settled"]
    flat = L.loss_settling([{"epoch": e, "train_loss": v}
                            for e, v in enumerate([2.0, 0.5, 0.31, 0.30], 1)])
    assert flat["settled"]
    assert not L.loss_settling([{"epoch": 1, "train_loss": 1.0}])["settled"]


def test_compare_counts_in_rows():
    assert L.compare_counts(0.75, 0.5, 48) == "12 tickets more right than the best prompt"
    assert L.compare_counts(0.5, 0.52, 48) == "1 ticket fewer right than the best prompt"
    assert L.compare_counts(0.5, 0.5, 48) == "as many tickets right as the best prompt"
