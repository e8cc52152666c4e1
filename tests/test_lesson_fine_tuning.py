"""Lesson 3's helpers: JSONL pairs, split checks, the trace table, LoRA arithmetic."""

from __future__ import annotations

import json

import pytest

from tune_or_prompt.course.lessons import fine_tuning as L
from tune_or_prompt.ground.data import load


def test_jsonl_pairs_are_one_complete_object_per_line():
    rows = load("tickets", "train")[:5]
    lines = L.jsonl_pairs(rows).splitlines()
    assert len(lines) == 5
    for line, row in zip(lines, rows, strict=True):
        record = json.loads(line)
        assert record == {"prompt": row["text"], "response": row["intent"]}
    chat = json.loads(L.chat_record(rows[0], "Route it."))
    assert [m["role"] for m in chat["messages"]] == ["system", "user", "assistant"]
    assert chat["messages"][-1]["content"] == rows[0]["intent"]


def test_split_overlap_finds_planted_duplicates(monkeypatch):
    from tune_or_prompt.course.lessons import fine_tuning

    # Plant a test ticket in the training split, changed only in case and punctuation.
    rows = {split: load("tickets", split) for split in ("train", "validation", "test")}
    leaked = dict(rows["test"][0], split="train", text=rows["test"][0]["text"].upper() + "!")
    monkeypatch.setattr(fine_tuning, "load",
                        lambda name, split: rows[split] + ([leaked] if split == "train" else []))
    result = {r["splits"]: r for r in L.split_overlap("tickets")}
    assert result["train / test"]["exact_duplicates"] == 1
    assert result["train / test"]["max_jaccard"] == 1.0
    assert result["train / validation"]["exact_duplicates"] == 0


def test_the_bundled_splits_share_no_text():
    for row in L.split_overlap("tickets"):
        assert row["exact_duplicates"] == 0 and row["max_jaccard"] < 1.0


def test_trace_table_columns():
    history = [{"epoch": 1, "train_loss": 2.0, "val_loss": 1.9, "val_accuracy": 0.4},
               {"epoch": 2, "train_loss": 1.0, "val_loss": 1.5, "val_accuracy": 0.6}]
    table = L.trace_table(history)
    assert list(table.index) == [1, 2]
    assert table.loc[2, "accuracy gain"] == "+0.200"
    assert table.loc[2, "val − train loss"] == pytest.approx(0.5)


def test_lora_arithmetic_matches_the_course_setting():
    assert L.lora_count(layers=6, matrices_per_layer=2, width=384, rank=8, head=3_080) == 76_808
    assert L.training_memory_mb(1_000_000, 1_000_000) == pytest.approx(16.0)
    assert L.training_memory_mb(0, 1_000_000) == pytest.approx(4.0)


@pytest.mark.models
def test_parameter_budget_counts_and_measures():
    rows = {r["method"]: r for r in L.parameter_budget("intent", lora_r=8)}
    assert rows["full"]["trainable"] == rows["full"]["total"] > 20_000_000
    assert rows["lora"]["trainable"] == 76_808
    assert rows["lora"]["saved weights (MB)"] < 0.01 * rows["full"]["saved weights (MB)"]
    assert rows["full"]["saved weights (MB)"] == pytest.approx(4 * rows["full"]["total"] / 1e6,
                                                             rel=0.01)
