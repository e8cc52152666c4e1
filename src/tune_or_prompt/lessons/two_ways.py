"""Lesson 1 (Two ways to adapt a model): the five-stage pipeline with the shape of the course's
real data at each stage, drawn as a figure, and the prediction trace of the same tickets through
a prompted base model and a fine-tuned one.

The fine-tuned side here is the cheapest kind of fine-tune, so that the lesson runs in seconds:
the encoder stays frozen and only a linear classification head is trained on its sentence
embeddings (Lab 2 fine-tunes every weight).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import prompting as P
from ..data import TARGETS, label_of, load
from ..models import LoadedModel

MARK = {True: "✓", False: "✗"}
ROUTE_COLOURS = {  # edge, fill
    "shared": ("#4b5563", "#f3f4f6"),
    "prompting": ("#1f5fad", "#e8f0fb"),
    "fine-tuning": ("#c2410c", "#fdf0e7"),
}


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline: what happens, and the shape of what comes out of it."""

    name: str
    action: str
    shape: str
    example: str
    route: str  # "shared", "prompting" or "fine-tuning"


def jsonl_pair(row: dict[str, Any], target: str = "intent") -> str:
    """One training example as a JSON Lines record: the ticket as prompt, its label as response."""
    return json.dumps({"prompt": row["text"], "response": label_of(row, target)},
                      ensure_ascii=False)


def count_tokens(loaded: LoadedModel, text: str, special: bool = False) -> int:
    """Tokens the model reads for ``text``; ``special`` adds the tokenizer's special tokens (an
    encoder reads its [CLS] and [SEP] markers too)."""
    return len(loaded.tokenizer(text, add_special_tokens=special)["input_ids"])


@dataclass
class HeadOnly:
    """A fine-tuned classifier of the cheapest kind: a frozen encoder plus a trained linear head
    (logistic regression on the encoder's sentence embeddings)."""

    encoder: LoadedModel
    target: str
    labels: tuple[str, ...]
    classifier: Any
    train_size: int
    train_seconds: float  # embedding the training texts plus fitting the head

    @property
    def trained_weights(self) -> int:
        """How many numbers training changed: the head's weights and biases."""
        return int(self.classifier.coef_.size + self.classifier.intercept_.size)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, columns in ``labels`` order."""
        from ..encoders import embed

        probs = self.classifier.predict_proba(embed(self.encoder, list(texts)).numpy())
        order = [list(self.classifier.classes_).index(label) for label in self.labels]
        return probs[:, order]

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.labels[int(i)] for i in self.probabilities(texts).argmax(axis=1)]


def train_head(encoder: LoadedModel, rows: Sequence[dict[str, Any]],
               target: str = "intent") -> HeadOnly:
    """Train a linear head on frozen ``encoder`` embeddings of ``rows`` (seconds on a CPU)."""
    from sklearn.linear_model import LogisticRegression

    from ..encoders import embed

    start = time.perf_counter()
    vectors = embed(encoder, [r["text"] for r in rows]).numpy()
    classifier = LogisticRegression(max_iter=2000, C=10.0)
    classifier.fit(vectors, [label_of(r, target) for r in rows])
    return HeadOnly(encoder, target, TARGETS[target][2], classifier, len(rows),
                    time.perf_counter() - start)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def prediction_trace(llm: LoadedModel, head: HeadOnly, rows: Sequence[dict[str, Any]],
                     k: int = 1, seed: int = 0, calibrated: bool = True) -> list[dict[str, Any]]:
    """The same tickets through both models: what each reads and what comes out.

    The prompted side is the base generative model with a k-shot intent prompt (label scoring,
    contextual calibration by default, as measured best in Lab 1); the fine-tuned side is
    ``head``. One dict per ticket with, for each side, its answer, the probability it gave that
    answer and the tokens it read. `trace_table` formats it for reading.
    """
    run = P.run(llm, head.target, rows, k=k, seed=seed)
    scores = P.calibrate(run.scores, run.content_free) if calibrated else run.scores
    prompted = _softmax(scores)
    tuned = head.probabilities([r["text"] for r in rows])
    return [{
        "ticket": row["text"],
        "true label": label_of(row, head.target),
        "prompted answer": run.labels[int(prompted[i].argmax())],
        "prompted probability": float(prompted[i].max()),
        "prompted tokens": run.prompt_tokens[i],
        "fine-tuned answer": head.labels[int(tuned[i].argmax())],
        "fine-tuned probability": float(tuned[i].max()),
        "fine-tuned tokens": count_tokens(head.encoder, row["text"], special=True),
    } for i, row in enumerate(rows)]


def _answer(row: dict[str, Any], side: str) -> str:
    label = row[f"{side} answer"]
    return f"{label} {MARK[label == row['true label']]} ({row[f'{side} probability']:.0%})"


def trace_table(trace: Sequence[dict[str, Any]]):
    """The prediction trace as a DataFrame: per ticket, each model's answer (✓ right, ✗ wrong,
    with the probability it gave it) and the tokens it read."""
    import pandas as pd

    return pd.DataFrame([{
        "ticket": row["ticket"],
        "true label": row["true label"],
        "prompted base model": f"{_answer(row, 'prompted')}, read {row['prompted tokens']} "
                               "tokens",
        "fine-tuned model": f"{_answer(row, 'fine-tuned')}, read {row['fine-tuned tokens']} "
                            "tokens",
    } for row in trace])


def wrap(text: str, width: int = 76) -> str:
    """``text`` with each long line wrapped for display (continuations indented by 4 spaces)."""
    import textwrap

    return "\n".join(textwrap.fill(line, width, subsequent_indent="    ") if line else ""
                     for line in text.splitlines())


def time_one_request(llm: LoadedModel, head: HeadOnly, prompt: str, text: str,
                     repeats: int = 2) -> dict[str, float]:
    """Seconds for one request, best of ``repeats``: the prompted model reads the whole prompt
    (one forward pass, enough to score one-token answers); the fine-tuned one reads the text."""
    import torch

    ids = llm.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    with torch.inference_mode():
        prompted = best(lambda: llm.model(ids))
    tuned = best(lambda: head.probabilities([text]))
    return {"prompted_s": prompted, "fine_tuned_s": tuned}


def weights_fingerprint(model: Any) -> float:
    """A cheap checksum of every weight of a torch model (sum of all values in float64): equal
    before and after means no weight changed."""
    import torch

    with torch.no_grad():
        return float(sum(p.sum(dtype=torch.float64) for p in model.parameters()))


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def pipeline_stages(llm: LoadedModel, head: HeadOnly, ticket: dict[str, Any],
                    demos: Sequence[dict[str, Any]], full_weights: int,
                    trace_row: dict[str, Any] | None = None) -> list[Stage]:
    """The five stages, each with the shape of the real data that comes out of it.

    ``ticket`` is the new input followed through the pipeline; ``demos`` are the prompt's
    demonstrations; ``full_weights`` is the encoder's parameter count (what full fine-tuning
    would update); ``trace_row`` is this ticket's row of `prediction_trace`, if computed (the
    prediction stage then shows both models' answers).
    """
    target = head.target
    rows = load("tickets")
    train = load("tickets", "train")
    fields = list(rows[0])
    task = P.TASKS[target]
    parts = P.split_prompt(llm, task, demos)  # tokenised as `prompting.run` does
    prompt_tokens = count_tokens(llm, parts.prefix) + count_tokens(llm, ticket["text"]
                                                                   + parts.suffix)
    if trace_row is not None:
        answers = (f"fine-tuned: {_answer(trace_row, 'fine-tuned')}   "
                   f"prompted: {_answer(trace_row, 'prompted')}")
    else:
        answers = f"fine-tuned: {head.predict([ticket['text']])[0]}"
    pair = json.loads(jsonl_pair(train[0], target))
    pair_example = json.dumps({"prompt": _short(pair["prompt"], 30),
                               "response": pair["response"]}, ensure_ascii=False)
    return [
        Stage("Input data", "collect real examples of the task",
              f"{len(rows):,} ticket rows × {len(fields)} fields ({', '.join(fields)})",
              f"“{ticket['text']}”", "shared"),
        Stage("Prompt engineering", "wrap each ticket in instructions and examples",
              f"1 prompt string per ticket: {prompt_tokens} tokens "
              f"({len(demos)}-shot, with the {len(task.labels)} label rules)",
              f"{_short(parts.prefix.splitlines()[0], 28)} […] Message: "
              f"{_short(ticket['text'], 24)} Answer:", "prompting"),
        Stage("Training data", "labelled tickets become prompt/response pairs",
              f"{len(train)} JSON Lines records, one per training ticket "
              f"({head.train_size} used here)", pair_example, "fine-tuning"),
        Stage("Fine-tuning", "training updates the weights",
              f"full fine-tuning: {full_weights:,} weights; head only (used here): "
              f"{head.trained_weights:,}",
              f"all-MiniLM-L6-v2 + linear head, {head.train_size} tickets, "
              f"{head.train_seconds:.1f} s of training", "fine-tuning"),
        Stage("Prediction", "the base model (prompted) or the fine-tuned one answers",
              f"1 ticket in, 1 label out of {len(task.labels)}",
              answers, "shared"),
    ]


def pipeline_figure(stages: Sequence[Stage], width: float = 7.4):
    """The pipeline as boxes and arrows: one box per stage with its output's shape and an
    example; the prompting route jumps from the prompt straight to prediction.

    Sized to display near 1:1 in a book column (``width`` inches at 100 dpi)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    n = len(stages)
    box_h, gap = 1.25, 0.45
    height = n * box_h + (n - 1) * gap
    fig = plt.figure(figsize=(width, 0.8 * height + 0.2), facecolor="white")
    ax = fig.add_axes([0.005, 0.005, 0.99, 0.99])
    ax.set_xlim(0, 10.1)
    ax.set_ylim(-0.05, height + 0.05)
    ax.axis("off")
    left, right, middle = 0.05, 8.85, 4.45
    tops = [height - i * (box_h + gap) for i in range(n)]
    for i, (stage, top) in enumerate(zip(stages, tops, strict=True)):
        edge, fill = ROUTE_COLOURS[stage.route]
        ax.add_patch(FancyBboxPatch((left, top - box_h), right - left, box_h,
                                    boxstyle="round,pad=0,rounding_size=0.12",
                                    facecolor=fill, edgecolor=edge, linewidth=1.5))
        ax.text(left + 0.35, top - box_h / 2, str(i + 1), ha="center", va="center",
                fontsize=15, fontweight="bold", color=edge)
        x = left + 0.7
        title = ax.text(x, top - 0.18, stage.name, ha="left", va="top", fontsize=10.5,
                        fontweight="bold", color="#111111")
        ax.annotate(f"  {stage.action}", xycoords=title, xy=(1, 1), ha="left", va="top",
                    fontsize=9.5, color="#374151")
        ax.text(x, top - 0.55, stage.shape, ha="left", va="top", fontsize=9.5, color="#111111")
        ax.text(x, top - 0.9, _short(stage.example, 80), ha="left", va="top", fontsize=8.2,
                family="monospace", color="#374151")
        if i < n - 1:
            ax.add_patch(FancyArrowPatch((middle, top - box_h), (middle, top - box_h - gap),
                                         arrowstyle="-|>", mutation_scale=14, linewidth=1.5,
                                         color="#4b5563"))
    # The prompting route: from the prompt (stage 2) straight to prediction (stage 5).
    blue = ROUTE_COLOURS["prompting"][0]
    orange = ROUTE_COLOURS["fine-tuning"][0]
    y_from, y_to = tops[1] - box_h / 2, tops[-1] - box_h / 2
    ax.add_patch(FancyArrowPatch((right, y_from), (right, y_to),
                                 connectionstyle="bar,fraction=-0.07", arrowstyle="-|>",
                                 mutation_scale=14, linewidth=1.7, color=blue))
    ax.text(right + 0.8, (y_from + y_to) / 2, "prompting route:\nstages 3 and 4 skipped,\n"
            "the weights never change", rotation=90, ha="center", va="center", fontsize=8.5,
            color=blue)
    ax.text(middle + 0.15, tops[1] - box_h - gap / 2, "fine-tuning route", ha="left",
            va="center", fontsize=8.5, color=orange, fontweight="bold")
    return fig


__all__ = ["HeadOnly", "Stage", "count_tokens", "jsonl_pair", "pipeline_figure",
           "pipeline_stages", "prediction_trace", "time_one_request", "trace_table", "train_head",
           "weights_fingerprint", "wrap"]
