"""Every number the pages quote from the course's reference run, by name, formatted once.

`facts` reads `compare.reference_run()` (measured by ``python -m tune_or_prompt.bench --only
compare --write-reference``) and the bundled data; `numbers.glue_reference` glues the result on
every page. Names: ``<dataset>_<approach>_<what>``, approaches ``prompt``, ``ft`` (fine-tuning
every weight) and ``emb`` (embeddings + a classifier); validation-curve names are
``<target>_val_k<k>_acc`` (raw) and ``..._acc_cal`` (calibrated).
"""

from __future__ import annotations

from typing import Any

from .metrics import wilson_interval

SHORT = {"prompting": "prompt", "fine-tuning": "ft", "embeddings + classifier": "emb"}


def _range(lo: float, hi: float, spec: str = ".2f") -> str:
    return f"{lo:{spec}}–{hi:{spec}}"  # an en dash, as the prose writes ranges


def _and(items: list[str]) -> str:
    """'0, 1 and 4'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def facts() -> dict[str, str]:
    """All reference-run numbers the pages quote (see the module docstring for the names)."""
    from .compare import EMBEDDINGS, FINE_TUNING, PROMPTING, crossing_point, reference_run, verdict
    from .data import load
    from .numbers import fmt
    from .tasks import dataset

    run = reference_run()
    out: dict[str, str] = {"ref_source": run.source,
                           "ref_seeds": str(1 + len(run.settings.get("repeat_seeds", ()))),
                           "ref_epochs": str(run.settings.get("epochs", ""))}

    def put(name: str, value: Any, spec: str = "") -> None:
        out[name] = fmt(value, spec)

    for target_name, record in run.scorer.items():  # the KV-cache speed-up, honestly measured
        put(f"scorer_speedup_{target_name}", record["speedup"], ".1f")
        put("scorer_k", record["k"], "d")
        put(f"scorer_queries_{target_name}", record["queries"], "d")

    for name, task in run.tasks.items():
        main = dataset(name).main
        first = next(iter(task.sides.values()))
        n = len(first.details[main].answers)
        validation_n = min(int(run.settings.get("n_validation", 32)),
                           len(load(name, "validation")))
        put(f"{name}_n_test", n, "d")
        put(f"{name}_one_ticket_points", 100 / n, ".2f")
        for approach, side in task.sides.items():
            short = SHORT.get(approach)
            if short is None:
                continue
            key = f"{name}_{short}"
            correct = round(side.accuracy * n)
            lo, hi = wilson_interval(correct, n)
            put(f"{key}_acc", side.accuracy, ".2f")
            put(f"{key}_correct", correct, "d")
            put(f"{key}_acc_ci", _range(lo, hi))
            put(f"{key}_f1", side.macro_f1, ".2f")
            s = task.spread(approach)
            put(f"{key}_acc_mean", s["mean"], ".2f")
            put(f"{key}_acc_sd", s["sd"], ".2f")
            put(f"{key}_acc_range", _range(s["min"], s["max"]))
            put(f"{key}_p95_ms", 1000 * side.latency_p95_s, ",.0f")
            put(f"{key}_median_ms", 1000 * side.latency_median_s, ",.0f")
            put(f"{key}_labelled", side.labelled_examples, ",d")
            put(f"{key}_cpu_s_per_1000", side.cpu_s_per_1000, ",.1f")
            if side.prompt_tokens:
                put(f"{key}_tokens", side.prompt_tokens, ",.0f")
            if side.setup_seconds:
                put(f"{key}_train_s", side.setup_seconds, ".1f")
            for target_name, part in side.details.items():
                tkey = f"{key}_{target_name}"
                put(f"{tkey}_acc", part.report["accuracy"], ".2f")
                put(f"{tkey}_median_ms", 1000 * part.latency_median_s, ",.0f")
                put(f"{tkey}_p95_ms", 1000 * part.latency_p95_s, ",.0f")
                if part.prompt_tokens:
                    put(f"{tkey}_tokens", part.prompt_tokens, ",.0f")
                if part.setup_seconds:
                    put(f"{tkey}_train_s", part.setup_seconds, ".1f")
                if part.train_size:
                    put(f"{tkey}_train_size", part.train_size, ",d")
                if part.k is not None:
                    put(f"{tkey}_k", part.k, "d")
                    put(f"{tkey}_mode", "calibrated" if part.calibrated else "raw")
            if side.rare_label:
                rare = side.rare_label
                put(f"{key}_{rare}_recall", side.rare_recall, ".2f")
                put(f"{key}_{rare}_precision", side.rare_precision, ".2f")
                support = _support(side, rare)
                put(f"{key}_{rare}_caught", f"{round(side.rare_recall * support)} of {support}")
                s = task.spread(approach, "rare_recall")
                put(f"{key}_{rare}_recall_range", _range(s["min"], s["max"]))
                p = task.spread(approach, "rare_precision")
                put(f"{key}_{rare}_precision_range", _range(p["min"], p["max"]))
        # Who is ahead on the main label: a sign test on the same rows.
        for a, b in ((FINE_TUNING, PROMPTING), (EMBEDDINGS, PROMPTING), (FINE_TUNING, EMBEDDINGS)):
            if a in task.sides and b in task.sides:
                put(f"{name}_{SHORT[a]}_vs_{SHORT[b]}", verdict(task.sides, a, b))
        if first.rare_label:  # the rare class's share of the test rows (every side: the same)
            rare, support = first.rare_label.replace(" ", "_"), _support(first, first.rare_label)
            put(f"{name}_n_{rare}", support, "d")
            put(f"{name}_never_{rare}_acc", 1 - support / n, ".2f")
        # The prompt settings chosen on validation, and the validation curves they came from.
        for target_name, choice in task.choices.items():
            put(f"{target_name}_k", choice.k, "d")
            put(f"{target_name}_mode", "calibrated" if choice.calibrated else "raw")
            put(f"{target_name}_demos", "no demonstration" if choice.k == 0 else
                "one demonstration" if choice.k == 1 else f"{choice.k} demonstrations")
            put(f"{target_name}_calibration", "with contextual calibration" if choice.calibrated
                else "without calibration")
            tried = run.settings.get("candidate_shots", {}).get(target_name)
            if tried:
                put(f"{target_name}_candidates", _and([str(k) for k in tried]))
            if choice.validation_macro_f1 is not None:
                put(f"{target_name}_val_f1", choice.validation_macro_f1, ".2f")
        for target_name, curve in task.prompt_curves.items():
            for row in curve:
                put(f"{target_name}_val_k{row['k']}_acc", row["accuracy"], ".2f")
                put(f"{target_name}_val_k{row['k']}_acc_cal", row["accuracy_calibrated"], ".2f")
            put(f"{target_name}_val_n", validation_n, "d")
            put(f"{target_name}_val_one_row", 1 / validation_n, ".2f")
        # The crossover: embeddings + a classifier against labelled examples (validation rows).
        curve = run.curve(name)
        if curve:
            by_size: dict[int, list[float]] = {}
            for row in curve:
                if row["approach"] != PROMPTING:
                    by_size.setdefault(int(row["labelled"]), []).append(row["accuracy"])
            for size, values in by_size.items():
                put(f"{name}_curve_{size}_mean", sum(values) / len(values), ".2f")
                put(f"{name}_curve_{size}_range", _range(min(values), max(values)))
            best = max(r["accuracy"] for r in curve if r["approach"] == PROMPTING)
            put(f"{name}_curve_best_prompt", best, ".2f")
            crossing = crossing_point(curve)
            put(f"{name}_crossing", "never" if crossing is None else f"{crossing:,d}")
    return out


def _support(side, label: str) -> int:
    """How many test rows truly have ``label`` (from the report of the target that has it)."""
    return next(int(part.report["per_class"][label]["support"])
                for part in side.details.values() if label in part.report["per_class"])
