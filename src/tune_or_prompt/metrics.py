"""Metrics the course reports: quality (scikit-learn), latency and cost.

Prices are editable constants with their source and date; every cost the course shows is
computed from them and from the learner's own measurements.
"""

from __future__ import annotations

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


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Median, 95th percentile and mean of per-prediction latencies, in seconds."""
    if not len(seconds):
        return {"median": 0.0, "p95": 0.0, "mean": 0.0}
    values = np.asarray(seconds, dtype=float)
    return {"median": float(np.median(values)), "p95": float(np.percentile(values, 95)),
            "mean": float(values.mean())}


@dataclass(frozen=True)
class Prices:
    """What compute costs. Edit these to match your own provider; they are only inputs."""

    # One vCPU-hour of a general-purpose cloud machine, on demand. Source: AWS EC2 on-demand
    # pricing, c7i.large (2 vCPUs) at $0.08925/hour in us-east-1, i.e. ~$0.045 per vCPU-hour
    # (checked 2025). Our measurements are CPU-seconds of this 2-core machine.
    usd_per_cpu_hour: float = 0.045
    # A small hosted model's input and output tokens, for comparison with hosted prompting.
    # Source: OpenAI API pricing for gpt-4o-mini, $0.15 per million input tokens and $0.60 per
    # million output tokens (published July 2024).
    usd_per_million_input_tokens: float = 0.15
    usd_per_million_output_tokens: float = 0.60
    # What a person costs to label one support ticket (an assumption: ~30 s at ~$30/hour).
    usd_per_label: float = 0.25


PRICES = Prices()


def cpu_cost_per_1000(cpu_seconds_per_prediction: float, prices: Prices = PRICES) -> float:
    """USD per 1,000 predictions from measured CPU-seconds per prediction."""
    return 1000 * cpu_seconds_per_prediction / 3600 * prices.usd_per_cpu_hour


def token_cost_per_1000(input_tokens: float, output_tokens: float = 1,
                        prices: Prices = PRICES) -> float:
    """USD per 1,000 requests to a hosted model at the given tokens per request."""
    return 1000 * (input_tokens * prices.usd_per_million_input_tokens
                   + output_tokens * prices.usd_per_million_output_tokens) / 1e6
