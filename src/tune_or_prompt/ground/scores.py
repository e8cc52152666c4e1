"""How a run is scored: quality (scikit-learn), latency percentiles and intervals.

Costs are measurements of their own, in `tune_or_prompt.measure.costs`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def classification_report(gold: Sequence[str], predicted: Sequence[str],
                          labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix
    (rows: true label, columns: predicted label, in ``labels`` order)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    labels = list(labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0)
    return {
        "accuracy": float(accuracy_score(gold, predicted)) if len(gold) else 0.0,
        "macro_f1": float(np.mean(f1)) if len(labels) else 0.0,
        "per_class": {label: {"precision": float(p), "recall": float(r), "f1": float(f),
                              "support": int(s)}
                      for label, p, r, f, s in zip(labels, precision, recall, f1, support,
                                                   strict=True)},
        "confusion": confusion_matrix(gold, predicted, labels=labels).tolist(),
        "labels": labels,
    }


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a proportion (95% for z = 1.96): an accuracy or a recall
    measured on ``n`` items."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def paired_difference(gold: Sequence[str], a: Sequence[str],
                      b: Sequence[str]) -> tuple[int, int, float]:
    """Two classifiers on the same items: the items only ``a`` gets right, the items only ``b``
    gets right, and the two-sided sign-test p-value that they are equally good (McNemar's
    exact test). Items both get right, or both wrong, say nothing about which is better."""
    only_a = sum(x == g != y for g, x, y in zip(gold, a, b, strict=True))
    only_b = sum(y == g != x for g, x, y in zip(gold, a, b, strict=True))
    return only_a, only_b, sign_test(only_a, only_b)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign-test p-value for ``wins`` against ``losses`` (ties left out): twice
    the chance of a split at least this uneven from fair coin flips, at most 1. (The same value
    as scipy's ``binomtest(wins, wins + losses, 0.5)``, without importing scipy.stats, which
    took a second on every page that quotes a verdict.)"""
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(wins, losses) + 1))
    return min(1.0, 2 * tail / 2**n)


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Median, 95th percentile and mean of per-prediction latencies, in seconds."""
    if not len(seconds):
        return {"median": 0.0, "p95": 0.0, "mean": 0.0}
    values = np.asarray(seconds, dtype=float)
    return {"median": float(np.median(values)), "p95": float(np.percentile(values, 95)),
            "mean": float(values.mean())}


def interval_text(low: float, high: float, spec: str = ".2f") -> str:
    """An interval or a range as the pages write it: "0.72–1.00" (an en dash)."""
    return f"{low:{spec}}–{high:{spec}}"


@dataclass(frozen=True)
class Score:
    """Correct answers out of ``n``, with the 95% Wilson interval of the accuracy."""

    correct: int
    n: int

    @classmethod
    def of(cls, gold: Sequence[str], predicted: Sequence[str | None]) -> Score:
        """Score predictions against gold labels (None counts as wrong)."""
        return cls(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold))

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.correct, self.n)

    @property
    def interval_text(self) -> str:
        """The interval as the pages write it: "0.18–0.43"."""
        return interval_text(*self.interval)

    @property
    def count_text(self) -> str:
        """ "14 of 48"."""
        return f"{self.correct} of {self.n}"

    def __str__(self) -> str:
        low, high = self.interval
        return f"{self.accuracy:.1%} ({self.correct}/{self.n}; 95% CI {low:.0%}-{high:.0%})"


@dataclass(frozen=True)
class Verdict:
    """Two approaches on the same rows: the rows only ``a`` / only ``b`` gets right, and the
    sign-test p-value (`paired_difference`); below ``level`` one is ahead, else a tie."""

    a: str
    b: str
    only_a: int
    only_b: int
    p_value: float
    level: float = 0.05

    @property
    def text(self) -> str:
        if self.p_value >= self.level:
            return "a tie"
        return f"{self.a if self.only_a > self.only_b else self.b} ahead"

    def __str__(self) -> str:
        p = "p < 0.01" if self.p_value < 0.01 else f"p = {self.p_value:.2f}"
        rows = "row" if self.only_a == 1 else "rows"
        return (f"{self.text} ({self.a} alone right on {self.only_a} {rows}, {self.b} alone "
                f"on {self.only_b}; sign test {p})")


def paired_verdict(gold: Sequence[str], a: Sequence[str | None], b: Sequence[str | None],
                   name_a: str, name_b: str, level: float = 0.05) -> Verdict:
    """The `Verdict` on two sets of predictions for the same rows: the course's one rule for
    "ahead" or "a tie" (`compare.verdict` and the 2026 demos use it)."""
    only_a, only_b, p = paired_difference(list(gold), list(a), list(b))
    return Verdict(name_a, name_b, only_a, only_b, p, level)
