"""The dated price file: its schema and dates, and what the cost model does with it.

Each check reads a real file (the bundled one, or a changed copy the test writes to tmp_path)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml
from pydantic import ValidationError

from tune_or_prompt.ground import prices as price_list
from tune_or_prompt.ground.prices import PRICE_LIST, read
from tune_or_prompt.measure import costs


def _bundled() -> dict:
    from importlib import resources

    return yaml.safe_load(resources.files("tune_or_prompt.ground.data").joinpath("prices.yaml")
                          .read_text("utf-8"))


def _write(tmp_path, data: dict):
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_every_entry_has_a_source_and_a_date():
    for entry in PRICE_LIST.entries():
        assert str(entry.source).startswith("https://")
        assert entry.checked <= PRICE_LIST.checked
        if entry.source_kind == "copy":
            assert entry.vendor_page is not None


def test_the_roles_name_current_models_of_three_vendors():
    vendors = {m.vendor for m in PRICE_LIST.models}
    assert {"OpenAI", "Anthropic", "Google"} <= vendors
    for role in ("small API", "frontier API"):
        model = PRICE_LIST.by_role(role)
        assert "gpt-4o" not in model.key  # the 2024 models are no longer the course's defaults
        assert (PRICE_LIST.checked - model.checked).days <= PRICE_LIST.max_age_days
        # Read on the vendor's page, or (a model newer than any vendor page the course could
        # read) in a copy that names the vendor's page, with a note saying where each price
        # was read.
        assert model.source_kind == "vendor" or (model.vendor_page and model.note
                                                 and "copy" in model.note.lower())


def test_an_old_price_needs_a_stale_note(tmp_path):
    data = _bundled()
    small = next(m for m in data["models"] if m.get("role") == "small API")
    small["checked"] = PRICE_LIST.checked - dt.timedelta(days=PRICE_LIST.max_age_days + 1)
    small.pop("stale", None)
    with pytest.raises(ValidationError, match="without a 'stale' note"):
        read(_write(tmp_path, data))
    small["stale"] = "kept because the vendor's page could not be read"
    assert read(_write(tmp_path, data)).by_role("small API").stale


def test_a_price_cannot_be_checked_after_the_file(tmp_path):
    data = _bundled()
    data["models"][0]["checked"] = PRICE_LIST.checked + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="after the file's own date"):
        read(_write(tmp_path, data))


@pytest.mark.parametrize("field", ["source", "checked", "source_kind"])
def test_a_price_without_source_or_date_is_refused(tmp_path, field):
    data = _bundled()
    del data["models"][0][field]
    with pytest.raises(ValidationError, match=field):
        read(_write(tmp_path, data))


def test_a_copy_must_name_the_vendor_page(tmp_path):
    data = _bundled()
    copy = next(m for m in data["models"] if m["source_kind"] == "copy")
    del copy["vendor_page"]
    with pytest.raises(ValidationError, match="vendor_page"):
        read(_write(tmp_path, data))


def test_prices_defaults_come_from_the_file():
    small, frontier = PRICE_LIST.by_role("small API"), PRICE_LIST.by_role("frontier API")
    assert costs.PRICES.token_prices(costs.SMALL_API) == (small.input, small.output)
    assert costs.PRICES.token_prices(costs.FRONTIER_API) == (frontier.input, frontier.output)
    assert costs.PRICES.cached_input_share == pytest.approx(small.cached_input / small.input)
    assert costs.PRICES.usd_per_label == PRICE_LIST.assumptions.usd_per_label


def test_reasoning_tokens_are_billed_as_output_where_the_model_bills_them():
    thinking = costs.Prices(usd_per_million_input_tokens=1.0, usd_per_million_output_tokens=4.0,
                            bills_reasoning=True, reasoning_tokens_per_answer=150)
    plain = costs.Prices(usd_per_million_input_tokens=1.0, usd_per_million_output_tokens=4.0,
                         bills_reasoning=False, reasoning_tokens_per_answer=150)
    assert costs.token_usd(100, 1, plain) == pytest.approx((100 + 4) / 1e6)
    assert costs.token_usd(100, 1, thinking) == pytest.approx((100 + 151 * 4) / 1e6)
    assert costs.token_usd(100, 1, thinking, reasoning_tokens=0) == pytest.approx(104 / 1e6)


def test_cache_writes_are_charged_once_per_window():
    prices = costs.Prices(usd_per_million_input_tokens=1.0, usd_per_million_output_tokens=0.0,
                          cached_input_share=0.1, cache_write_share=1.25, cache_min_tokens=0,
                          bills_reasoning=False, requests_per_cache_write=5)
    usd = costs.token_usd(1000, 0, prices, cached_tokens=800)
    # 200 fresh tokens, and the 800-token prefix: written by 1 request in 5, read by 4
    assert usd == pytest.approx((200 + 800 * (1.25 + 4 * 0.1) / 5) / 1e6)
    # a write premium makes caching dearer than it would be without one
    free_writes = costs.Prices(**{**prices.__dict__, "cache_write_share": 1.0})
    assert costs.token_usd(1000, 0, free_writes, cached_tokens=800) < usd


def test_price_tables_speak_words_not_identifiers():
    rows = costs.price_table()
    assert {r["model"] for r in rows} == {m.name for m in PRICE_LIST.models}
    for row in rows:
        assert row["per million input tokens"].startswith("$")
        assert re.fullmatch(r"\d{1,2} \w{3} \d{4}( \(old: see note\))?", row["checked on"])
    for row in costs.serving_price_table():
        assert "e-" not in row["price"] and "_" not in row["what"]


def test_priced_as_names_the_model_and_the_day():
    text = costs.priced_as(costs.SMALL_API)
    assert PRICE_LIST.by_role("small API").name in text
    assert text.endswith(price_list.PRICE_LIST.checked_text(costs.SMALL_API))
    assert "prices checked on" in text


def _carries_model_and_date(rows, *roles):
    names = [PRICE_LIST.by_role(r).name for r in roles] or ["AWS"]
    for row in rows:
        assert all(name in row["priced as"] for name in names), row
        assert re.search(r"\d{1,2} \w{3} \d{4}", row["prices checked on"]), row


def test_every_cost_table_names_the_model_and_the_price_date():
    from tune_or_prompt.course import decide
    from tune_or_prompt.course.lessons import case_study, choosing, measuring
    from tune_or_prompt.measure.compare import reference_run

    size = choosing.PromptSize(header=100, per_demo=50, query=50)
    tuned = choosing.finetuned(100, 10, 60, per_day=1000, serving=choosing.Serving("serverless"))
    _carries_model_and_date(choosing.cost_table(size, tuned, shots=(0, 4)), costs.SMALL_API)
    _carries_model_and_date(choosing.cost_table(size, tuned, model=costs.FRONTIER_API),
                            costs.FRONTIER_API)
    _carries_model_and_date(choosing.break_even_by_volume(size, 8, 100, 10, 60),
                            costs.SMALL_API, costs.OPEN_MODEL, costs.FRONTIER_API)
    for row in decide.cost_table():
        roles = () if row["prompt model"] == decide.SMALL_LOCAL else (row["prompt model"],)
        _carries_model_and_date([row], *roles)
    _carries_model_and_date(measuring.prompt_costs(shots=(0, 2), queries=5), costs.SMALL_API)
    _carries_model_and_date(case_study.rows_from(reference_run().tasks["tickets"].sides))
    # prices edited away from the file are not passed off as the file's
    edited = costs.Prices(usd_per_million_input_tokens=9.0)
    assert measuring.prompt_costs(shots=(0,), queries=2, prices=edited)[0]["priced as"] == (
        "your own prices")
