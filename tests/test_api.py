"""Prompting an OpenAI-compatible endpoint: against the real `transformers serve` on the embedded
model, and against tiny real HTTP servers that answer 429, 5xx, 401 or slowly on purpose."""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import running

pytest.importorskip("openai", reason="pip install openai (a course requirement)")

from tune_or_prompt.approaches import api  # noqa: E402
from tune_or_prompt.approaches.prompting import evaluation_rows
from tune_or_prompt.ground.registry import TARGETS

SECRET = "sk-test-TOP-SECRET-7f3a9c"
SENTIMENT = TARGETS["sentiment"]


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with a distinctive key, so any leak of it can be searched for."""
    monkeypatch.setenv(api.KEY_ENV, SECRET)
    return SECRET


@pytest.fixture(scope="module")
def local_server() -> Iterator[api.LocalServer]:
    pytest.importorskip("fastapi", reason="pip install 'transformers[serving]'")
    with api.serve() as server:
        yield server


def cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        assert SECRET not in str(text)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the real server ---------------------------------------------------------------------------


@pytest.mark.models
def test_few_shot_classification_then_the_cache(local_server: api.LocalServer,
                                                tmp_path: Path) -> None:
    rows = evaluation_rows("sentiment", 6)
    config = local_server.config(cache_dir=tmp_path)
    run = api.classify(config, "sentiment", rows, k=2)
    assert run.k == 2 and run.gold == [r["label"] for r in rows]
    assert len(run.predictions) == len(run.answers) == 6
    for prediction, answer in zip(run.predictions, run.answers, strict=True):
        assert answer is not None  # every row answered ...
        assert prediction in SENTIMENT.labels or prediction is None  # ... a label or unparsed
    assert run.unparsed == sum(p is None for p in run.predictions)
    assert run.failed == 0
    assert all(t is not None and t > 100 for t in run.prompt_tokens)  # usage.prompt_tokens
    assert all(t is not None and t > 0 for t in run.completion_tokens)
    assert all(s is not None and s > 0 for s in run.latency)
    assert run.requests == 6 and not any(run.from_cache)
    assert len(cache_files(tmp_path)) == 6
    assert not any(SECRET in path.read_text() for path in cache_files(tmp_path))
    summary = run.summary()
    assert summary["n"] == 6 and summary["prompt_tokens"] > 100

    again = api.classify(config, "sentiment", rows, k=2)
    assert again.requests == 0 and all(again.from_cache)
    assert again.predictions == run.predictions and again.prompt_tokens == run.prompt_tokens
    # The cache key depends on the model (and base URL, messages, parameters), never the key.
    assert api.request_key(config, [{"role": "user", "content": "a"}], {}) != api.request_key(
        api.ApiConfig(config.base_url, "other"), [{"role": "user", "content": "a"}], {})


@pytest.mark.models
def test_wrong_model_lists_the_served_models(local_server: api.LocalServer) -> None:
    with pytest.raises(api.ApiError) as caught:
        api.check_endpoint(api.ApiConfig(local_server.base_url, "gpt-nope"))
    message = str(caught.value)
    assert "'gpt-nope'" in message and local_server.model in message
    assert "\n" not in message
    assert api.check_endpoint(local_server.config()) == [local_server.model]


@pytest.mark.models
def test_the_key_is_never_written(local_server: api.LocalServer, tmp_path: Path) -> None:
    config = local_server.config(cache_dir=tmp_path / "cache")
    run = api.classify(config, "sentiment", evaluation_rows("sentiment", 1))
    assert run.answered == 1
    saved = run.save(tmp_path / "run.json")
    files = cache_files(tmp_path / "cache") + [saved]
    assert len(files) == 2
    for path in files:
        assert SECRET not in path.read_text()
    client = api.make_client(config)
    assert_no_secret(repr(config), str(config), repr(client), repr(run), run.summary())
    errors = []
    for bad in (api.ApiConfig(local_server.base_url, "nope"),
                api.ApiConfig(f"http://127.0.0.1:{free_port()}/v1", "m")):
        with pytest.raises(api.ApiError) as caught:
            api.check_endpoint(bad)
        errors.append(caught.value)
    assert_no_secret(*errors, *map(repr, errors))


@pytest.mark.models
def test_a_server_killed_mid_run_keeps_the_answers(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="pip install 'transformers[serving]'")
    rows = evaluation_rows("sentiment", 6, seed=1)
    with api.serve() as server:
        config = server.config(cache_dir=tmp_path, concurrency=1, max_retries=1)

        def kill_after_two(done: int, total: int) -> None:
            if done == 2:
                server.process.kill()
                server.process.wait()

        with pytest.raises(api.ApiError) as caught:
            api.classify(config, "sentiment", rows, progress=kill_after_two)
    message = str(caught.value)
    assert "lost the connection" in message and server.base_url in message
    answered = int(re.search(r"answered (\d+) of 6 rows", message).group(1))
    assert 2 <= answered < 6
    partial = caught.value.partial
    assert partial is not None and partial.answered == caught.value.answered == answered
    assert len(cache_files(tmp_path)) == answered
    # The server is gone: the answered rows come back from the cache without a request.
    done = [rows[i] for i, a in enumerate(partial.answers) if a is not None]
    again = api.classify(config, "sentiment", done)
    assert again.requests == 0 and all(again.from_cache)
    assert again.answers == [a for a in partial.answers if a is not None]


# --- no server, or tiny real servers that misbehave on purpose --------------------------------


def test_serve_names_the_transformers_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before 5.24, `transformers serve` does not serve a model folder (it starts, then lists no
    model): serve says which version it needs before starting anything."""
    from tune_or_prompt.ground import compat

    monkeypatch.setattr(compat, "transformers_version", lambda: (5, 23))
    with pytest.raises(api.ApiError, match=r"Transformers 5\.24 or newer .*\(found 5\.23\)"):
        api.serve()  # quick: refused before anything starts


def test_a_server_that_is_down_fails_fast(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    config = api.ApiConfig(url, "m", cache_dir=tmp_path)
    start = time.perf_counter()
    with pytest.raises(api.ApiError, match="is the server running") as caught:
        api.check_endpoint(config)
    assert url in str(caught.value) and "cannot reach" in str(caught.value)
    with pytest.raises(api.ApiError, match="cannot reach"):
        api.classify(config, "sentiment", evaluation_rows("sentiment", 2))
    assert time.perf_counter() - start < 5
    assert cache_files(tmp_path) == []


def completion(content: str, cached: int | None = None) -> dict[str, Any]:
    usage: dict[str, Any] = {"prompt_tokens": 42, "completion_tokens": 5, "total_tokens": 47}
    if cached is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": usage}


Reply = tuple[int, dict[str, Any]]


class FakeApi:
    """A real HTTP server on 127.0.0.1 that answers like an OpenAI-compatible one, as told."""

    def __init__(self, answer: Callable[[dict[str, Any], int], Reply], refuse_key: bool = False):
        self.answer = answer
        self.refuse_key = refuse_key
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.endswith("/models"):
                    if fake.refuse_key:
                        # Echo the key back, as a careless server might.
                        auth = self.headers.get("Authorization", "")
                        self.reply(401, {"error": {"message": f"bad key {auth}"}})
                        return
                    self.reply(200, {"object": "list", "data": [
                        {"id": "fake-model", "object": "model", "created": 0, "owned_by": "t"}]})
                else:
                    self.reply(404, {"error": {"message": "no such path"}})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body["_auth"] = self.headers.get("Authorization", "")
                with fake.lock:
                    fake.posts.append(body)
                    count = len(fake.posts)
                status, payload = fake.answer(body, count)
                if payload.get("sleep"):
                    time.sleep(payload["sleep"])
                    payload = completion("positive")
                self.reply(status, payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeApi]:
        with running(self.server):
            yield self


def query(body: dict[str, Any]) -> str:
    return body.get("messages", [{}])[-1].get("content", "")


RATE_LIMITED = (429, {"error": {"message": "slow down", "type": "rate_limit"}})


def test_429_twice_then_success_is_retried(tmp_path: Path) -> None:
    def answer(body: dict[str, Any], count: int) -> Reply:
        if count in (1, 2):
            return RATE_LIMITED
        return 200, completion('{"label": "positive"}', cached=30)

    with FakeApi(answer).running() as fake:
        config = api.ApiConfig(fake.base_url, "fake-model", cache_dir=tmp_path)
        run = api.classify(config, "sentiment", [{"text": "Lovely kettle.", "label": "positive"}])
    assert run.predictions == ["positive"] and run.structured == [True] and run.unparsed == 0
    assert run.retries == 2 and run.requests == 1 and len(fake.posts) == 3
    assert run.prompt_tokens == [42] and run.cached_tokens == [30]
    assert run.summary()["cached_tokens"] == 30
    sent = fake.posts[-1]
    assert sent["temperature"] == 0 and sent["max_tokens"] <= 16
    schema = sent["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["label"]["enum"] == ["negative", "positive"]
    assert len(cache_files(tmp_path)) == 1


def test_a_persistent_rate_limit_stops_and_keeps_the_answers(tmp_path: Path) -> None:
    def answer(body: dict[str, Any], count: int) -> Reply:
        return (200, completion('{"label": "negative"}')) if count == 1 else RATE_LIMITED

    rows = [{"text": f"Review {i}", "label": "negative"} for i in range(3)]
    with FakeApi(answer).running() as fake:
        config = api.ApiConfig(fake.base_url, "fake-model", cache_dir=tmp_path, concurrency=1,
                               max_retries=1)
        with pytest.raises(api.ApiError, match="rate limiting") as caught:
            api.classify(config, "sentiment", rows)
    assert "answered 1 of 3 rows" in str(caught.value)
    partial = caught.value.partial
    assert partial is not None and partial.predictions[0] == "negative"
    assert partial.predictions[1:] == [None, None]
    assert len(cache_files(tmp_path)) == 1
    assert len(fake.posts) == 3  # row 2: the request and one retry; row 3 never sent


def test_a_failing_row_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    def answer(body: dict[str, Any], count: int) -> Reply:
        text = query(body)
        if "BROKEN" in text:
            return 500, {"error": {"message": "the model fell over"}}
        if "SLOW" in text:
            return 200, {"sleep": 2}
        if "CHATTY" in text:
            return 200, completion("Hmm, I would say this one is positive overall.")
        if "LOST" in text:
            return 200, completion("I cannot tell.")
        return 200, completion('{"label": "negative"}')

    rows = [{"text": t, "label": "negative"} for t in ("fine", "BROKEN", "CHATTY", "SLOW", "LOST")]
    with FakeApi(answer).running() as fake:
        config = api.ApiConfig(fake.base_url, "fake-model", cache_dir=tmp_path, timeout=0.5,
                               max_retries=1)
        run = api.classify(config, "sentiment", rows)
    assert run.predictions == ["negative", None, "positive", None, None]
    assert run.errors[1].startswith("HTTP 500") and "fell over" in run.errors[1]
    assert run.errors[3] == "timed out"
    assert run.failed == 2 and run.unparsed == 1  # LOST answered, but names no label
    assert run.structured == [True, False, False, False, False]
    assert len(cache_files(tmp_path)) == 3  # failures are not cached
    assert run.report()["accuracy"] == pytest.approx(1 / 5)


def test_a_server_that_rejects_structured_output_gets_free_text(tmp_path: Path) -> None:
    def answer(body: dict[str, Any], count: int) -> Reply:
        if "response_format" in body:
            return 400, {"error": {"message": "response_format is not supported"}}
        return 200, completion("Answer: positive")

    with FakeApi(answer).running() as fake:
        config = api.ApiConfig(fake.base_url, "fake-model", cache_dir=tmp_path, concurrency=1)
        run = api.classify(config, "sentiment", [{"text": t} for t in ("a", "b")])
    assert run.predictions == ["positive", "positive"] and run.gold == []
    assert [("response_format" in p) for p in fake.posts] == [True, False, False]


def test_a_refused_key_names_the_variable_and_hides_the_key(tmp_path: Path) -> None:
    def answer(body: dict[str, Any], count: int) -> Reply:
        return 200, completion("positive")

    with FakeApi(answer, refuse_key=True).running() as fake:
        config = api.ApiConfig(fake.base_url, "fake-model", cache_dir=tmp_path)
        with pytest.raises(api.ApiError) as caught:
            api.classify(config, "sentiment", [{"text": "a"}])
    message = str(caught.value)
    assert "OPENAI_API_KEY" in message and "401" in message
    assert_no_secret(message, repr(caught.value))


def test_read_answer() -> None:
    assert api.read_answer('{"label": "positive"}', SENTIMENT) == ("positive", True)
    assert api.read_answer('```json\n{"label": "negative"}\n```', SENTIMENT) == ("negative", True)
    assert api.read_answer("Answer: negative", SENTIMENT) == ("negative", False)
    assert api.read_answer('{"label": "maybe"}', SENTIMENT) == (None, False)
    assert api.read_answer("", SENTIMENT) == (None, False)
    assert api.read_answer(None, SENTIMENT) == (None, False)
    intent = TARGETS["intent"]
    assert api.read_answer('{"label": "stolen"}', intent) == ("lost_or_stolen_card", True)


def test_config_checks_its_values() -> None:
    assert api.ApiConfig("http://h:1/v1/", "m").base_url == "http://h:1/v1"
    with pytest.raises(ValueError, match="http"):
        api.ApiConfig("h:1/v1", "m")
    with pytest.raises(ValueError, match="concurrency"):
        api.ApiConfig("http://h/v1", "m", concurrency=0)


def test_a_server_echoing_the_key_does_not_get_it_written(tmp_path: Path) -> None:
    def answer(body: dict[str, Any], count: int) -> Reply:
        assert body["_auth"] == f"Bearer {SECRET}"  # the key is sent, as it must be
        return 200, completion(f"positive (you sent {body['_auth']})")

    with FakeApi(answer).running() as fake:
        config = api.ApiConfig(fake.base_url, "fake-model", cache_dir=tmp_path)
        run = api.classify(config, "sentiment", [{"text": "Great."}])
    assert run.predictions == ["positive"]
    assert_no_secret(run.answers, repr(run))
    for path in cache_files(tmp_path):
        assert SECRET not in path.read_text()


# --- the command line --------------------------------------------------------------------------


def run_cli(*args: str) -> Any:
    from cli_runner import in_process

    return in_process(*args)


@pytest.mark.models
def test_cli_prompt_and_compare_through_the_local_server(local_server: api.LocalServer,
                                                         tmp_path: Path) -> None:
    rows = evaluation_rows("sentiment", 4, seed=3)
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"text": r["text"], "label": r["label"], "n": i}) + "\n"
                            for i, r in enumerate(rows)), encoding="utf-8")
    where = ["--base-url", local_server.base_url, "--model", local_server.model]
    args = ["prompt", "--task", "reviews", *where, "--shots", "1", "--input", str(data),
            "--output", str(tmp_path / "out.jsonl")]
    first, again = run_cli(*args), run_cli(*args)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert f"sentiment: 1-shot via {local_server.base_url}" in first.stdout
    assert "4 answers from the cache" in again.stdout  # the second run asked nothing
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["n"] for r in out] == [0, 1, 2, 3]
    assert all(r["prediction"] in ("positive", "negative", None) for r in out)
    assert_no_secret(first.stdout, first.stderr, (tmp_path / "out.jsonl").read_text())
    compared = run_cli("compare", "--task", "reviews", *where, "--out", str(tmp_path / "o"),
                       "--n-test", "4", "--shots", "1", "--train-size", "8", "--epochs", "1",
                       "--no-curve")
    assert compared.returncode == 0, compared.stderr
    table = (tmp_path / "o" / "table.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in table[1:]] == [
        "prompting", "fine-tuning", "embeddings + classifier", "prompting via API"]


@pytest.mark.parametrize(("where", "message"), [
    (["--base-url", "http://127.0.0.1:9/v1", "--model", "m"], "cannot reach http://127.0.0.1:9/v1"),
    (["--base-url", "http://127.0.0.1:9/v1"], "--base-url needs --model"),
])
def test_cli_refuses_an_unusable_endpoint_before_reading_data(tmp_path: Path, where: list[str],
                                                             message: str) -> None:
    out = run_cli("prompt", "--task", "reviews", *where, "--input", str(tmp_path / "none.jsonl"))
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert "none.jsonl" not in out.stderr and "Traceback" not in out.stderr


def test_cli_wrong_model_and_a_run_cut_short_keep_the_answers(tmp_path: Path) -> None:
    def answer(body: dict[str, Any], count: int) -> Reply:
        return (200, completion('{"label": "negative"}')) if count <= 2 else RATE_LIMITED

    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"text": f"Review number {i}", "n": i}) + "\n"
                            for i in range(5)), encoding="utf-8")
    out_path = tmp_path / "out.jsonl"
    with FakeApi(answer).running() as fake:
        wrong = run_cli("prompt", "--task", "reviews", "--base-url", fake.base_url,
                        "--model", "nope", "--input", str(data))
        cut = run_cli("prompt", "--task", "reviews", "--base-url", fake.base_url, "--model",
                      "fake-model", "--shots", "0", "--concurrency", "1", "--input", str(data),
                      "--output", str(out_path))
    assert wrong.returncode == 2 and "serves: fake-model" in wrong.stderr
    assert cut.returncode == 2 and "answered 2 of 5 rows" in cut.stderr, cut.stderr
    # One error line (the waits for the rate limit are announced on lines of their own).
    assert "Traceback" not in cut.stderr and cut.stderr.count("error:") == 1
    # What was answered goes to a partial file beside --output, which stays untouched.
    assert not out_path.exists() and "out.partial.jsonl" in cut.stderr
    written = [json.loads(line) for line in (tmp_path / "out.partial.jsonl").read_text()
               .splitlines()]
    assert [r["n"] for r in written] == [0, 1, 2, 3, 4]  # every record kept ...
    assert [r["prediction"] for r in written] == ["negative", "negative", None, None, None]
