"""Break-even arithmetic against hand-computed values."""

from __future__ import annotations

import math

import pytest

from tune_or_prompt.measure import costs
from tune_or_prompt.measure.costs import Prices


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
                    usd_per_million_output_tokens=4.0, usd_per_label=0.5, instance_vcpus=2,
                    bills_reasoning=False)
    # Always-on: one 2-vCPU instance at $7.20/hour, $172.80 a day, busy or idle.
    tuned = costs.finetuning_costs(200, train_cpu_seconds=100, cpu_seconds_per_query=0.01,
                                   prices=prices, queries_per_day=1000)
    assert tuned.setup_usd == pytest.approx(200 * 0.5 + 100 / 3600 * 3.6)  # 100.1
    assert tuned.per_query_usd == 0.0
    assert tuned.usd_per_day == pytest.approx(24 * 2 * 3.6)
    assert tuned.effective_per_query_usd == pytest.approx(24 * 2 * 3.6 / 1000)
    hosted = costs.prompting_costs(8, prompt_tokens=500, prices=prices)
    assert hosted.setup_usd == pytest.approx(4.0)
    assert hosted.per_query_usd == pytest.approx((500 * 2.0 + 1 * 4.0) / 1e6)  # 0.001004
    # The idle server costs more per query than the whole prompt: it never pays back.
    assert math.isinf(costs.break_even(tuned, hosted))
    assert "not cheaper per query" in costs.why_never(tuned, hosted)
    busy = costs.finetuning_costs(200, 100, 0.01, prices, queries_per_day=1_000_000)
    assert busy.effective_per_query_usd == pytest.approx(24 * 2 * 3.6 / 1e6)  # still 1 instance
    assert costs.break_even(busy, hosted) == pytest.approx(
        (100.1 - 4.0) / (0.001004 - 24 * 2 * 3.6 / 1e6))
    assert costs.why_never(busy, hosted) is None


def test_always_on_instances_follow_utilisation():
    prices = Prices(usd_per_cpu_hour=1.0, instance_vcpus=2)
    half = costs.Serving(costs.ALWAYS_ON, utilisation=0.5)  # 86,400 CPU-s a day per instance
    assert half.instances(0.5, 100, prices) == 1  # low volume: the one instance you need
    assert half.instances(0.5, 172_800, prices) == 1
    assert half.instances(0.5, 172_801, prices) == 2
    full = costs.Serving(costs.ALWAYS_ON, utilisation=1.0)
    assert full.instances(0.5, 345_600, prices) == 1
    per_query, per_day = half.costs(0.5, 400_000, prices)
    assert per_query == 0.0 and per_day == pytest.approx(3 * 24 * 2 * 1.0)
    # At high volume the cost per query approaches cpu_seconds / utilisation:
    model = costs.self_hosted("m", 0.5, 172_800, serving=half, prices=prices)
    assert model.effective_per_query_usd == pytest.approx(0.5 / 0.5 / 3600 * 1.0)


def test_serverless_bills_seconds_and_requests_only():
    prices = Prices(serverless_usd_per_gb_second=1e-5, serverless_usd_per_million_requests=0.2,
                    serverless_gb_per_vcpu=2.0)
    model = costs.self_hosted("m", 0.04, 10, serving=costs.Serving(costs.SERVERLESS),
                              prices=prices)
    assert model.usd_per_day == 0.0
    assert model.per_query_usd == pytest.approx(0.04 * 2.0 * 1e-5 + 0.2 / 1e6)
    # the same at any volume: nothing is paid while idle
    again = costs.self_hosted("m", 0.04, 1e6, serving=costs.Serving(costs.SERVERLESS),
                              prices=prices)
    assert again.effective_per_query_usd == pytest.approx(model.effective_per_query_usd)


def test_hosted_discounts_and_models():
    prices = Prices(frontier_usd_per_million_input_tokens=10.0,
                    frontier_usd_per_million_output_tokens=20.0, frontier_cached_input_share=0.5,
                    frontier_cache_write_share=1.0, frontier_bills_reasoning=False,
                    frontier_cache_min_tokens=1000, batch_share=0.5, requests_per_cache_write=10)
    full = costs.token_usd(2000, 1, prices, costs.FRONTIER_API)
    assert full == pytest.approx((2000 * 10 + 20) / 1e6)
    cached = costs.token_usd(2000, 1, prices, costs.FRONTIER_API, cached_tokens=1500)
    # one request in 10 misses the cache (full price), the other 9 read it at half price
    assert cached == pytest.approx((500 * 10 + 1500 * 10 * (1 + 9 * 0.5) / 10 + 20) / 1e6)
    # below the vendor's caching minimum, nothing is cached
    assert costs.token_usd(900, 1, prices, costs.FRONTIER_API, cached_tokens=800) == (
        pytest.approx((900 * 10 + 20) / 1e6))
    assert costs.token_usd(2000, 1, prices, costs.FRONTIER_API, batch=True) == (
        pytest.approx(full / 2))
    with pytest.raises(ValueError, match="unknown hosted model"):
        costs.token_usd(1, 1, prices, "gpt-9")


def test_hosted_fine_tuned_model_has_its_own_prices():
    prices = Prices(finetuned_usd_per_million_input_tokens=0.3,
                    finetuned_usd_per_million_output_tokens=1.2,
                    finetuning_usd_per_million_training_tokens=3.0, usd_per_label=0.25)
    model = costs.hosted_finetuning_costs(200, training_tokens=20_000, query_tokens=40,
                                          prices=prices, epochs=3)
    assert model.setup_usd == pytest.approx(200 * 0.25 + 3 * 20_000 * 3.0 / 1e6)
    assert model.per_query_usd == pytest.approx((40 * 0.3 + 1.2) / 1e6)


def test_retraining_is_spread_over_its_period():
    prices = Prices(usd_per_cpu_hour=3.6, usd_per_label=1.0)
    model = costs.finetuning_costs(100, 3600, 0.01, prices, queries_per_day=1000,
                                   serving=costs.Serving(costs.SERVERLESS),
                                   retrain_every_months=12, relabel=50)
    assert model.usd_per_day == pytest.approx((3.6 + 50) / 365.25)


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
    with pytest.raises(ValueError, match="queries_per_day"):
        costs.prompting_costs(0, cpu_seconds_per_query=0.1)  # a server needs a volume
    with pytest.raises(ValueError, match="queries_per_day > 0"):
        costs.CostModel("x", 0.0, 0.0, usd_per_day=2.0)
    with pytest.raises(ValueError, match="priced for"):
        daily = costs.CostModel("a", 1, 0, usd_per_day=1.0, queries_per_day=100)
        costs.days_to_break_even(daily, costs.CostModel("b", 0, 1), 200)
    with pytest.raises(ValueError, match="utilisation"):
        costs.Serving(utilisation=0)


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
    assert rows[0]["fixed USD per day"] == 0.0
    assert rows[1]["break-even vs fine-tuning (queries)"] is None
    assert rows[1]["days at this volume"] is None
