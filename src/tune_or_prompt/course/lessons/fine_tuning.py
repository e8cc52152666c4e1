"""Lesson 3 (Fine-tuning in practice): training pairs, split checks, the trace table, and what
full fine-tuning and LoRA train and store."""

from __future__ import annotations

import json
import re
import tempfile
import warnings
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from tune_or_prompt.approaches.finetuning import count_parameters, folder_size
from tune_or_prompt.ground.data import SPLITS, TARGETS, label_of, load

from .two_ways import jsonl_pair

BYTES_PER_FP32 = 4


def jsonl_pairs(rows: Sequence[dict[str, Any]], target: str = "intent") -> str:
    """The rows as JSON Lines of prompt/response pairs: one object per line, one example each."""
    return "\n".join(jsonl_pair(r, target) for r in rows)


def chat_record(row: dict[str, Any], instruction: str, target: str = "intent",
                indent: int | None = None) -> str:
    """One example in the chat-style format hosted services use: a list of role/content
    messages, the last one the answer the model should learn to give. ``indent`` spreads it
    over several lines for reading (a training file keeps each example on one line)."""
    messages = [{"role": "system", "content": instruction},
                {"role": "user", "content": row["text"]},
                {"role": "assistant", "content": label_of(row, target)}]
    return json.dumps({"messages": messages}, ensure_ascii=False, indent=indent)


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9£$€]+", text.lower()))


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def split_overlap(dataset: str = "tickets") -> list[dict[str, Any]]:
    """For each pair of splits: texts that are identical after lower-casing and dropping
    punctuation, and the most similar cross-split pair by word-set Jaccard similarity (how
    near-duplicates are found). Rows: splits, exact_duplicates, max_jaccard, closest pair."""
    from scipy import sparse

    texts = {split: [r["text"] for r in load(dataset, split)] for split in SPLITS}
    vocabulary: dict[str, int] = {}
    sets = {split: [_words(t) for t in items] for split, items in texts.items()}
    for items in sets.values():
        for words in items:
            for word in words:
                vocabulary.setdefault(word, len(vocabulary))

    def matrix(items: list[frozenset[str]]):
        rows = [i for i, words in enumerate(items) for _ in words]
        cols = [vocabulary[w] for words in items for w in words]
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                                 shape=(len(items), len(vocabulary)))

    out = []
    for a, b in combinations(SPLITS, 2):
        exact = {_normalised(t) for t in texts[a]} & {_normalised(t) for t in texts[b]}
        shared = (matrix(sets[a]) @ matrix(sets[b]).T).toarray()
        sizes_a = np.array([len(s) for s in sets[a]])[:, None]
        sizes_b = np.array([len(s) for s in sets[b]])[None, :]
        jaccard = shared / np.maximum(sizes_a + sizes_b - shared, 1)
        i, j = np.unravel_index(int(jaccard.argmax()), jaccard.shape)
        out.append({"splits": f"{a} / {b}", "exact_duplicates": len(exact),
                    "max_jaccard": round(float(jaccard[i, j]), 2),
                    "closest_pair": (texts[a][i], texts[b][j])})
    return out


def trace_table(history: Sequence[dict[str, float]]):
    """The training trace as a DataFrame, with the epoch-on-epoch change in validation
    accuracy and the gap between validation and training loss (overfitting shows as a gap
    that widens)."""
    import pandas as pd

    frame = pd.DataFrame(list(history)).set_index("epoch")
    gain = frame["val_accuracy"].diff().round(3)
    frame["accuracy gain"] = ["" if pd.isna(g) else f"{g:+.3f}" for g in gain]
    frame["val − train loss"] = (frame["val_loss"] - frame["train_loss"]).round(3)
    return frame.rename(columns={"train_loss": "training loss", "val_loss": "validation loss",
                                 "val_accuracy": "validation accuracy"}).round(3)


def parameter_budget(target: str = "intent", lora_r: int = 8) -> list[dict[str, Any]]:
    """What full fine-tuning and LoRA (the course's settings: rank ``lora_r`` on the attention
    query and value matrices, plus the classification head) train, counted on fresh models,
    and what each one saves to disk (measured in a temporary folder; fp32 weights)."""
    from tune_or_prompt.approaches.finetuning import lora_model
    from tune_or_prompt.ground.models import load_encoder, quiet_transformers

    labels = list(TARGETS[target].labels)
    rows = []
    for method in ("full", "lora"):
        with quiet_transformers(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # a peft/transformers deprecation
            model = load_encoder(labels=labels).model
            if method == "lora":
                model = lora_model(model, lora_r)
            trainable, total = count_parameters(model)
            head = sum(p.numel() for name, p in model.named_parameters()
                       if p.requires_grad and "classifier" in name)
            with tempfile.TemporaryDirectory() as folder:
                model.save_pretrained(folder)
                stored = sum(p.stat().st_size for p in _weight_files(folder))
                everything = folder_size(folder)
        rows.append({"method": method, "trainable": trainable, "of which head": head,
                     "total": total, "trainable share": trainable / total,
                     "saved weights (MB)": stored / 1e6, "saved folder (MB)": everything / 1e6})
    return rows


def _weight_files(folder: str) -> list[Any]:
    from pathlib import Path

    return [p for p in Path(folder).rglob("*.safetensors") if p.is_file()]


def lora_count(layers: int, matrices_per_layer: int, width: int, rank: int,
               head: int = 0) -> int:
    """LoRA's trainable parameters by hand: each adapted square ``width``×``width`` matrix
    gets A (rank×width) and B (width×rank), plus whatever head is trained alongside."""
    return layers * matrices_per_layer * 2 * rank * width + head


def training_memory_mb(trainable: int, total: int, bytes_per_value: int = BYTES_PER_FP32) -> float:
    """Memory for weights, gradients and Adam's two running averages, in MB: every weight is
    stored once, and each *trainable* one adds a gradient and two optimiser values.
    Activations (which grow with batch size and text length) come on top."""
    return (total + 3 * trainable) * bytes_per_value / 1e6


def readable(frame):
    """A copy of a parameter_budget DataFrame with counts, shares and sizes as readable text."""
    out = frame.copy()
    for column in ("trainable", "of which head", "total"):
        out[column] = out[column].map("{:,}".format)
    out["trainable share"] = out["trainable share"].map("{:.2%}".format)
    for column in ("saved weights (MB)", "saved folder (MB)"):
        out[column] = out[column].map("{:.2f}".format)
    return out
