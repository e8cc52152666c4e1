"""Issue #27, item 3: the API path works with reasoning models.

Against a small real HTTP server on 127.0.0.1 (tests/misbehaving_server.py) that answers like
OpenAI's reasoning models (o-series, GPT-5 family): HTTP 400 in OpenAI's error shape for
``max_tokens`` and for any ``temperature`` but the default, and a ``usage`` whose
``completion_tokens`` include ``completion_tokens_details.reasoning_tokens``. A cap the model
reaches while it thinks leaves the answer empty (``finish_reason: "length"``). The error
messages are the ones users quote from OpenAI (see the notes in `tune_or_prompt.approaches.api`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from misbehaving_server import Reply, completion, models, serving

pytest.importorskip("openai", reason="pip install openai (a course requirement)")

from tune_or_prompt.approaches import api  # noqa: E402
from tune_or_prompt.cli import main  # noqa: E402
from tune_or_prompt.measure import compare as C  # noqa: E402
from tune_or_prompt.measure import costs  # noqa: E402

THINKING = 180  # reasoning tokens the fake model spends on each answer
ANSWER = 7  # visible tokens of '{"label": "..."}'
MAX_TOKENS_REFUSED = {
    "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
               "'max_completion_tokens' instead.",
    "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}
TEMPERATURE_REFUSED = {
    "message": "Unsupported value: 'temperature' does not support 0 with this model. Only the "
               "default (1) value is supported.",
    "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value"}
ROWS = [{"text": "Lovely kettle, works well.", "label": "positive"},
        {"text": "Broke after a day: bad.", "label": "negative"},
        {"text": "Great value, lovely.", "label": "positive"}]


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TUNE_OR_PROMPT_CACHE", str(cache))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-reasoning")
    return cache


def reasoning_model(thinking: int = THINKING, shape: str = "openai", order: str = "max_tokens"):
    """A reply function that behaves like a reasoning model. ``shape``: "openai" (the error
    with ``param`` and ``code``) or "message" (a proxy that passes on the message alone);
    ``order``: which refusal comes first when both parameters are sent."""
    def refusal(error: dict[str, Any]) -> Reply:
        body = error if shape == "openai" else {"message": error["message"]}
        return Reply(status=400, body={"error": body})

    def reply(method: str, path: str, body: Any, count: int) -> Reply:
        if method == "GET":
            return Reply(body=models())
        checks = [("max_tokens" in body, MAX_TOKENS_REFUSED),
                  (body.get("temperature", 1) != 1, TEMPERATURE_REFUSED)]
        for refused, error in (checks if order == "max_tokens" else checks[::-1]):
            if refused:
                return refusal(error)
        cap = body.get("max_completion_tokens")
        query = body["messages"][-1]["content"].lower()
        label = "negative" if "bad" in query else "positive"
        usage = {"prompt_tokens": 42, "completion_tokens": thinking + ANSWER,
                 "total_tokens": 42 + thinking + ANSWER,
                 "completion_tokens_details": {"reasoning_tokens": thinking,
                                               "accepted_prediction_tokens": 0,
                                               "rejected_prediction_tokens": 0}}
        if cap is not None and cap < thinking + ANSWER:  # the cap is reached while thinking
            usage.update(completion_tokens=cap, total_tokens=42 + cap)
            usage["completion_tokens_details"]["reasoning_tokens"] = cap
            reply = completion("", usage)
            reply["choices"][0]["finish_reason"] = "length"
            return Reply(body=reply)
        return Reply(body=completion(json.dumps({"label": label}), usage))
    return reply


def config(server, cache: Path, **options: Any) -> api.ApiConfig:
    return api.ApiConfig(server.base_url, "fake-model", cache_dir=cache, **options)


def cached(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.exists() else []


@pytest.mark.parametrize("order", ["max_tokens", "temperature"])
@pytest.mark.parametrize("shape", ["openai", "message"])
def test_a_reasoning_model_is_asked_as_it_requires_learned_once_per_run(tmp_path, shape,
                                                                        order):
    """Before: every request sent max_tokens and temperature 0, the model refused each with
    HTTP 400, and the retry dropped only response_format: no row was ever answered."""
    notices: list[str] = []
    with serving(reasoning_model(shape=shape, order=order)) as server:
        run = api.classify(config(server, tmp_path / "c", concurrency=1), "sentiment", ROWS,
                           notice=notices.append)
    assert run.predictions == ["positive", "negative", "positive"] and run.failed == 0
    assert run.structured == [True] * 3  # structured output was kept: it was not refused
    # The first row: refused twice, then answered; the run remembered both refusals.
    assert len(server.posts) == 2 + len(ROWS)
    assert sorted(run.refused) == ["max_tokens", "temperature"]
    for sent in server.posts[2:]:
        assert "max_tokens" not in sent and "temperature" not in sent
        assert sent["max_completion_tokens"] == api.MAX_COMPLETION_TOKENS
        assert sent["response_format"]["type"] == "json_schema"
    assert len(notices) == 2 and all("refuses" in n and server.base_url in n for n in notices)
    assert any("max_completion_tokens" in n for n in notices)


def test_thinking_tokens_are_recorded_summarised_cached_and_saved(tmp_path):
    cache = tmp_path / "c"
    with serving(reasoning_model()) as server:
        first = api.classify(config(server, cache), "sentiment", ROWS)
        again = api.classify(config(server, cache), "sentiment", ROWS)
    assert first.reasoning_tokens == [THINKING] * 3
    assert first.completion_tokens == [THINKING + ANSWER] * 3
    summary = first.summary()
    assert summary["reasoning_tokens"] == THINKING
    assert summary["completion_tokens"] == THINKING + ANSWER
    assert summary["refused"] == ["max_tokens", "temperature"]
    # The rerun reads the cache (no request) and gets the same counts back.
    assert again.from_cache == [True] * 3 and again.reasoning_tokens == [THINKING] * 3
    entries = [json.loads(p.read_text()) for p in cached(cache)]
    assert len(entries) == 3
    assert all(e["usage"]["reasoning_tokens"] == THINKING for e in entries)
    assert all("max_completion_tokens" in e["sent_params"] for e in entries)
    saved = json.loads(first.save(tmp_path / "run.json").read_text())
    assert [r["reasoning_tokens"] for r in saved["rows"]] == [THINKING] * 3


def test_a_damaged_thinking_count_in_the_cache_is_dropped_and_asked_again(tmp_path):
    cache = tmp_path / "c"
    with serving(reasoning_model()) as server:
        api.classify(config(server, cache, reasoning=True), "sentiment", ROWS[:1])
        [entry] = cached(cache)
        record = json.loads(entry.read_text())
        record["usage"]["reasoning_tokens"] = -3
        entry.write_text(json.dumps(record))
        again = api.classify(config(server, cache, reasoning=True), "sentiment", ROWS[:1])
    assert again.from_cache == [False] and again.reasoning_tokens == [THINKING]
    assert len(server.posts) == 2


def test_the_reasoning_option_asks_that_way_from_the_first_request(tmp_path):
    notices: list[str] = []
    with serving(reasoning_model()) as server:
        run = api.classify(config(server, tmp_path / "c", reasoning=True,
                                  max_completion_tokens=900), "sentiment", ROWS,
                           notice=notices.append)
    assert run.failed == 0 and run.refused == [] and notices == []
    assert len(server.posts) == len(ROWS)
    assert all(p["max_completion_tokens"] == 900 and "temperature" not in p
               for p in server.posts)


def test_a_cap_spent_thinking_is_a_row_error_never_cached(tmp_path):
    """A cap smaller than the thinking leaves the answer empty; that is said, not kept, so a
    rerun with a larger cap asks again."""
    cache = tmp_path / "c"
    with serving(reasoning_model()) as server:
        small = api.classify(config(server, cache, reasoning=True, max_completion_tokens=50,
                                    max_retries=0), "sentiment", ROWS[:2])
        assert small.answered == 0 and cached(cache) == []
        for error in small.errors:
            assert error == ("bad reply: no answer: the model reached its cap of 50 tokens "
                             "(50 of them thinking) before it answered; raise "
                             "max_completion_tokens (--max-completion-tokens)")
        large = api.classify(config(server, cache, reasoning=True), "sentiment", ROWS[:2])
    assert large.predictions == ["positive", "negative"] and large.from_cache == [False] * 2


def test_a_400_about_a_value_out_of_range_is_not_taken_for_a_refusal(tmp_path):
    """A server that says max_tokens is too large has not refused the parameter: the row
    fails as before (after one try without structured output), nothing is switched."""
    error = {"error": {"message": "'max_tokens' or 'max_completion_tokens' is too large: 16. "
                                  "This model's maximum context length is 10 tokens.",
                       "type": "BadRequestError", "param": None, "code": 400}}

    def reply(method: str, path: str, body: Any, count: int) -> Reply:
        return Reply(body=models()) if method == "GET" else Reply(status=400, body=error)

    with serving(reply) as server:
        run = api.classify(config(server, tmp_path / "c", concurrency=1), "sentiment",
                           ROWS[:1])
    assert run.answered == 0 and run.errors[0].startswith("HTTP 400") and run.refused == [
        "response_format"]
    assert [("max_tokens" in p, "response_format" in p) for p in server.posts] == [
        (True, True), (True, False)]


def test_a_server_without_a_model_list_serving_a_reasoning_model_passes_the_check(tmp_path):
    """The endpoint check asks for one token when /models is missing; a reasoning model's
    refusal of max_tokens shows the model is there."""
    model = reasoning_model()

    def reply(method: str, path: str, body: Any, count: int) -> Reply:
        if method == "GET":
            return Reply(status=404, body={"error": {"message": "no such path"}})
        return model(method, path, body, count)

    with serving(reply) as server:
        assert api.check_endpoint(config(server, tmp_path / "c")) == []
        run = api.classify(config(server, tmp_path / "c"), "sentiment", ROWS[:1])
    assert run.predictions == ["positive"]


def test_measured_thinking_flows_into_the_cost_as_output(tmp_path):
    """The API side of the head-to-head carries the measured output and thinking per query;
    its hosted cost charges every generated token as output instead of the assumption."""
    rows = [{**r, "id": i} for i, r in enumerate(ROWS)]
    with serving(reasoning_model()) as server:
        side = C.run_api("reviews", rows, config(server, tmp_path / "c"), {}, progress=False)
    assert side.reasoning_tokens == THINKING and side.output_tokens == THINKING + ANSWER
    model = costs.FRONTIER_API
    input_price, output_price = costs.PRICES.token_prices(model)
    expected = (side.prompt_tokens * input_price + (THINKING + ANSWER) * output_price) / 1e6
    assert side.hosted_usd(costs.PRICES, model) == pytest.approx(expected)
    assert side.cost_model(costs.PRICES, model=model).per_query_usd == pytest.approx(expected)
    # The same side without the measurement falls back on one answer token and the price
    # file's assumed thinking per request.
    assumed = C.Side(**{**side.__dict__, "output_tokens": None, "reasoning_tokens": None})
    assert assumed.hosted_usd(costs.PRICES, model) == pytest.approx(
        costs.token_usd(side.prompt_tokens, 1, costs.PRICES, model, requests=1))
    table = C.table({C.API: side})
    assert table.loc[C.API, "thinking tokens / query"] == THINKING
    assert "thinking tokens / query" not in C.table({C.API: assumed}).columns
    record = C.side_from_record(C.side_record(side))  # kept in a saved run
    assert record.reasoning_tokens == THINKING and record.output_tokens == THINKING + ANSWER


def test_cli_prompt_against_a_reasoning_model(tmp_path, capsys):
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"text": r["text"]}) + "\n" for r in ROWS))
    out = tmp_path / "out.jsonl"
    with serving(reasoning_model()) as server:
        code = main(["prompt", "--task", "reviews", "--base-url", server.base_url, "--model",
                     "fake-model", "--shots", "0", "--concurrency", "1", "--input", str(data),
                     "--output", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert [json.loads(x)["prediction"] for x in out.read_text().splitlines()] == [
        "positive", "negative", "positive"]
    assert (f"{THINKING + ANSWER} output tokens/query ({THINKING} of them thinking)"
            in captured.out)
    assert "refuses max_tokens" in captured.err and "refuses temperature" in captured.err


@pytest.mark.parametrize("value", ["0", "many"])
def test_cli_refuses_a_bad_cap_in_one_line(capsys, value):
    with pytest.raises(SystemExit) as stopped:
        main(["prompt", "--task", "reviews", "--base-url", "http://127.0.0.1:9/v1", "--model",
              "m", "--max-completion-tokens", value])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "--max-completion-tokens" in err
