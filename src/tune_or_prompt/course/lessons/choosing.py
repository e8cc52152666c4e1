"""Lesson 5 (Choosing): the cost crossover between few-shot prompting and fine-tuning.

Token counts are measured with a real tokenizer on the Quillfield tickets; prices, serving and
every formula come from `tune_or_prompt.measure.costs` (this module only arranges them for the page):

    total cost = set-up cost + requests x cost per request (daily serving costs shared out)

and the break-even point is where two options' totals are equal, or never.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tune_or_prompt.measure import costs
from tune_or_prompt.measure.costs import (
    PRICES,
    CostModel,
    Prices,
    PromptSize,
    Serving,
)
from tune_or_prompt.measure.plots import COLOURS, MARKERS, _figure


def prompted(size: PromptSize, k: int, output_tokens: float = 1, prices: Prices = PRICES, *,
             model: str = costs.SMALL_API, batch: bool = False) -> CostModel:
    """A hosted ``model`` prompted with k demonstrations, paid per token; nothing to set up.
    The repeated prefix is billed at the cached price where the vendor caches it."""
    return costs.hosted_prompt(size.tokens(k), model=model, output_tokens=output_tokens,
                               cached_tokens=size.prefix(k), batch=batch, prices=prices,
                               name=f"prompt, k={k}" + (f" ({model})" if model != costs.SMALL_API
                                                         else ""))


def finetuned(labels: int, cpu_s_per_1000: float, train_cpu_seconds: float = 0.0,
              extra_setup_usd: float = 0.0, prices: Prices = PRICES, *, per_day: float,
              serving: Serving = costs.DEFAULT_SERVING,
              retrain_every_months: float | None = None, relabel: int = 0) -> CostModel:
    """A small fine-tuned model on a server you pay for: labelling and training once, then
    serving at ``per_day`` requests a day (an always-on instance by default, billed whether busy
    or idle; see `tune_or_prompt.measure.costs.Serving`).

    ``labels`` counts only the extra labelled examples training needs (an evaluation set is
    needed by every option, so it is not charged here)."""
    return costs.finetuning_costs(labels, train_cpu_seconds, cpu_s_per_1000 / 1000, prices,
                                  f"fine-tuned ({serving.kind})", queries_per_day=per_day,
                                  serving=serving, retrain_every_months=retrain_every_months,
                                  relabel=relabel, extra_setup_usd=extra_setup_usd)


def break_even(a: CostModel, b: CostModel) -> float | None:
    """Requests after which the two options have cost the same; None if they never cross
    (`tune_or_prompt.measure.costs.break_even`)."""
    n = costs.break_even(a, b)
    return None if math.isinf(n) else n


def _never(n: float | None, scale: float = 1.0) -> str:
    return "never" if n is None else f"{n / scale:,.0f}"


def cost_table(size: PromptSize, tuned: CostModel, shots: Sequence[int] = (0, 1, 2, 4, 8, 16),
               per_day: float | None = None, prices: Prices = PRICES,
               model: str = costs.SMALL_API) -> list[dict[str, Any]]:
    """One row per k: tokens per request, times the query alone, USD per 1,000 requests, and
    the break-even against the fine-tuned option (in requests, and in days at ``per_day``)."""
    rows = []
    for k in shots:
        option = prompted(size, k, prices=prices, model=model)
        n = break_even(option, tuned)
        row = {"k": k, "tokens per request": round(size.tokens(k)),
               "× query alone": round(size.times_query(k), 1),
               "USD per 1,000": round(option.usd_per_1000(), 4),
               "break-even (requests)": _never(n)}
        if per_day:
            row["break-even (days)"] = _never(n, per_day)
        rows.append({**row, **costs.price_columns(model, prices=prices)})
    return rows


def break_even_by_volume(size: PromptSize, k: int, labels: int, cpu_s_per_1000: float,
                         train_cpu_seconds: float, volumes: Sequence[float] = (100, 3000, 100_000),
                         models: Sequence[str] = (costs.SMALL_API, costs.OPEN_MODEL,
                                                  costs.FRONTIER_API),
                         serving: Sequence[Serving] = (costs.DEFAULT_SERVING,
                                                       Serving(costs.SERVERLESS)),
                         prices: Prices = PRICES,
                         retrain_every_months: float | None = None) -> list[dict[str, Any]]:
    """Days until the fine-tuned model pays for itself against the k-shot prompt, for each
    volume, hosted model and way of serving the fine-tuned model ("never" when it is not
    cheaper per request at that volume). Also each option's USD per 1,000 requests."""
    rows = []
    for per_day in volumes:
        for how in serving:
            tuned = finetuned(labels, cpu_s_per_1000, train_cpu_seconds, prices=prices,
                              per_day=per_day, serving=how,
                              retrain_every_months=retrain_every_months)
            row: dict[str, Any] = {"requests a day": per_day, "fine-tuned served": how.kind,
                                   "fine-tuned USD per 1,000": tuned.usd_per_1000()}
            for model in models:
                prompt = prompted(size, k, prices=prices, model=model)
                row[f"prompt ({model}) USD per 1,000"] = prompt.usd_per_1000()
                row[f"days vs {model}"] = costs.days_to_break_even(tuned, prompt, per_day)
            rows.append({**row, **costs.price_columns(*models, prices=prices)})
    return rows


def crossover_figure(options: Sequence[CostModel], tuned: CostModel, max_requests: float,
                     per_day: float | None = None):
    """Total cost against the number of requests: one line per prompted option and one for the
    fine-tuned option, with each break-even point marked (and a top axis in days at
    ``per_day`` requests a day)."""
    fig, (ax,) = _figure(1, width=7.0, height=4.0)
    n = np.linspace(0, max_requests, 200)
    millions = n / 1e6
    for i, option in enumerate(options):
        colour = COLOURS[i % len(COLOURS)]
        ax.plot(millions, option.total(n), color=colour, label=option.name)
        crossing = break_even(option, tuned)
        if crossing is not None and crossing <= max_requests:
            ax.plot(crossing / 1e6, option.total(crossing), marker=MARKERS[i % len(MARKERS)],
                    color=colour, markersize=8, zorder=3)
            ax.annotate(f"{crossing / 1e3:,.0f}k", (crossing / 1e6, option.total(crossing)),
                        textcoords="offset points", xytext=(6, -13), fontsize=8, color=colour)
    ax.plot(millions, tuned.total(n), color="black", linewidth=2.2, linestyle="--",
            label=f"{tuned.name} (set-up ${tuned.setup_usd:,.0f})")
    ax.set(xlabel="requests (millions)", ylabel="total cost (USD)", xlim=(0, max_requests / 1e6),
           ylim=(0, None), title="Total cost: prompting vs fine-tuning")
    ax.legend(fontsize=8, loc="upper left")
    if per_day:
        top = ax.secondary_xaxis("top", functions=(lambda m: m * 1e6 / per_day,
                                                   lambda d: d * per_day / 1e6))
        top.set_xlabel(f"days at {per_day:,.0f} requests a day", fontsize=9)
    return fig
