"""Fine-tuning: it really trains, saves and reloads, LoRA is small, metrics are right."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tune_or_prompt.approaches import finetuning as F
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.models import load_encoder
from tune_or_prompt.ground.scores import classification_report
from tune_or_prompt.measure.costs import cpu_cost_per_1000, token_cost_per_1000

VAL = load("tickets", "validation")[:24]

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def tiny():
    return F.finetune("intent", train_size=48, epochs=3, batch_size=8, val_rows=VAL,
                      progress=False)


def test_training_changes_the_weights_and_lowers_the_loss(tiny):
    original = load_encoder(labels=list(tiny.labels)).model
    name = "bert.encoder.layer.0.attention.self.query.weight"
    before = dict(original.named_parameters())[name]
    after = dict(tiny.model.named_parameters())[name]
    assert not torch.allclose(before, after)
    losses = [row["train_loss"] for row in tiny.history]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert tiny.history[-1]["val_loss"] < tiny.history[0]["val_loss"]
    assert tiny.train_size == 48 and tiny.train_seconds > 0
    assert tiny.trainable_parameters == tiny.total_parameters  # full fine-tuning


def test_save_and_reload_give_identical_predictions(tiny, tmp_path):
    texts = [r["text"] for r in load("tickets", "test")[:10]]
    F.save(tiny, tmp_path / "model")
    again = F.load_finetuned(tmp_path / "model")
    np.testing.assert_allclose(F.probabilities(again, texts), F.probabilities(tiny, texts),
                               atol=1e-6)
    assert F.predict(again, texts) == F.predict(tiny, texts)
    assert again.history == tiny.history


def test_lora_trains_a_small_adapter(tmp_path):
    lora = F.finetune("sentiment", train_size=16, epochs=1, batch_size=8, method="lora",
                      val_rows=load("reviews", "validation")[:8], progress=False)
    assert lora.trainable_parameters < 0.01 * lora.total_parameters
    F.save(lora, tmp_path / "adapter")
    again = F.load_finetuned(tmp_path / "adapter")
    texts = ["Great value, would buy again.", "Fell apart in a week."]
    np.testing.assert_allclose(F.probabilities(again, texts), F.probabilities(lora, texts),
                               atol=1e-5)
    assert F.folder_size(tmp_path / "adapter") < 5_000_000  # full model: ~90 MB


def test_threshold_tuning_reaches_the_recall_on_its_rows():
    urgent = F.finetune("urgent", train_size=32, epochs=1, batch_size=8, val_rows=VAL,
                        progress=False)
    rows = load("tickets", "validation")
    threshold = F.tune_threshold(urgent, rows, min_recall=0.9)
    report = F.evaluate(urgent, rows)
    assert 0 <= threshold <= 1 and report["per_class"]["urgent"]["recall"] >= 0.9


def test_latency_is_measured_per_prediction(tiny):
    stats = F.measure_latency(tiny, ["where is my card", "I was charged twice"] * 3)
    assert 0 < stats["latency_median_s"] <= stats["latency_p95_s"]
    assert stats["cpu_s_per_1000"] > 0


def test_metrics_against_hand_computed_values():
    # The seed's matrix: 80 yes->yes, 20 yes->no, 15 no->yes, 85 no->no.
    gold = ["yes"] * 100 + ["no"] * 100
    pred = ["yes"] * 80 + ["no"] * 20 + ["yes"] * 15 + ["no"] * 85
    report = classification_report(gold, pred, ["yes", "no"])
    assert report["accuracy"] == pytest.approx(165 / 200)
    assert report["per_class"]["yes"]["precision"] == pytest.approx(80 / 95)
    assert report["per_class"]["yes"]["recall"] == pytest.approx(0.8)
    f1_yes = 2 * (80 / 95) * 0.8 / (80 / 95 + 0.8)
    f1_no = 2 * (85 / 105) * 0.85 / (85 / 105 + 0.85)
    assert report["macro_f1"] == pytest.approx((f1_yes + f1_no) / 2)
    assert report["confusion"] == [[80, 20], [15, 85]]
    assert cpu_cost_per_1000(3.6) == pytest.approx(0.045)  # 1 CPU-hour per 1,000 at $0.045/h
    # 1,000 requests of 1,000 input tokens, no answer, no thinking: a million input tokens.
    from tune_or_prompt.measure.costs import PRICES, SMALL_API

    assert token_cost_per_1000(1000, 0, reasoning_tokens=0) == pytest.approx(
        PRICES.token_prices(SMALL_API)[0])


def test_overfitting_turn_finds_where_validation_loss_turns_up():
    def trace(train, val):
        return [{"epoch": e, "train_loss": t, "val_loss": v}
                for e, (t, v) in enumerate(zip(train, val, strict=True), 1)]

    turned = F.overfitting_turn(trace([2.0, 1.0, 0.5, 0.2], [2.1, 1.6, 1.7, 1.9]))
    assert turned["best"] == 2 and turned["last"] == 4 and turned["turned"]
    assert turned["rise"] == pytest.approx(0.3)
    still_learning = F.overfitting_turn(trace([2.0, 1.0, 0.5], [2.1, 1.6, 1.4]))
    assert still_learning["best"] == 3 and not still_learning["turned"]
    assert still_learning["rise"] == 0


def test_nearest_training_rows_are_found_by_the_tuned_encoder(tiny):
    rows = load("tickets", "train")[:40]
    nearest = F.nearest_training(tiny, rows[7]["text"], rows, k=3)
    assert nearest[0]["id"] == rows[7]["id"]
    assert nearest[0]["similarity"] == pytest.approx(1.0, abs=1e-4)
    similarities = [row["similarity"] for row in nearest]
    assert similarities == sorted(similarities, reverse=True) and len(nearest) == 3


def test_training_trace_marks_the_lowest_validation_loss():
    from tune_or_prompt.measure import plots

    history = [{"epoch": e, "train_loss": t, "val_loss": v, "val_accuracy": 0.5}
               for e, t, v in [(1, 2.0, 2.1), (2, 1.0, 1.5), (3, 0.3, 1.8)]]
    fig = plots.training_trace(history, mark_best=True)
    lines = [line for line in fig.axes[0].lines if line.get_label() == "lowest validation loss"]
    assert len(lines) == 1 and list(lines[0].get_xdata()) == [2, 2]
    plain = plots.training_trace(history)
    assert all(line.get_label() != "lowest validation loss" for line in plain.axes[0].lines)
