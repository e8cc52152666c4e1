"""Lesson 4 (Measuring what matters): confusion matrices from counts, baselines, confidence
intervals for small test sets, prompt tokens and cost, and a latency measurement."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tune_or_prompt.ground.data import TARGETS, label_of, load
from tune_or_prompt.ground.scores import wilson_interval as wilson_interval  # its home is metrics
from tune_or_prompt.ground.tokens import TokenCounter
from tune_or_prompt.measure import costs
from tune_or_prompt.measure.costs import PRICES, Prices
from tune_or_prompt.measure.plots import COLOURS, _figure


def from_matrix(matrix: Sequence[Sequence[int]],
                labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """Gold and predicted label lists that reproduce a confusion matrix (rows: true label,
    columns: predicted label), so that any metric can be computed from the counts."""
    gold: list[str] = []
    predicted: list[str] = []
    for true_label, row in zip(labels, matrix, strict=True):
        for predicted_label, count in zip(labels, row, strict=True):
            gold += [true_label] * int(count)
            predicted += [predicted_label] * int(count)
    return gold, predicted


def best_accuracy_at_recall(positive_share: float, recall: float) -> float:
    """The highest accuracy a classifier with this recall can reach when ``positive_share`` of
    the items are positive: the missed positives are errors, everything else may be right."""
    return 1 - positive_share * (1 - recall)


def baselines(rows: Sequence[dict[str, Any]], target: str,
              positive: str | None = None) -> list[dict[str, Any]]:
    """Expected scores on ``rows`` of three rules that need no model: always the training
    split's most common label, a uniform random guess, and a random guess in the training
    split's label proportions. With ``positive``, also that class's recall."""
    labels = TARGETS[target].labels
    gold = Counter(label_of(r, target) for r in rows)
    train = Counter(label_of(r, target) for r in load(TARGETS[target].dataset, "train"))
    n, n_train = sum(gold.values()), sum(train.values())
    majority = train.most_common(1)[0][0]
    share = {label: gold[label] / n for label in labels}
    prior = {label: train[label] / n_train for label in labels}
    rules = [
        (f"always '{majority}'", share[majority], {majority: 1.0}),
        ("uniform random guess", 1 / len(labels), {label: 1 / len(labels) for label in labels}),
        ("random guess in training proportions",
         sum(share[label] * prior[label] for label in labels), prior),
    ]
    out = []
    for rule, accuracy, recall in rules:
        row: dict[str, Any] = {"rule": rule, "accuracy": accuracy}
        if positive is not None:
            row[f"recall of '{positive}'"] = recall.get(positive, 0.0)
        out.append(row)
    return out


def bootstrap_interval(correct: Sequence[bool], resamples: int = 5000, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval for accuracy: resample the test items with replacement,
    recompute accuracy each time, keep the middle ``level`` of the results."""
    values = np.asarray(correct, dtype=float)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


def interval_figure(accuracy: float, marked: dict[str, int],
                    sizes: Sequence[int] = tuple(range(10, 2001, 10))):
    """The 95% Wilson interval around ``accuracy`` against the number of test items (log
    scale), with the test-set sizes in ``marked`` labelled."""
    fig, (ax,) = _figure(1, width=6.4, height=3.6)
    low, high = zip(*(wilson_interval(round(accuracy * n), n) for n in sizes), strict=True)
    ax.fill_between(sizes, low, high, color=COLOURS[0], alpha=0.18, label="95% interval")
    ax.axhline(accuracy, color=COLOURS[0], linewidth=1, label=f"measured accuracy {accuracy:.2f}")
    for i, (name, n) in enumerate(marked.items()):
        lo, hi = wilson_interval(round(accuracy * n), n)
        ax.errorbar([n], [accuracy], yerr=[[accuracy - lo], [hi - accuracy]], fmt="o",
                    color=COLOURS[1 + i % (len(COLOURS) - 1)], capsize=4,
                    label=f"{name}: n = {n}, {lo:.2f} to {hi:.2f}")
    ax.set_xscale("log")
    ax.set(xlabel="test items (log scale)", ylabel="accuracy",
           title="How sure is a measured accuracy?", ylim=(max(0.0, min(low) - 0.05), 1.0))
    ax.legend(fontsize=8, loc="lower right")
    return fig


def _percent(share: float) -> str:
    """A share as a whole percentage that never rounds a non-zero share to 0% or a partial
    one to 100%."""
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share:.0%}"


def confusion_pair(matrices: Sequence[Sequence[Sequence[int]]], labels: Sequence[str],
                   titles: Sequence[str]):
    """Confusion matrices side by side, counts written in each cell. Cells are shaded by their
    share of the true row, so a rare class's row stays readable next to a huge common one (the
    darkest cell of a row is where most of that class ends up)."""
    fig, axes = _figure(len(matrices), width=3.6, height=3.3)
    for ax, matrix, title in zip(axes, matrices, titles, strict=True):
        m = np.asarray(matrix)
        shares = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
        ax.grid(False)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(labels)), labels, fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set(xlabel="predicted", ylabel="true", title=title)
        for (i, j), value in np.ndenumerate(m):
            ax.text(j, i, f"{value:,}\n({_percent(shares[i, j])} of row)", ha="center",
                    va="center", fontsize=8,
                    color="white" if shares[i, j] > 0.5 else "black")
    return fig


def prompt_costs(shots: Sequence[int] = (0, 1, 2, 4, 8, 16), queries: int = 50,
                 output_tokens: int = 1, seed: int = 0, prices: Prices = PRICES,
                 model: str = costs.SMALL_API, reasoning_tokens: float | None = 0
                 ) -> list[dict[str, Any]]:
    """Tokens per request of Lab 1's k-shot intent prompt (SmolLM2's tokenizer, averaged over
    ``queries`` test tickets; `tune_or_prompt.measure.costs.prompt_tokens`) and what 1,000 such requests
    would cost at a hosted ``model``'s per-token prices, no prompt cache. ``reasoning_tokens``:
    thinking tokens per answer where the model bills them (0: thinking turned off, the default
    here; None: the price file's assumption)."""
    counter = TokenCounter()
    texts = [r["text"] for r in load("tickets", "test")[:queries]]
    rows = []
    for k in shots:
        tokens = float(np.mean(costs.prompt_tokens(counter, "intent", k, texts, seed)))
        rows.append({"k": k, "tokens per request": round(tokens),
                     "USD per 1,000 requests": 1000 * costs.token_usd(
                         tokens, output_tokens, prices, model,
                         reasoning_tokens=reasoning_tokens),
                     **costs.price_columns(model, prices=prices)})
    return rows


def speed_table(sides: Sequence[Any], target: str, prices: Prices = PRICES):
    """Latency (median, p95) and busy compute time of each `compare.Side` for one target, one
    request at a time, as Lab 3 measured them. "USD per 1,000 (busy CPU)" prices that time
    alone; a server you keep running costs more (see `tune_or_prompt.measure.costs.Serving`)."""
    import pandas as pd

    rows = []
    for side in sides.values() if isinstance(sides, Mapping) else sides:
        part = side.details[target]
        rows.append({"system": side.approach,
                     "median ms": 1000 * part.latency_median_s,
                     "p95 ms": 1000 * part.latency_p95_s,
                     "CPU-s per 1,000": part.cpu_s_per_1000,
                     "USD per 1,000 (busy CPU)": costs.cpu_cost_per_1000(
                         part.cpu_s_per_1000 / 1000, prices)})
    return pd.DataFrame(rows).set_index("system")


def encoder_latency(texts: Sequence[str], labels: Sequence[str] | None = None) -> dict[str, float]:
    """Latency of the course's encoder classifying one text at a time, measured exactly as
    Lab 2 measures its fine-tuned models. A fresh classification head is used: the time of a
    forward pass does not depend on what the weights have learned."""
    from tune_or_prompt.approaches.finetuning import FineTuneResult, measure_latency
    from tune_or_prompt.ground.models import load_encoder

    labels = list(labels or TARGETS["intent"].labels)
    loaded = load_encoder(labels=labels)
    loaded.model.eval()
    untrained = FineTuneResult("intent", tuple(labels), loaded.model, loaded.tokenizer,
                               train_size=0, epochs=0, seed=0, method="full")
    measure_latency(untrained, texts[:3])  # warm-up: the first calls pay one-off costs
    return measure_latency(untrained, texts)


def worked_metrics(tp: int, fn: int, fp: int, tn: int) -> list[dict[str, Any]]:
    """Accuracy, precision, recall, F1 and macro-F1 of a yes/no confusion matrix, each computed
    by hand from the four counts and, beside it, by scikit-learn (via classification_report)."""
    from tune_or_prompt.ground.scores import classification_report

    gold, predicted = from_matrix([[tp, fn], [fp, tn]], ["yes", "no"])
    report = classification_report(gold, predicted, ["yes", "no"])
    yes, no = report["per_class"]["yes"], report["per_class"]["no"]
    total = tp + fn + fp + tn
    p_yes, r_yes = tp / (tp + fp), tp / (tp + fn)
    p_no, r_no = tn / (tn + fn), tn / (tn + fp)
    f1_yes, f1_no = 2 * p_yes * r_yes / (p_yes + r_yes), 2 * p_no * r_no / (p_no + r_no)
    return [
        {"metric": "accuracy", "formula": "(TP + TN) / all",
         "with the counts": f"({tp} + {tn}) / {total}", "by hand": (tp + tn) / total,
         "scikit-learn": report["accuracy"]},
        {"metric": "precision (yes)", "formula": "TP / (TP + FP)",
         "with the counts": f"{tp} / ({tp} + {fp})", "by hand": p_yes,
         "scikit-learn": yes["precision"]},
        {"metric": "recall (yes)", "formula": "TP / (TP + FN)",
         "with the counts": f"{tp} / ({tp} + {fn})", "by hand": r_yes,
         "scikit-learn": yes["recall"]},
        {"metric": "F1 (yes)", "formula": "2PR / (P + R)",
         "with the counts": f"2 × {p_yes:.3f} × {r_yes:.3f} / ({p_yes:.3f} + {r_yes:.3f})",
         "by hand": f1_yes, "scikit-learn": yes["f1"]},
        {"metric": "F1 (no)", "formula": "the same, for 'no'",
         "with the counts": f"precision {tn}/{tn + fn}, recall {tn}/{tn + fp}",
         "by hand": f1_no, "scikit-learn": no["f1"]},
        {"metric": "macro-F1", "formula": "mean of the per-class F1",
         "with the counts": f"({f1_yes:.3f} + {f1_no:.3f}) / 2",
         "by hand": (f1_yes + f1_no) / 2, "scikit-learn": report["macro_f1"]},
    ]


def scorecard(report: dict[str, Any], positive: str) -> dict[str, float]:
    """The numbers worth reporting for a rare class, from a classification_report."""
    cls = report["per_class"][positive]
    return {"accuracy": report["accuracy"], f"precision ({positive})": cls["precision"],
            f"recall ({positive})": cls["recall"], f"F1 ({positive})": cls["f1"],
            "macro-F1": report["macro_f1"]}
