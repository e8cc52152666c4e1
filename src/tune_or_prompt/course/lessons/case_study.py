"""Lesson 7 (Putting it together): read a head-to-head of a prompted and a fine-tuned system
(measured on the same rows by `tune_or_prompt.measure.compare`) and check it against targets written
down beforehand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tune_or_prompt.measure.costs import PRICES, SERVERLESS, Prices, Serving, price_columns
from tune_or_prompt.measure.plots import COLOURS, _figure

from .measuring import wilson_interval as interval  # Lesson 4's interval, used again here


@dataclass(frozen=True)
class Target:
    """One line of the definition of "good": a metric and the value it must reach."""

    metric: str  # a key of the rows that `rows_from` returns
    threshold: float
    higher_is_better: bool = True

    def met(self, value: float) -> bool:
        return value >= self.threshold if self.higher_is_better else value <= self.threshold

    def __str__(self) -> str:
        return f"{self.metric} {'≥' if self.higher_is_better else '≤'} {self.threshold:g}"


def describe(side) -> str:
    """A short name for a `compare.Side`: the prompt's number of examples for its main target
    (the first), or the fine-tune's labelled examples."""
    if side.approach == "prompting":
        main = next(iter(side.details.values()))
        return f"prompt, k={main.k}"
    if side.approach == "fine-tuning":
        return f"fine-tuned, {side.labelled_examples} labelled"
    return f"embeddings + classifier, {side.labelled_examples} labelled"


SERVED = Serving(SERVERLESS)  # how Quillfield serves its models (Lesson 7)


def rows_from(sides: Sequence[Any], prices: Prices = PRICES, queries_per_day: float = 3_000,
              serving: Serving = SERVED) -> list[dict[str, Any]]:
    """One results row per `compare.Side` (as Lab 3 measures them, or as the reference run
    stored them), with the metric names the targets use. "USD per 1,000" is the running cost
    of serving that many tickets a day the given way (`tune_or_prompt.measure.costs`): Quillfield runs
    its models serverless, so it pays for the seconds they work, and nothing while idle."""
    out = []
    for side in sides.values() if isinstance(sides, Mapping) else sides:
        row = {"system": describe(side), "accuracy": side.accuracy, "macro-F1": side.macro_f1}
        if side.rare_recall is not None:
            row[f"{side.rare_label} recall"] = side.rare_recall
            row[f"{side.rare_label} precision"] = side.rare_precision
        row.update({"labelled examples": side.labelled_examples,
                    "training s": side.setup_seconds,
                    "tokens per request": side.prompt_tokens,
                    "median ms": 1000 * side.latency_median_s,
                    "p95 ms": 1000 * side.latency_p95_s,
                    "CPU-s per 1,000": side.cpu_s_per_1000,
                    "USD per 1,000": side.cost_model(
                        prices, queries_per_day=queries_per_day,
                        serving=serving).usd_per_1000(),
                    **price_columns(prices=prices)})
        out.append(row)
    return out


def urgent_counts(side) -> tuple[int, int]:
    """(urgent tickets caught, urgent tickets in the rows) from a tickets side's report."""
    urgent = side.details["urgent"].report["per_class"]["urgent"]
    support = int(urgent["support"])
    return round(urgent["recall"] * support), support


def _fmt(value: float | str) -> str:
    if isinstance(value, str):
        return value
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
