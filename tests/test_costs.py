"""Break-even arithmetic against hand-computed values."""

from __future__ import annotations

import math

import pytest

from tune_or_prompt import costs
from tune_or_prompt.metrics import Prices


def test_break_even_by_hand():
    # Fine-tuning: $50 once, $0.0001 a query. Prompting: nothing once, $0.0011 a query.
    tuned = costs.CostModel("fine-tuning", 50.0, 0.0001)
    prompt = costs.CostModel("prompting", 0.0, 0.0011)
    assert costs.break_even(tuned, prompt) == pytest.approx(50_000)
    assert costs.break_even(prompt, tuned) == pytest.approx(50_000)  # symmetric
    assert tuned.total(50_000) == pytest.approx(prompt.total(50_000))
    assert costs.days_to_break_even(tuned, prompt, 1_000) == pytest.approx(50)


def test_lines_that_never_cross():
    dear_everywhere = costs.CostModel("a", 10.0, 0.002)
    cheap_everywhere = costs.CostModel("b", 1.0, 0.001)
    assert math.isinf(costs.break_even(dear_everywhere, cheap_everywhere))
    parallel = costs.CostModel("c", 5.0, 0.001)
    assert math.isinf(costs.break_even(parallel, cheap_everywhere))
    same_setup = costs.CostModel("d", 1.0, 0.005)
    assert costs.break_even(same_setup, cheap_everywhere) == 0.0


def test_setups_from_prices():
    prices = Prices(usd_per_cpu_hour=3.6, usd_per_million_input_tokens=2.0,
                    usd_per_million_output_tokens=4.0, usd_per_label=0.5)
    tuned = costs.finetuning_costs(200, train_cpu_seconds=100, cpu_seconds_per_query=0.01,
                                   prices=prices)
    assert tuned.setup_usd == pytest.approx(200 * 0.5 + 100 / 3600 * 3.6)  # 100.1
    assert tuned.per_query_usd == pytest.approx(0.01 / 3600 * 3.6)  # 1e-5
    hosted = costs.prompting_costs(8, prompt_tokens=500, prices=prices)
    assert hosted.setup_usd == pytest.approx(4.0)
    assert hosted.per_query_usd == pytest.approx((500 * 2.0 + 1 * 4.0) / 1e6)  # 0.001004
    assert costs.break_even(tuned, hosted) == pytest.approx((100.1 - 4.0) / (0.001004 - 1e-5))


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="exactly one"):
        costs.prompting_costs(0)
    with pytest.raises(ValueError, match="exactly one"):
        costs.prompting_costs(0, cpu_seconds_per_query=1, prompt_tokens=10)
    with pytest.raises(ValueError, match="setup_usd"):
        costs.CostModel("x", -1.0, 0.0)
    with pytest.raises(ValueError, match="per_query_usd"):
        costs.CostModel("x", 0.0, float("nan"))
    with pytest.raises(ValueError, match="queries_per_day"):
        costs.days_to_break_even(costs.CostModel("a", 1, 0), costs.CostModel("b", 0, 1), 0)


def test_cost_curves_are_straight_lines():
    model = costs.CostModel("m", 2.0, 0.5)
    curve = costs.cost_curves([model], horizon=10, points=11)["m"]
    assert curve[0] == (0.0, 2.0) and curve[-1] == (10.0, 7.0)


def test_break_even_table_compares_each_model_with_the_last():
    hosted = costs.CostModel("hosted prompt", 0.0, 0.001)
    tuned = costs.CostModel("fine-tuning", 50.0, 0.0)
    rows = costs.break_even_table([hosted, tuned], queries_per_day=1000)
    assert rows[0]["approach"] == "hosted prompt"
    assert rows[0]["USD per 1,000 queries"] == pytest.approx(1.0)
    assert rows[0]["break-even vs fine-tuning (queries)"] == pytest.approx(50_000)
    assert rows[0]["days at this volume"] == pytest.approx(50)
    assert rows[1]["break-even vs fine-tuning (queries)"] is None
    assert rows[1]["days at this volume"] is None
