"""Issue #23, item 3: every server and cache answer bounded and checked.

Against a small real HTTP server on 127.0.0.1 that misbehaves on purpose
(tests/misbehaving_server.py): replies of the wrong shape, too large, too slow, rate limited.
The cache is always this test's own folder (TUNE_OR_PROMPT_CACHE or ``cache_dir``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from misbehaving_server import Reply, completion, models, serving

pytest.importorskip("openai", reason="pip install openai (a course requirement)")

from tune_or_prompt.approaches import api  # noqa: E402
from tune_or_prompt.cli import main  # noqa: E402

ROWS = [{"text": f"Review number {i}", "label": "positive"} for i in range(3)]


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TUNE_OR_PROMPT_CACHE", str(cache))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-replies")
    return cache


def answering(post: Any, get: Any = None):
    """A reply function: GET /models answers ``get`` (default: the fake model), POST ``post``
    (a Reply, or a function of the POST count)."""
    def reply(method: str, path: str, body: Any, count: int) -> Reply:
        if method == "GET":
            return get if isinstance(get, Reply) else Reply(body=models())
        return post(count) if callable(post) else post
    return reply


def config(server, cache: Path, **options: Any) -> api.ApiConfig:
    return api.ApiConfig(server.base_url, "fake-model", cache_dir=cache, **options)


def cached(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.exists() else []


# --- /models ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("listing", "message"), [
    ({"data": [{"object": "model"}]}, "data.0.id: Field required"),
    ({"data": [{"id": 7}]}, "data.0.id: Input should be a valid string"),
    ({"models": []}, "data: Field required"),
    (b"<html>not json</html>", "Invalid JSON"),
])
def test_a_bad_model_list_is_one_line_naming_its_url(capsys, listing, message):
    """Probe: a /models list whose entries lack `id` gave a traceback; a malformed reply was
    reported without its URL."""
    with serving(answering(Reply(body=completion()), Reply(body=listing))) as server:
        code = main(["prompt", "--task", "reviews", "--base-url", server.base_url, "--model",
                     "fake-model"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"{server.base_url}/models" in err and message in err


# --- chat replies ----------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "reason"), [
    (completion(content=["positive"]), "choices.0.message.content"),
    (completion(usage={"prompt_tokens": "many"}), "usage.prompt_tokens"),
    (completion(usage=[1, 2]), "usage"),
    ({"choices": []}, "choices: List should have at least 1 item"),
    ({"choices": [{"message": "positive"}]}, "choices.0.message"),
    (b"positive", "Invalid JSON"),
])
def test_a_bad_reply_is_unanswered_with_a_reason_and_never_cached(tmp_path, body, reason):
    """Probe: `usage` or `content` of the wrong type gave a traceback, and the bad answer was
    cached, so every rerun crashed."""
    with serving(answering(Reply(body=body))) as server:
        cfg = config(server, tmp_path / "c", max_retries=0)
        runs = [api.classify(cfg, "sentiment", ROWS[:2]) for _ in range(2)]
    for run in runs:
        assert run.answered == 0 and run.predictions == [None, None]
        assert all(e.startswith("bad reply: ") and reason in e and "\n" not in e
                   for e in run.errors), run.errors
    assert cached(tmp_path / "c") == []
    assert len(server.posts) == 4  # asked again on the rerun: nothing bad was kept


def test_a_damaged_cache_entry_is_dropped_and_asked_again(tmp_path):
    """Probe: a cache file that is valid JSON with wrong types gave a traceback."""
    cache = tmp_path / "c"
    with serving(answering(Reply(body=completion('{"label": "negative"}')))) as server:
        cfg = config(server, cache)
        first = api.classify(cfg, "sentiment", ROWS[:1])
        [entry] = cached(cache)
        record = json.loads(entry.read_text())
        record["usage"] = {"prompt_tokens": "forty"}
        record["content"] = {"label": "positive"}
        entry.write_text(json.dumps(record))
        again = api.classify(cfg, "sentiment", ROWS[:1])
    assert first.predictions == again.predictions == ["negative"]
    assert again.from_cache == [False] and len(server.posts) == 2
    assert json.loads(entry.read_text())["usage"]["prompt_tokens"] == 42  # replaced, whole


def test_refresh_asks_again_and_replaces_the_cached_answer(tmp_path, capsys, own_cache):
    data = tmp_path / "in.jsonl"
    data.write_text('{"text": "Lovely."}\n')
    label = iter(["negative", "positive"])

    def post(count: int) -> Reply:
        return Reply(body=completion(json.dumps({"label": next(label)})))

    with serving(answering(post)) as server:
        argv = ["prompt", "--task", "reviews", "--base-url", server.base_url, "--model",
                "fake-model", "--shots", "0", "--input", str(data)]
        assert main(argv) == 0 and main(argv) == 0
        assert len(server.posts) == 1  # the second run read the cache
        assert main([*argv, "--refresh", "--output", str(tmp_path / "o.jsonl")]) == 0
    assert len(server.posts) == 2
    assert json.loads((tmp_path / "o.jsonl").read_text())["prediction"] == "positive"
    assert "1 answers from the cache" in capsys.readouterr().out


def test_an_unusable_cache_folder_is_refused_before_any_request(tmp_path, capsys, monkeypatch):
    """Probe: with the cache location unusable, paid answers were fetched and thrown away."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TUNE_OR_PROMPT_CACHE", str(blocker))
    with serving() as server:
        code = main(["prompt", "--task", "reviews", "--base-url", server.base_url, "--model",
                     "fake-model", "--shots", "0", "--limit", "2"])
        err = capsys.readouterr().err
        assert code == 2 and "TUNE_OR_PROMPT_CACHE" in err and "nothing was asked" in err
        assert server.posts == []
        with pytest.raises(api.ApiError, match="nothing was asked"):
            api.classify(api.ApiConfig(server.base_url, "fake-model", cache_dir=blocker / "x"),
                         "sentiment", ROWS[:1])
        assert server.posts == []


def test_an_answer_over_the_size_cap_is_refused_and_not_kept(tmp_path):
    """Probe: answers had no size cap (five 50 MB answers: 1.76 GB of memory)."""
    big = completion("positive " * (api.MAX_REPLY_BYTES // 4))
    with serving(answering(Reply(body=big))) as server:
        run = api.classify(config(server, tmp_path / "c", max_retries=0), "sentiment",
                           ROWS[:2])
    assert run.answered == 0
    assert run.errors == [f"bad reply: reply of {len(json.dumps(big)):,} bytes is over the "
                          f"{api.MAX_REPLY_BYTES:,}-byte cap"] * 2
    assert cached(tmp_path / "c") == []


def test_a_reply_without_a_length_is_capped_while_it_is_read(tmp_path):
    body = json.dumps(completion("x" * (2 * api.MAX_REPLY_BYTES))).encode()
    with serving(answering(Reply(body=body, length=-1))) as server:
        run = api.classify(config(server, tmp_path / "c", max_retries=0), "sentiment",
                           ROWS[:1])
    assert run.answered == 0 and run.errors[0] == (
        f"bad reply: reply over the {api.MAX_REPLY_BYTES:,}-byte cap")


# --- time ------------------------------------------------------------------------------------


def test_timeout_is_the_total_for_one_answer_retries_included(tmp_path):
    """Probe: --timeout was per try, retried four more times."""
    with serving(answering(Reply(status=503, body={"error": {"message": "busy"}}))) as server:
        start = time.monotonic()
        run = api.classify(config(server, tmp_path / "c", timeout=1.0, max_retries=10,
                                  concurrency=1), "sentiment", ROWS[:1])
        took = time.monotonic() - start
    assert run.answered == 0 and run.errors[0].startswith("HTTP 503")
    assert took < 2.5, took
    assert 1 <= len(server.posts) <= 3  # tries within the one second: 0.5 s, then 1 s waits


def test_a_trickling_reply_is_cut_at_the_total_timeout(tmp_path):
    body = json.dumps(completion()).encode()
    with serving(answering(Reply(body=body, trickle=0.2))) as server:
        start = time.monotonic()
        run = api.classify(config(server, tmp_path / "c", timeout=1.0, max_retries=0),
                           "sentiment", ROWS[:1])
        took = time.monotonic() - start
    assert run.errors == ["timed out"] and took < 3.5, took


def test_rate_limit_waits_are_announced(tmp_path):
    notices: list[str] = []

    def post(count: int) -> Reply:
        if count == 1:
            return Reply(status=429, body={"error": {"message": "slow"}},
                         headers={"Retry-After": "0.3"})
        return Reply(body=completion())

    with serving(answering(post)) as server:
        run = api.classify(config(server, tmp_path / "c", concurrency=1), "sentiment",
                           ROWS[:1], notice=notices.append)
    assert run.predictions == ["positive"] and run.retries == 1
    assert notices == [f"{server.base_url}: rate limited (HTTP 429); waiting 0.3 s before "
                       "retry 1 of 4"]


def test_ctrl_c_stops_at_once_and_writes_what_was_answered(tmp_path):
    """Probe: Ctrl+C during an API run waited for in-flight retries (43 s with --timeout 10)
    and a second Ctrl+C was ignored. A real process and a real SIGINT."""
    def post(count: int) -> Reply:
        return Reply(body=completion()) if count <= 2 else Reply(
            status=503, body={"error": {"message": "busy"}}, delay=2)

    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"text": f"Review {i}", "n": i}) + "\n"
                            for i in range(6)))
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with serving(answering(post)) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tune_or_prompt", "prompt", "--task", "reviews",
             "--base-url", server.base_url, "--model", "fake-model", "--shots", "0",
             "--concurrency", "1", "--timeout", "60", "--input", str(data), "--output",
             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            # Ctrl+C as at a terminal: a test run started in the background (`make test &`)
            # ignores SIGINT, and a child would inherit that and never see the signal.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 60
        while len(server.posts) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(server.posts) >= 3, proc.communicate(timeout=5)
        time.sleep(0.3)  # the third request is in flight, its answer 2 s away, then retries
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert took < 2.0, took
    assert "interrupted; answered 2 of 6 rows" in err and "Traceback" not in err
    assert not out.exists()
    partial = [json.loads(x) for x in (tmp_path / "out.partial.jsonl").read_text().splitlines()]
    assert [r["prediction"] for r in partial] == ["positive", "positive", None, None, None, None]


# --- Hypothesis over server replies ----------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8)
CONTENT = st.one_of(st.just('{"label": "positive"}'), st.just("negative"), JSON)
REPLIES = st.one_of(
    st.builds(completion, CONTENT, st.one_of(st.none(), JSON, st.fixed_dictionaries(
        {"prompt_tokens": JSON, "completion_tokens": st.integers(-3, 99)}))),
    JSON, st.binary(max_size=40),
    st.fixed_dictionaries({"choices": st.lists(JSON, max_size=2)}),
)
STATUS = st.sampled_from([200, 200, 200, 400, 404, 418, 500, 503])


@pytest.fixture(scope="module")
def shifting_server():
    """One server for every example: it answers whatever ``slot`` holds."""
    slot: dict[str, Reply] = {"reply": Reply(body=completion())}

    def reply(method: str, path: str, body: Any, count: int) -> Reply:
        return Reply(body=models()) if method == "GET" else slot["reply"]

    with serving(reply) as server:
        yield server, slot


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=REPLIES, status=STATUS)
def test_any_reply_is_used_counted_as_unanswered_or_stops_the_run(shifting_server,
                                                                   tmp_path_factory, body,
                                                                   status):
    server, slot = shifting_server
    slot["reply"] = Reply(status=status, body=body)
    cache = tmp_path_factory.mktemp("cache")
    cfg = api.ApiConfig(server.base_url, "fake-model", cache_dir=cache, max_retries=0,
                        timeout=5)
    try:
        run = api.classify(cfg, "sentiment", ROWS[:2])
    except api.ApiError as error:  # a 404 stops the run: one line, rows kept in .partial
        assert "\n" not in str(error) and error.partial is not None
        run = error.partial
    for prediction, answer, error in zip(run.predictions, run.answers, run.errors, strict=True):
        assert (answer is None) != (error is None) or (answer is None and error is None)
        assert prediction in (None, "positive", "negative")
        assert error is None or "\n" not in error
    for path in cached(cache):  # whatever was kept reads back as a valid entry
        api.CacheEntry.model_validate_json(path.read_bytes())
    if status != 200:
        assert cached(cache) == []
