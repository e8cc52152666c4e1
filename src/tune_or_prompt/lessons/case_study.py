"""Lesson 6 (Putting it together): score a prompted and a fine-tuned system on the same rows,
under the same conditions, and check them against targets written down beforehand."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data import label_of
from ..metrics import PRICES, Prices, classification_report, cpu_cost_per_1000, latency_summary
from ..plots import COLOURS, _figure


@dataclass(frozen=True)
class Target:
    """One line of the definition of "good": a metric and the value it must reach."""

    metric: str  # a key of the rows that `prompt_row` and `finetuned_row` return
    threshold: float
    higher_is_better: bool = True

    def met(self, value: float) -> bool:
        return value >= self.threshold if self.higher_is_better else value <= self.threshold

    def __str__(self) -> str:
        return f"{self.metric} {'≥' if self.higher_is_better else '≤'} {self.threshold:g}"


def _row(system: str, report: dict[str, Any], tokens: float, latency: Sequence[float],
         cpu_seconds: float, n: int, prices: Prices) -> dict[str, Any]:
    lat = latency_summary(latency)
    cpu_per_1000 = 1000 * cpu_seconds / max(n, 1)
    return {"system": system, "accuracy": report["accuracy"], "macro_f1": report["macro_f1"],
            "tokens per request": float(tokens), "median ms": 1000 * lat["median"],
            "p95 ms": 1000 * lat["p95"], "CPU-s per 1,000": cpu_per_1000,
            "USD per 1,000": cpu_cost_per_1000(cpu_per_1000 / 1000, prices)}


def prompt_row(system: str, run, calibrated: bool = False,
               prices: Prices = PRICES) -> dict[str, Any]:
    """A results row for a `prompting.PromptRun` (run it with ``batch_size=1`` so that its
    latency is per request, like the fine-tuned model's)."""
    return _row(system, run.report(calibrated), float(np.mean(run.prompt_tokens)), run.latency,
                run.cpu_seconds, len(run.latency), prices)


def finetuned_row(system: str, result, rows: Sequence[dict[str, Any]],
                  prices: Prices = PRICES) -> dict[str, Any]:
    """A results row for a `finetuning.FineTuneResult` on ``rows``: each row is predicted on its
    own, one at a time, and timed (as a service answers requests)."""
    import torch

    from ..finetuning import MAX_LENGTH

    texts = [r["text"] for r in rows]
    predicted, latency, tokens = [], [], []
    cpu0 = time.process_time()
    with torch.inference_mode():
        for text in texts:
            start = time.perf_counter()
            batch = result.tokenizer([text], truncation=True, max_length=MAX_LENGTH,
                                     return_tensors="pt")
            logits = result.model(**batch).logits[0]
            latency.append(time.perf_counter() - start)
            predicted.append(result.labels[int(logits.argmax())])
            tokens.append(int(batch["input_ids"].shape[1]))
    cpu = time.process_time() - cpu0
    gold = [label_of(r, result.target) for r in rows]
    report = classification_report(gold, predicted, result.labels)
    return _row(system, report, float(np.mean(tokens)), latency, cpu, len(rows), prices)


def interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (95% by default) for an accuracy of ``correct`` out of ``n``: the
    range of true accuracies that this many test rows cannot rule out."""
    if n <= 0:
        return (0.0, 1.0)
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, float(centre - half)), min(1.0, float(centre + half)))


def _fmt(value: float) -> str:
    if abs(value) >= 10:
        return f"{value:,.0f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.2g}"


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None):
    """The results rows as a DataFrame indexed by system, numbers rounded for reading."""
    import pandas as pd

    frame = pd.DataFrame(list(rows)).set_index("system")
    if columns is not None:
        frame = frame[list(columns)]
    return frame.apply(lambda column: column.map(_fmt))


def check(rows: Sequence[dict[str, Any]], targets: Sequence[Target]) -> list[dict[str, str]]:
    """One row per system: each target's measured value, marked ✓ (met) or ✗ (missed)."""
    out = []
    for row in rows:
        marks = {"system": row["system"]}
        for target in targets:
            value = row[target.metric]
            marks[str(target)] = f"{'✓' if target.met(value) else '✗'} {_fmt(value)}"
        out.append(marks)
    return out


def comparison_figure(rows: Sequence[dict[str, Any]], quality: Target, speed: Target,
                      n: int | None = None):
    """Two panels over the same systems: a quality metric and a latency metric (log scale),
    each with its target drawn as a dashed line. With ``n`` (the rows each system was scored
    on), accuracy bars carry their 95% confidence interval."""
    fig, axes = _figure(2, width=4.4, height=3.3)
    names = [r["system"] for r in rows]
    y = np.arange(len(rows))
    for ax, target, log in ((axes[0], quality, False), (axes[1], speed, True)):
        values = [r[target.metric] for r in rows]
        colours = [COLOURS[2] if target.met(v) else COLOURS[1] for v in values]
        ax.barh(y, values, color=colours)
        if n and not log and target.metric == "accuracy":
            bounds = [interval(round(v * n), n) for v in values]
            ax.errorbar(values, y, xerr=[[v - lo for v, (lo, _) in zip(values, bounds,
                                                                     strict=True)],
                                         [hi - v for v, (_, hi) in zip(values, bounds,
                                                                     strict=True)]],
                        fmt="none", ecolor="black", elinewidth=1.2, capsize=4)
        ax.axvline(target.threshold, color="black", linestyle="--", linewidth=1.2)
        for yi, v in zip(y, values, strict=True):
            ax.annotate(_fmt(v), (v, yi), textcoords="offset points", xytext=(3, 6),
                        fontsize=10)
        ax.set_yticks(y, names if ax is axes[0] else [""] * len(names), fontsize=10)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"{target.metric}{' (log scale)' if log else ''}; dashed: target "
                      f"{'≥' if target.higher_is_better else '≤'} {target.threshold:g}")
        if log:
            ax.set_xscale("log")
            ax.set_xlim(min(min(values), target.threshold) / 2,
                        max(max(values), target.threshold) * 4)
        else:
            ax.set_xlim(0, 1.15)
    axes[0].set_title("Quality" + (f" on {n} tickets, 95% intervals" if n else ""),
                      fontsize=10)
    axes[1].set_title("Speed, one ticket at a time (green: target met)", fontsize=10)
    return fig
