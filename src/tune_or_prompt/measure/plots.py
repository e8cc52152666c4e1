"""The figures lessons and labs show (matplotlib; white background, readable in both themes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

COLOURS = ["#1f5fad", "#c2410c", "#15803d", "#7e22ce", "#a16207"]
MARKERS = ["o", "s", "^", "D", "v"]


def _figure(ncols: int = 1, width: float = 5.0, height: float = 3.4):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False,
                             facecolor="white", layout="constrained")
    for ax in axes[0]:
        ax.set_facecolor("white")
        ax.grid(True, alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes[0]


def accuracy_vs_shots(rows: Sequence[dict[str, Any]], metric: str = "accuracy"):
    """Left: accuracy (raw and calibrated) against k for each task. Right: prompt tokens and
    median latency against k. ``rows`` are PromptRun.summary() dicts."""
    fig, (ax, ax2) = _figure(2)
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    twin = ax2.twinx()
    for i, task in enumerate(tasks):
        mine = sorted((r for r in rows if r["task"] == task), key=lambda r: r["k"])
        ks = [r["k"] for r in mine]
        colour, marker = COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)]
        ax.plot(ks, [r[metric] for r in mine], marker=marker, color=colour, label=task)
        ax.plot(ks, [r[f"{metric}_calibrated"] for r in mine], marker=marker, color=colour,
                linestyle="--", alpha=0.6, label=f"{task}, calibrated")
        ax2.plot(ks, [r["prompt_tokens"] for r in mine], marker=marker, color=colour, label=task)
        twin.plot(ks, [1000 * r["latency_median_s"] for r in mine], marker=marker, color=colour,
                  linestyle=":", alpha=0.7)
    ax.set(xlabel="examples in the prompt (k)", ylabel=metric.replace("_", " "),
           title="Quality vs shots", ylim=(0, 1.02))
    ax.legend(fontsize=8, ncol=1)
    ax2.set(xlabel="examples in the prompt (k)", ylabel="prompt tokens per query (solid)",
            title="Prompt length and latency")
    twin.set_ylabel("median latency, ms (dotted)")
    ax2.legend(fontsize=8, loc="upper left")
    return fig


def spread(values: Sequence[float], label: str, reference: float | None = None):
    """Accuracy of the same prompt under different example orders, as a strip of dots."""
    fig, (ax,) = _figure(1, width=6, height=1.9)
    ax.scatter(values, np.zeros(len(values)), s=70, color=COLOURS[0], zorder=3)
    for v in values:
        ax.annotate(f"{v:.2f}", (v, 0), textcoords="offset points", xytext=(0, 9), ha="center",
                    fontsize=8)
    if reference is not None:
        ax.axvline(reference, color=COLOURS[1], linestyle="--", label="chance")
        ax.legend(fontsize=8, loc="lower right")
    ax.set(xlim=(0, 1), yticks=[], xlabel=label)
    return fig


def confusion(matrix: Sequence[Sequence[int]], labels: Sequence[str], title: str = ""):
    """A confusion matrix: rows are true labels, columns predicted, counts written in."""
    m = np.asarray(matrix)
    size = 1.6 + 0.55 * len(labels)
    fig, (ax,) = _figure(1, width=size + 1.2, height=size)
    ax.grid(False)
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    threshold = m.max() / 2 if m.size else 0
    for (i, j), value in np.ndenumerate(m):
        ax.text(j, i, str(value), ha="center", va="center", fontsize=8,
                color="white" if value > threshold else "black")
    return fig


def training_trace(history: Sequence[dict[str, float]], title: str = "",
                   mark_best: bool = False):
    """Loss (train and validation) and validation accuracy per epoch. ``mark_best`` draws a
    dotted line at the epoch of the lowest validation loss (where early stopping would keep
    the weights)."""
    fig, (ax, ax2) = _figure(2, width=4.6)
    epochs = [row["epoch"] for row in history]
    ax.plot(epochs, [row["train_loss"] for row in history], marker="o", color=COLOURS[0],
            label="training loss")
    ax.plot(epochs, [row["val_loss"] for row in history], marker="s", color=COLOURS[1],
            linestyle="--", label="validation loss")
    if mark_best and history:
        best = min(history, key=lambda row: row["val_loss"])["epoch"]
        for ax_ in (ax, ax2):
            ax_.axvline(best, color="#6b7280", linestyle=":", linewidth=1.3,
                        label="lowest validation loss" if ax_ is ax else None)
    ax.set(xlabel="epoch", ylabel="loss (lower is better)", title=title or "Loss")
    ax.legend(fontsize=8)
    ax2.plot(epochs, [row["val_accuracy"] for row in history], marker="^", color=COLOURS[2])
    ax2.set(xlabel="epoch", ylabel="validation accuracy", title="Accuracy", ylim=(0, 1.02))
    for ax_ in (ax, ax2):
        ax_.set_xticks(epochs)
    return fig


def learning_curve(rows: Sequence[dict[str, float]], label: str, metric: str = "accuracy",
                   extra: dict[str, Sequence[dict[str, float]]] | None = None):
    """Mean accuracy against labelled examples (log scale), with the min-max spread over seeds.
    ``extra`` adds more series by name (e.g. full fine-tuning points, few-shot prompting)."""
    fig, (ax,) = _figure(1, width=6.4, height=3.8)
    series = {label: rows, **(extra or {})}
    for i, (name, data) in enumerate(series.items()):
        sizes = sorted({r["size"] for r in data})
        values = [[r[metric] for r in data if r["size"] == s] for s in sizes]
        mean = [float(np.mean(v)) for v in values]
        colour = COLOURS[i % len(COLOURS)]
        ax.plot(sizes, mean, marker=MARKERS[i % len(MARKERS)], color=colour, label=name)
        if any(len(v) > 1 for v in values):
            ax.fill_between(sizes, [min(v) for v in values], [max(v) for v in values],
                            color=colour, alpha=0.15)
    ax.set_xscale("log", base=2)
    ax.set(xlabel="labelled examples (log scale)", ylabel=metric.replace("_", " "),
           ylim=(0, 1.02), title="Learning curve")
    ax.legend(fontsize=8)
    return fig


def crossover(curves: dict[str, Sequence[dict[str, Any]]] | Sequence[dict[str, Any]],
              metric: str = "accuracy", title: str = ""):
    """Accuracy against labelled examples: prompting (k demonstrations) beside fine-tuning
    (mean and min-max over seeds), one panel per task. ``curves`` maps a task to
    `tune_or_prompt.measure.compare.crossover` rows (or is one list of rows). Zero examples (a zero-shot
    prompt) is drawn at the left edge of the log axis."""
    if not isinstance(curves, dict):
        curves = {title or "task": curves}
    fig, axes = _figure(len(curves), width=4.8, height=3.6)
    for ax, (task, rows) in zip(axes, curves.items(), strict=True):
        approaches = list(dict.fromkeys(r["approach"] for r in rows))
        ticks: set[int] = set()
        for i, approach in enumerate(approaches):
            sizes = sorted({r["labelled"] for r in rows if r["approach"] == approach})
            values = [[r[metric] for r in rows if r["approach"] == approach
                       and r["labelled"] == s] for s in sizes]
            xs = [max(s, 0.5) for s in sizes]
            ticks.update(sizes)
            colour = COLOURS[i % len(COLOURS)]
            ax.plot(xs, [float(np.mean(v)) for v in values], marker=MARKERS[i % len(MARKERS)],
                    color=colour, label=approach, linestyle="-" if i else "--")
            if any(len(v) > 1 for v in values):
                ax.fill_between(xs, [min(v) for v in values], [max(v) for v in values],
                                color=colour, alpha=0.15)
        ax.set_xscale("log", base=2)
        shown = sorted(ticks)
        ax.set_xticks([max(s, 0.5) for s in shown], [str(s) for s in shown], fontsize=8)
        ax.minorticks_off()
        ax.set(xlabel="labelled examples (log scale)", ylabel=metric.replace("_", " "),
               ylim=(0, 1.02), title=task)
        ax.legend(fontsize=8, loc="lower right")
    return fig


def break_even(models: Sequence[Any], queries_per_day: float | None = None,
               horizon: float | None = None):
    """Total cost against queries served for each `tune_or_prompt.measure.costs.CostModel`, with the
    break-even point of the first model that crosses the fine-tuning line marked. The x range
    reaches past the furthest finite crossing (or ``horizon`` queries)."""
    import math

    from matplotlib.ticker import FuncFormatter

    from .costs import break_even as crossing
    from .costs import cost_curves

    fig, (ax,) = _figure(1, width=6.6, height=3.8)
    tuned = [m for m in models if m.name.startswith("fine-tuning")]
    points = [(m, crossing(m, tuned[0])) for m in models if tuned and m is not tuned[0]]
    finite = [q for _, q in points if math.isfinite(q) and q > 0]
    horizon = horizon or (2.2 * max(finite) if finite else 1_000_000)
    lines = cost_curves(models, horizon, points=200)
    for i, m in enumerate(models):
        xs, ys = zip(*lines[m.name], strict=True)
        ax.plot(xs, ys, color=COLOURS[i % len(COLOURS)],
                linestyle=["-", "--", ":"][i % 3], label=m.name)
    top = max(m.total(horizon) for m in models)
    shown = [(m, q) for m, q in points if math.isfinite(q) and 0 < q <= horizon]
    for i, (m, q) in enumerate(shown):
        ax.axvline(q, color="grey", linewidth=0.8)
        days = f"\n = {q / queries_per_day:,.0f} days" if queries_per_day else ""
        ax.text(q, top * (0.93 - 0.2 * i), f" {m.name} = fine-tuning\n after {q:,.0f} queries{days}",
                fontsize=8, va="top", ha="left" if q < 0.6 * horizon else "right",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    ax.set(xlabel="queries served", ylabel="total cost (USD)", title="Total cost vs queries")
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _: f"{v / 1e6:g}M" if v >= 1e6 else f"{v / 1e3:g}k" if v else "0"))
    ax.legend(fontsize=8, loc="center right")
    return fig
