"""How a run is scored: quality (scikit-learn), latency percentiles and intervals.

Costs are measurements of their own, in `tune_or_prompt.measure.costs`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
