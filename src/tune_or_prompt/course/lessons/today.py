"""Lesson 6 (Prompting and fine-tuning today): tables and a figure from the lesson's reference
run (`tune_or_prompt.measure.today.reference_run`, measured by ``python -m tune_or_prompt.bench --only
today --write-reference``). Every cell the page shows comes from that run."""

from __future__ import annotations

from typing import Any

from tune_or_prompt.ground.registry import target
from tune_or_prompt.ground.scores import Score
from tune_or_prompt.measure import costs
from tune_or_prompt.measure.plots import COLOURS, MARKERS, _figure
from tune_or_prompt.measure.today import TodayRun, compare_runs


def _row(name: str, score: Score, **more: Any) -> dict[str, Any]:
    return {"": name, "accuracy": f"{score.accuracy:.2f}", "95% interval": score.interval_text,
            "right": score.count_text, **more}


def constrained_table(run: TodayRun):
    """Free generation, constrained generation and label scoring on the same test tickets."""
    import pandas as pd

    c = run.constrained
    n = c.free.n
    rows = [
        _row("free generation, parsed", c.free, **{
            "not one allowed word": c.not_exact, "no allowed label at all": c.unparsed,
            "seconds per ticket": f"{c.free_seconds / n:.2f}"}),
        _row("generation constrained to the answers", c.guided_score, **{
            "not one allowed word": c.guided_format_errors,
            "no allowed label at all": c.guided_format_errors,
            "seconds per ticket": f"{c.guided_seconds / n:.2f}"}),
        _row("label scoring", c.constrained, **{
            "not one allowed word": c.constrained_format_errors,
            "no allowed label at all": c.constrained_format_errors,
            "seconds per ticket": f"{c.constrained_seconds / n:.2f}"}),
    ]
    return pd.DataFrame(rows).set_index("")


def many_shot_table(run: TodayRun):
    """The validation sweep: accuracy, tokens, hosted cost and time against k."""
    import pandas as pd

    model = run.many_shot.model
    rows = []
    for p in run.many_shot.points:
        usd, cached = costs.input_cost_per_1000(p.prompt_tokens, p.prefix_tokens, model)
        rows.append({"k": p.k, "accuracy": f"{p.score.accuracy:.2f}",
                     "95% interval": p.score.interval_text,
                     "calibrated": f"{p.score_calibrated.accuracy:.2f}",
                     "tokens per query": f"{p.prompt_tokens:,.0f}",
                     "input $ per 1,000 queries": f"{usd:.3f}",
                     "with a cached prefix": f"{cached:.3f}",
                     "seconds per query here": f"{p.seconds_per_query:.2f}",
                     **costs.price_columns(model)})
    return pd.DataFrame(rows).set_index("k")


def many_shot_figure(run: TodayRun):
    """Left: validation accuracy (raw, calibrated; 95% intervals) against k. Right: the hosted
    price of 1,000 queries against k, with and without the cached-prefix discount."""
    import numpy as np

    points = run.many_shot.points
    ks = np.array([p.k for p in points])
    fig, (ax, cost) = _figure(2, width=4.6)
    for i, (name, attr) in enumerate((("raw", "score"), ("calibrated", "score_calibrated"))):
        scores = [getattr(p, attr) for p in points]
        acc = np.array([s.accuracy for s in scores])
        low = np.array([s.interval[0] for s in scores])
        high = np.array([s.interval[1] for s in scores])
        ax.errorbar(ks, acc, yerr=[acc - low, high - acc], marker=MARKERS[i], color=COLOURS[i],
                    capsize=3, linestyle="-" if i == 0 else "--", label=name)
    classes = len(target(run.settings.task).labels)
    ax.axhline(1 / classes, color="grey", linestyle=":", label=f"guessing (1 in {classes})")
    ax.set(xlabel="demonstrations in the prompt (k)", ylabel="accuracy (validation)",
           ylim=(0, 1.02), title=f"Accuracy, {points[0].score.n} validation tickets")
    ax.legend(fontsize=8, loc="upper right")
    model = run.many_shot.model
    now = [costs.input_cost_per_1000(p.prompt_tokens, p.prefix_tokens, model) for p in points]
    cost.plot(ks, [u for u, _ in now], marker="o", color=COLOURS[2],
              label="every token at the input price")
    cost.plot(ks, [c for _, c in now], marker="s", color=COLOURS[3],
              linestyle="--", label="demonstrations from the prompt cache")
    columns = costs.price_columns(model)
    cost.set(xlabel="demonstrations in the prompt (k)", ylabel="input $ per 1,000 queries",
             title=f"Input cost, {columns['priced as']}\n"
                   f"prices checked on {columns['prices checked on']}")
    cost.legend(fontsize=8, loc="upper left")
    for axis in (ax, cost):  # k from 0 to the context's limit: a log-like axis, ticks at each k
        axis.set_xscale("symlog", linthresh=4)
        axis.set_xticks(ks, [str(k) for k in ks])
        axis.minorticks_off()
        axis.set_xlim(-0.6, ks.max() * 1.3)
    return fig


def retrieval_table(run: TodayRun):
    """Retrieved against fixed demonstrations, and the nearest ticket's label with no model."""
    import pandas as pd

    d = run.demos
    rows = [_row(f"retrieved demonstrations (k = {d.chosen_k['retrieved']})",
                 d.test["retrieved"]),
            _row(f"fixed demonstrations (k = {d.chosen_k['fixed']})", d.test["fixed"])]
    if d.nearest_label is not None:
        rows.append(_row("no language model: copy the nearest ticket's label", d.nearest_label))
    return pd.DataFrame(rows).set_index("")


def distill_table(run: TodayRun):
    """The teacher's agreement with the human labels, and the two students on the test rows."""
    import pandas as pd

    x = run.distill
    rows = [_row(f"teacher labels agree with the human ones ({x.n} training tickets)",
                 x.agreement),
            _row("student trained on the teacher's labels (test)", x.teacher_student),
            _row("student trained on the human labels (test)", x.human_student)]
    return pd.DataFrame(rows).set_index("")


def worse_rows(run: TodayRun, limit: int = 5):
    """The kept evaluation set: rows right before the prompt change and wrong after it."""
    import pandas as pd

    change = compare_runs(run.kept_before, run.kept_after)
    rows = [{"ticket": b.text[:70] + ("…" if len(b.text) > 70 else ""), "label": b.gold,
             "after the change": a.predicted} for b, a in change.worse[:limit]]
    return pd.DataFrame(rows, columns=["ticket", "label", "after the change"])


__all__ = ["constrained_table", "distill_table", "many_shot_figure", "many_shot_table",
           "retrieval_table", "worse_rows"]
