"""Every number the pages quote from the course's reference run, by name, formatted once.

`facts` reads `compare.reference_run()` (measured by ``python -m tune_or_prompt.bench --only
compare --write-reference``) and the bundled data; `numbers.glue_reference` glues the result on
every page. Names: ``<dataset>_<approach>_<what>``, approaches ``prompt``, ``ft`` (fine-tuning
every weight) and ``emb`` (embeddings + a classifier); validation-curve names are
``<target>_val_k<k>_acc`` (raw) and ``..._acc_cal`` (calibrated).
"""

from __future__ import annotations

import math
from typing import Any

from tune_or_prompt.ground.scores import interval_text, wilson_interval

SHORT = {"prompting": "prompt", "fine-tuning": "ft", "embeddings + classifier": "emb"}


def fmt(value: Any, spec: str = "") -> str:
    """``value`` as the text a page shows: a format spec (``".2f"``, ``",.0f"``, ``".0%"``),
    or ``str`` for text; infinity reads "never"."""
    if isinstance(value, float) and math.isinf(value):
        return "never"
    return format(value, spec) if spec else str(value)


def _and(items: list[str]) -> str:
    """'0, 1 and 4'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def facts() -> dict[str, str]:
    """All reference-run numbers the pages quote (see the module docstring for the names)."""
    from tune_or_prompt.ground.data import load
    from tune_or_prompt.ground.registry import dataset

    from .compare import EMBEDDINGS, FINE_TUNING, PROMPTING, crossing_point, reference_run, verdict

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
            put(f"{key}_acc_ci", interval_text(lo, hi))
            put(f"{key}_f1", side.macro_f1, ".2f")
            s = task.spread(approach)
            put(f"{key}_acc_mean", s["mean"], ".2f")
            put(f"{key}_acc_sd", s["sd"], ".2f")
            put(f"{key}_acc_range", interval_text(s["min"], s["max"]))
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
                put(f"{key}_{rare}_recall_range", interval_text(s["min"], s["max"]))
                p = task.spread(approach, "rare_precision")
                put(f"{key}_{rare}_precision_range", interval_text(p["min"], p["max"]))
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
                put(f"{name}_curve_{size}_range", interval_text(min(values), max(values)))
            best = max(r["accuracy"] for r in curve if r["approach"] == PROMPTING)
            put(f"{name}_curve_best_prompt", best, ".2f")
            crossing = crossing_point(curve)
            put(f"{name}_crossing", "never" if crossing is None else f"{crossing:,d}")
    out.update(today_facts())
    return out


def today_facts() -> dict[str, str]:
    """The numbers of Lesson 6's five demos (`today.reference_run`), named ``today_*``:
    accuracies as ``_acc`` with ``_ci`` (95% Wilson) and ``_correct`` ("31 of 48"), sign-test
    verdicts as ``_vs_``, many-shot points as ``today_k<k>_*``."""
    from .today import compare_runs, reference_run

    run = reference_run()
    out: dict[str, str] = {"today_source": run.source}

    def put(name: str, value: Any, spec: str = "") -> None:
        out[name] = fmt(value, spec)

    def score(name: str, s: Any) -> None:
        put(f"{name}_acc", s.accuracy, ".2f")
        put(f"{name}_ci", interval_text(*s.interval))
        put(f"{name}_correct", f"{s.correct} of {s.n}")

    def shots(k: int) -> str:
        return "no demonstration" if k == 0 else "one demonstration" if k == 1 else (
            f"{k} demonstrations")

    settings = run.settings
    put("today_task", settings.task)
    put("today_n_val", settings.n_validation, "d")
    put("today_n_test", settings.n_test, "d")

    c = run.constrained
    put("today_con_k", c.k, "d")
    score("today_free", c.free)
    score("today_guided", c.guided_score)
    score("today_scored", c.constrained)
    put("today_free_unparsed", c.unparsed, "d")
    put("today_free_not_exact", c.not_exact, "d")
    put("today_free_wrong", c.free_wrong, "d")
    put("today_guided_errors", c.guided_format_errors, "d")
    put("today_free_vs_scored", c.verdict)
    put("today_free_vs_guided", c.guided_verdict)
    put("today_guided_vs_scored_differ", sum(g != s for g, s in zip(c.guided, c.scored,
                                                                     strict=True)), "d")
    for name, seconds in (("free", c.free_seconds), ("guided", c.guided_seconds),
                          ("scored", c.constrained_seconds)):
        put(f"today_{name}_s_per_query", seconds / c.free.n, ".2f")
    example = next((o for o, p in zip(c.outputs, c.parsed, strict=True) if p is None), None)
    put("today_free_example", repr(example) if example is not None else "none")

    m = run.many_shot
    put("today_max_k", m.max_k, "d")
    put("today_context", m.context, ",d")
    put("today_price_model", m.model)
    put("today_shots", _and([str(p.k) for p in m.points]))
    for point in m.points:
        key = f"today_k{point.k}"
        score(key, point.score)
        score(f"{key}_cal", point.score_calibrated)
        put(f"{key}_tokens", point.prompt_tokens, ",.0f")
        put(f"{key}_usd", point.usd_per_1000, ",.3f")
        put(f"{key}_usd_cached", point.usd_per_1000_cached, ",.3f")
        put(f"{key}_s", point.seconds_per_query, ".2f")
    first, last = m.points[0], m.points[-1]
    score("today_kmax", last.score)
    best = max(m.points, key=lambda p: (p.score.correct, -p.k))  # ties: fewer demonstrations
    put("today_best_k", best.k, "d")
    score("today_best", best.score)
    put("today_ms_cost_ratio", last.usd_per_1000 / first.usd_per_1000, ",.0f")
    put("today_ms_cached_share", last.usd_per_1000_cached / last.usd_per_1000, ".0%")
    put("today_ms_time_ratio", last.seconds_per_query / first.seconds_per_query, ",.0f")
    t = run.many_shot_test
    put("today_ms_k", t.k, "d")
    put("today_ms_shots", shots(t.k))
    put("today_ms_mode", "with calibration" if t.calibrated else "without calibration")
    score("today_ms_test", t.score)
    put("today_ms_test_usd", t.point.usd_per_1000, ",.3f")

    d = run.demos
    put("today_demo_shots", _and([str(k) for k in d.shots]))
    for name in ("retrieved", "fixed"):
        short = name[:3]
        put(f"today_{short}_k", d.chosen_k[name], "d")
        score(f"today_{short}", d.test[name])
    put("today_ret_vs_fix", d.verdict)
    if d.nearest_label is not None and d.nearest_verdict is not None:
        score("today_nn", d.nearest_label)
        put("today_ret_vs_nn", d.nearest_verdict)

    x = run.distill
    put("today_dist_n", x.n, "d")
    put("today_teacher_shots", shots(x.teacher_k))
    put("today_teacher_mode", "with calibration" if x.teacher_calibrated
        else "without calibration")
    score("today_teacher_agree", x.agreement)
    score("today_student_teacher", x.teacher_student)
    score("today_student_human", x.human_student)
    put("today_dist_vs", x.verdict)

    change = compare_runs(run.kept_before, run.kept_after)
    put("today_kept_n", len(run.kept_before.rows), "d")
    put("today_kept_k", run.kept_before.settings["k"], "d")
    score("today_kept_before", change.score_before)
    score("today_kept_after", change.score_after)
    put("today_kept_worse", len(change.worse), "d")
    put("today_kept_better", len(change.better), "d")
    put("today_kept_changed", change.changed, "d")
    put("today_kept_vs", change.verdict)
    return out


def _support(side, label: str) -> int:
    """How many test rows truly have ``label`` (from the report of the target that has it)."""
    return next(int(part.report["per_class"][label]["support"])
                for part in side.details.values() if label in part.report["per_class"])
