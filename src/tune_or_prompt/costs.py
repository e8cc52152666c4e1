"""When does fine-tuning pay off? Total cost against queries served, and the break-even point.

Each approach has a set-up cost (paid once: labelling, training) and a cost per query (paid on
every request). Total cost after ``n`` queries is ``setup + n * per_query``; the approach with
the higher set-up cost pays off once the other one's extra per-query cost has added up to the
difference. Every input is editable: the numbers come from the learner's own measurements and
from `tune_or_prompt.metrics.Prices`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .metrics import PRICES, Prices, cpu_cost_per_1000, token_cost_per_1000


@dataclass(frozen=True)
class CostModel:
    """One approach's costs in USD: once, and per query."""

    name: str
    setup_usd: float
    per_query_usd: float

    def __post_init__(self) -> None:
        for field_name in ("setup_usd", "per_query_usd"):
            value = getattr(self, field_name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{self.name}: {field_name} must be a finite number >= 0, "
                                 f"not {value!r}")

    def total(self, queries: float) -> float:
        """What serving ``queries`` requests costs in all, set-up included."""
        return self.setup_usd + queries * self.per_query_usd


def break_even(a: CostModel, b: CostModel) -> float:
    """The number of queries after which the two approaches have cost the same.

    ``math.inf`` when the lines never cross (the approach that is dearer to set up is not
    cheaper per query), ``0.0`` when one is never dearer at all.
    """
    setup_gap = a.setup_usd - b.setup_usd
    query_gap = b.per_query_usd - a.per_query_usd
    if setup_gap == 0:
        return 0.0
    if query_gap == 0 or (setup_gap > 0) != (query_gap > 0):
        return math.inf
    return setup_gap / query_gap


def days_to_break_even(a: CostModel, b: CostModel, queries_per_day: float) -> float:
    """`break_even` in days of traffic."""
    if queries_per_day <= 0:
        raise ValueError(f"queries_per_day must be > 0, not {queries_per_day!r}")
    return break_even(a, b) / queries_per_day


def break_even_table(models: Sequence[CostModel],
                     queries_per_day: float) -> list[dict[str, float | str | None]]:
    """One row per model: its set-up cost, its cost per 1,000 queries and, against the last
    model, the break-even in queries and in days of traffic at ``queries_per_day``."""
    reference = models[-1]
    rows: list[dict[str, float | str | None]] = []
    for model in models:
        other = model is not reference
        rows.append({
            "approach": model.name, "set-up (USD)": model.setup_usd,
            "USD per 1,000 queries": 1000 * model.per_query_usd,
            f"break-even vs {reference.name} (queries)":
                break_even(model, reference) if other else None,
            "days at this volume":
                days_to_break_even(model, reference, queries_per_day) if other else None})
    return rows


def cpu_usd(cpu_seconds: float, prices: Prices = PRICES) -> float:
    """USD for ``cpu_seconds`` of CPU time."""
    return cpu_cost_per_1000(cpu_seconds, prices) / 1000


def token_usd(input_tokens: float, output_tokens: float = 1.0, prices: Prices = PRICES) -> float:
    """USD for one request to a hosted model priced per token."""
    return token_cost_per_1000(input_tokens, output_tokens, prices) / 1000


def prompting_costs(labelled_examples: int, cpu_seconds_per_query: float | None = None,
                    prompt_tokens: float | None = None, prices: Prices = PRICES,
                    name: str = "prompting") -> CostModel:
    """Prompting: label the demonstrations once; each query costs CPU time (a model you run) or
    tokens (a hosted model). Give exactly one of ``cpu_seconds_per_query`` or ``prompt_tokens``."""
    if (cpu_seconds_per_query is None) == (prompt_tokens is None):
        raise ValueError("give exactly one of cpu_seconds_per_query or prompt_tokens")
    per_query = (cpu_usd(cpu_seconds_per_query, prices) if cpu_seconds_per_query is not None
                 else token_usd(prompt_tokens, 1.0, prices))
    return CostModel(name, labelled_examples * prices.usd_per_label, per_query)


def finetuning_costs(labelled_examples: int, train_cpu_seconds: float,
                     cpu_seconds_per_query: float, prices: Prices = PRICES,
                     name: str = "fine-tuning") -> CostModel:
    """Fine-tuning: label the training set and train once; each query costs CPU time."""
    setup = labelled_examples * prices.usd_per_label + cpu_usd(train_cpu_seconds, prices)
    return CostModel(name, setup, cpu_usd(cpu_seconds_per_query, prices))


def cost_curves(models: Sequence[CostModel], horizon: float,
                points: int = 200) -> dict[str, list[tuple[float, float]]]:
    """Total cost at ``points`` query counts from 0 to ``horizon``, per approach."""
    step = horizon / max(points - 1, 1)
    return {m.name: [(i * step, m.total(i * step)) for i in range(points)] for m in models}
