"""Lesson 5's cost arithmetic: token counts, total cost and the break-even point."""

from __future__ import annotations

import math

import pytest

from tune_or_prompt.course.lessons import choosing as C
from tune_or_prompt.measure import costs
from tune_or_prompt.measure.costs import Prices


class WordCounter:
    """Stands in for a tokenizer: one token per whitespace-separated word."""

    def count(self, texts):
        return [len(t.split()) for t in texts]


def test_break_even_is_where_the_totals_meet():
    prompt = costs.CostModel("prompt", 0.0, 0.00060)
    tuned = costs.CostModel("tuned", 250.0, 0.00010)
    n = C.break_even(prompt, tuned)
    assert n == pytest.approx(500_000)
    assert prompt.total(n) == pytest.approx(tuned.total(n))
    assert C.break_even(tuned, prompt) == pytest.approx(500_000)


def test_no_crossing_when_the_dearer_set_up_is_not_cheaper_per_request():
    assert C.break_even(costs.CostModel("a", 0, 0.1), costs.CostModel("b", 50, 0.2)) is None
    assert C.break_even(costs.CostModel("a", 0, 0.1), costs.CostModel("b", 50, 0.1)) is None
    # an idle always-on server shared by few requests costs more than the prompt
    idle = costs.CostModel("b", 50, 0.0, usd_per_day=2.0, queries_per_day=100)
    assert C.break_even(costs.CostModel("a", 0, 0.001), idle) is None


def test_prompt_size_adds_one_demo_per_shot_and_the_header_once():
    demos = [{"text": "card never came", "intent": "card_delivery"},
             {"text": "charged twice at a shop today", "intent": "unrecognized_charge"}]
    queries = [{"text": "where is my refund"}, {"text": "locked out of the app again"}]
    size = costs.measure_prompt_size(WordCounter(), "intent", demos, queries)
    assert size.header > 50  # the instruction and eight intent rules
    # "Message: <text>" + "Answer: <word>": text words + 3 framing words
    assert size.per_demo == pytest.approx((3 + 6) / 2 + 3)
    assert size.query == pytest.approx((4 + 6) / 2 + 2)  # "Message:" and "Answer:"
    assert size.tokens(4) == pytest.approx(size.header + 4 * size.per_demo + size.query)
    assert size.times_query(0) == pytest.approx(size.tokens(0) / size.query)


def test_options_use_the_prices():
    prices = Prices(usd_per_cpu_hour=3.6, usd_per_million_input_tokens=1.0,
                    usd_per_million_output_tokens=2.0, usd_per_label=0.5, instance_vcpus=2,
                    bills_reasoning=False, cached_input_share=1.0, cache_write_share=1.0)
    size = costs.PromptSize(header=100, per_demo=50, query=50)
    assert C.prompted(size, 2, output_tokens=1, prices=prices).usd_per_1000() == pytest.approx(
        1000 * (250 * 1.0 + 2.0) / 1e6)
    tuned = C.finetuned(labels=100, cpu_s_per_1000=10, train_cpu_seconds=3600,
                        extra_setup_usd=7, prices=prices, per_day=100_000,
                        serving=costs.Serving("serverless"))
    assert tuned.setup_usd == pytest.approx(100 * 0.5 + 3.6 + 7)
    always_on = C.finetuned(labels=100, cpu_s_per_1000=10, prices=prices, per_day=1000)
    assert always_on.usd_per_1000() == pytest.approx(1000 * 24 * 2 * 3.6 / 1000)
    rows = C.cost_table(size, tuned, shots=(0, 8), per_day=100_000, prices=prices)
    assert [r["k"] for r in rows] == [0, 8]

    def requests(row):
        return float(row["break-even (requests)"].replace(",", ""))

    assert requests(rows[1]) < requests(rows[0])
    assert requests(rows[0]) == pytest.approx(C.break_even(C.prompted(size, 0, prices=prices),
                                                           tuned), abs=1)
    assert math.isclose(rows[0]["× query alone"], 3.0)
    never = C.cost_table(size, always_on, shots=(0,), per_day=1000, prices=prices)
    assert never[0]["break-even (requests)"] == "never"


def test_break_even_by_volume_gets_sooner_with_volume():
    size = costs.PromptSize(header=200, per_demo=40, query=40)
    rows = C.break_even_by_volume(size, 4, labels=200, cpu_s_per_1000=40,
                                  train_cpu_seconds=60, volumes=(100, 100_000))
    low = [r for r in rows if r["requests a day"] == 100 and r["fine-tuned served"] == "always-on"]
    high = [r for r in rows
            if r["requests a day"] == 100_000 and r["fine-tuned served"] == "always-on"]
    assert math.isinf(low[0]["days vs small API"])  # the idle server is never paid back
    assert math.isfinite(high[0]["days vs frontier API"])
    assert high[0]["days vs frontier API"] < high[0]["days vs small API"]
