"""Prompting a model behind any OpenAI-compatible chat-completions endpoint.

The same k-shot messages as the local path (`prompting.build_messages`), sent with the official
``openai`` client to a hosted API or a local server (``transformers serve``, vLLM, llama.cpp,
Ollama...). The label is asked for as structured output (a JSON object whose ``label`` is one of
the task's answer words); servers that ignore that get their free text parsed instead.

* The API key is read from ``OPENAI_API_KEY`` only (a placeholder for local servers that need
  none). It is never an argument, and never written to a cache file, a message or a repr.
* Every response is cached on disk, one JSON file per request, keyed by a sha256 of the base URL,
  the model, the messages and the parameters: a re-run costs nothing and works offline.
* Requests run ``concurrency`` at a time; the client retries 429, 5xx and connection errors with
  exponential backoff. A row that still fails is recorded as an error and the run goes on; a
  rate limit, a refused key or a lost server stops the run with an `ApiError` that says how many
  rows were answered (those answers are kept: in the cache, and in ``error.partial``).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .files import write_text
from .metrics import classification_report, latency_summary
from .prompting import TASKS, Task, build_messages, choose_demos, parse_answer
from .settings import cache_dir as course_cache_dir

KEY_ENV = "OPENAI_API_KEY"
NO_KEY = "not-needed"  # what local servers get when OPENAI_API_KEY is unset
UNPARSED = "(unparsed)"  # the prediction `report` counts for an answer naming no label
CACHE_VERSION = 1
MAX_FAILURES_IN_A_ROW = 3  # row errors in a row after which the run stops


class ApiError(RuntimeError):
    """An endpoint cannot be used, or a run had to stop; the one-line message says why.

    ``partial`` holds the rows answered before a run stopped (also kept in the cache), and
    ``answered`` how many there are.
    """

    def __init__(self, message: str, partial: ApiRun | None = None):
        super().__init__(_clean(message))
        self.partial = partial
        self.answered = partial.answered if partial is not None else 0


def _key() -> str:
    return os.environ.get(KEY_ENV) or NO_KEY


def _clean(text: object) -> str:
    """One line, with the API key (if any) masked: for every message that leaves this module."""
    line = " ".join(str(text).split())
    key = os.environ.get(KEY_ENV)
    if key and len(key) >= 4:
        line = line.replace(key, "***")
    return line


@dataclass(frozen=True)
class ApiConfig:
    """Where to send prompts: an OpenAI-compatible ``base_url`` (ending in ``/v1`` for most
    servers) and a ``model`` it serves. The key comes from ``OPENAI_API_KEY`` only."""

    base_url: str
    model: str
    timeout: float = 30
    max_retries: int = 4
    concurrency: int = 4
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        url = self.base_url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, not {url!r}")
        if self.concurrency < 1 or self.max_retries < 0 or self.timeout <= 0:
            raise ValueError("concurrency must be >= 1, max_retries >= 0 and timeout > 0")
        object.__setattr__(self, "base_url", url)
        if self.cache_dir is not None:
            object.__setattr__(self, "cache_dir", Path(self.cache_dir).expanduser())

    @property
    def responses_dir(self) -> Path:
        """The folder of cached responses (``<course cache>/api`` unless ``cache_dir`` is set)."""
        return self.cache_dir if self.cache_dir is not None else course_cache_dir() / "api"


def make_client(config: ApiConfig, max_retries: int | None = None) -> Any:
    """An ``openai.OpenAI`` client for the endpoint (key from the environment)."""
    try:
        import openai
    except ImportError:
        raise ApiError("the openai package is not installed: pip install openai") from None
    return openai.OpenAI(base_url=config.base_url, api_key=_key(), timeout=config.timeout,
                         max_retries=config.max_retries if max_retries is None else max_retries)


def _reason(error: BaseException) -> str:
    """The root cause of a connection error, in a few words."""
    cause: BaseException = error
    for _ in range(10):
        inner = cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    return _clean(str(cause) or type(cause).__name__)


def _status_message(error: Any) -> str:
    """What the server said with an HTTP error, shortened."""
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        detail = body.get("message") or body.get("detail") or body.get("error") or body
        if isinstance(detail, dict):
            detail = detail.get("message", detail)
        text = str(detail)
    else:
        text = str(getattr(error, "message", "") or error)
    text = _clean(text)
    return text if len(text) <= 200 else text[:197] + "..."


def _key_refused(config: ApiConfig, status: int) -> ApiError:
    where = ("is set" if os.environ.get(KEY_ENV)
             else f"is not set, so the placeholder {NO_KEY!r} was sent")
    return ApiError(f"{config.base_url} refused the API key (HTTP {status}): set {KEY_ENV} to a "
                    f"valid key for this server ({KEY_ENV} {where})")


def check_endpoint(config: ApiConfig) -> list[str]:
    """Check, before any data work, that the server answers, accepts the key and serves the
    model; return the model ids it lists. Raises `ApiError` with a one-line message otherwise."""
    import openai

    client = make_client(config, max_retries=0)
    try:
        models = [m.id for m in client.models.list()]
    except openai.APIConnectionError as error:
        raise ApiError(f"cannot reach {config.base_url}: {_reason(error)} — is the server "
                       "running?") from None
    except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
        raise _key_refused(config, error.status_code) from None
    except openai.NotFoundError:
        # Not every server lists its models: ask for one token instead.
        _probe(client, config)
        return []
    except openai.APIStatusError as error:
        raise ApiError(f"{config.base_url} answered HTTP {error.status_code} to GET /models: "
                       f"{_status_message(error)}") from None
    except openai.APIError as error:
        raise ApiError(f"{config.base_url} gave an unexpected answer to GET /models: "
                       f"{_clean(error)}") from None
    finally:
        client.close()
    # Ollama lists 'name:latest' and accepts 'name'.
    if config.model not in models and f"{config.model}:latest" not in models:
        shown = ", ".join(models[:20]) + (f" (and {len(models) - 20} more)"
                                          if len(models) > 20 else "")
        raise ApiError(f"{config.base_url} does not serve the model {config.model!r}; it serves: "
                       f"{shown or '(no models)'}")
    return models


def _probe(client: Any, config: ApiConfig) -> None:
    import openai

    try:
        client.chat.completions.create(model=config.model, max_tokens=1,
                                       messages=[{"role": "user", "content": "Hi"}])
    except openai.NotFoundError as error:
        raise ApiError(f"{config.base_url} has no /models nor /chat/completions (HTTP 404: "
                       f"{_status_message(error)}) — does base_url end in /v1?") from None
    except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
        raise _key_refused(config, error.status_code) from None
    except openai.APIStatusError as error:
        raise ApiError(f"{config.base_url} answered HTTP {error.status_code} for the model "
                       f"{config.model!r}: {_status_message(error)}") from None
    except openai.APIConnectionError as error:
        raise ApiError(f"cannot reach {config.base_url}: {_reason(error)} — is the server "
                       "running?") from None


def label_schema(task: Task) -> dict[str, Any]:
    """The ``response_format`` asking for ``{"label": <one of the task's answer words>}``."""
    return {"type": "json_schema", "json_schema": {
        "name": f"{task.name}_label", "strict": True,
        "schema": {"type": "object", "additionalProperties": False, "required": ["label"],
                   "properties": {"label": {"type": "string",
                                            "enum": list(task.answers.values())}}}}}


def read_answer(text: str | None, task: Task) -> tuple[str | None, bool]:
    """The label an answer names and whether it came as the requested JSON; ``(None, False)``
    when it names none. JSON first, then `prompting.parse_answer` on the free text."""
    text = (text or "").strip()
    by_word = {word.lower(): label for label, word in task.answers.items()}
    by_word.update({label.lower(): label for label in task.answers})
    body = text.removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    if isinstance(value, dict):
        value = value.get("label")
    if isinstance(value, str) and value.strip().lower() in by_word:
        return by_word[value.strip().lower()], True
    return parse_answer(text, task), False


@dataclass
class ApiRun:
    """One prompting run against an API: answers, predictions and what each request cost.

    Per row: ``predictions`` (None when the answer named no label or the request failed),
    the raw ``answers``, tokens from the response's ``usage`` (None where not reported),
    ``latency`` (seconds, retries included; for a cached row, the original request's),
    ``from_cache`` and ``errors`` (None, or why the request failed).
    """

    task: str
    k: int
    strategy: str
    model: str
    base_url: str
    gold: list[str]
    predictions: list[str | None]
    answers: list[str | None]
    structured: list[bool]  # the answer came as the requested JSON
    prompt_tokens: list[int | None]
    cached_tokens: list[int | None]  # usage.prompt_tokens_details.cached_tokens
    completion_tokens: list[int | None]
    latency: list[float | None]
    from_cache: list[bool]
    errors: list[str | None]
    requests: int = 0  # HTTP requests this run made for answers (retries not counted)
    retries: int = 0  # retries the client made on top of them
    wall_seconds: float = 0.0
    labels: tuple[str, ...] = ()

    @property
    def answered(self) -> int:
        """Rows with an answer from the model (parsed or not)."""
        return sum(a is not None for a in self.answers)

    @property
    def unparsed(self) -> int:
        """Answered rows whose answer names none of the task's labels."""
        return sum(a is not None and p is None for a, p in zip(self.answers, self.predictions,
                                                               strict=True))

    @property
    def failed(self) -> int:
        """Rows whose request failed (see ``errors``)."""
        return sum(e is not None for e in self.errors)

    def report(self) -> dict[str, Any]:
        """`metrics.classification_report` over every row; an unparsed or failed row counts as
        the wrong answer ``"(unparsed)"``."""
        if not self.gold:
            raise ValueError("These rows carry no gold labels: there is nothing to score.")
        predicted = [p if p is not None else UNPARSED for p in self.predictions]
        return classification_report(self.gold, predicted, self.labels)

    @property
    def accuracy(self) -> float:
        return self.report()["accuracy"]

    def summary(self) -> dict[str, Any]:
        def mean(values: Sequence[float | int | None]) -> float | None:
            known = [v for v in values if v is not None]
            return float(np.mean(known)) if known else None

        lat = latency_summary([v for v in self.latency if v is not None])
        scores = self.report() if self.gold else {"accuracy": float("nan"),
                                                  "macro_f1": float("nan")}
        return {"task": self.task, "k": self.k, "strategy": self.strategy, "model": self.model,
                "n": len(self.predictions), "accuracy": scores["accuracy"],
                "macro_f1": scores["macro_f1"], "unparsed": self.unparsed,
                "failed": self.failed, "structured": sum(self.structured),
                "prompt_tokens": mean(self.prompt_tokens),
                "cached_tokens": mean(self.cached_tokens),
                "completion_tokens": mean(self.completion_tokens),
                "latency_median_s": lat["median"], "latency_p95_s": lat["p95"],
                "requests": self.requests, "retries": self.retries,
                "from_cache": sum(self.from_cache), "wall_s": self.wall_seconds}

    def save(self, path: str | Path) -> Path:
        """Write the run as JSON (atomically): its summary and one record per row."""
        keys = ("predictions", "answers", "structured", "prompt_tokens", "cached_tokens",
                "completion_tokens", "latency", "from_cache", "errors")
        rows = [dict(zip(keys, values, strict=True))
                for values in zip(*(getattr(self, key) for key in keys), strict=True)]
        for i, row in enumerate(rows):
            row["gold"] = self.gold[i] if self.gold else None
        payload = {"base_url": self.base_url, "summary": self.summary(), "rows": rows}
        return write_text(path, json.dumps(payload, indent=1, default=str) + "\n")


@dataclass
class _Request:
    key: str
    messages: list[dict[str, str]]
    rows: list[int]  # the rows that send these same messages
    params: dict[str, Any]


@dataclass
class _Answer:
    record: dict[str, Any]
    requests: int = 0
    retries: int = 0


def request_key(config: ApiConfig, messages: list[dict[str, str]],
                params: dict[str, Any]) -> str:
    """The cache key: a sha256 of base URL, model, messages and parameters (never the key)."""
    blob = json.dumps({"v": CACHE_VERSION, "base_url": config.base_url, "model": config.model,
                       "messages": messages, "params": params},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _cache_file(config: ApiConfig, key: str) -> Path:
    return config.responses_dir / f"{key}.json"


def _read_cache(config: ApiConfig, key: str) -> dict[str, Any] | None:
    path = _cache_file(config, key)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("version") == CACHE_VERSION else None


def _usage(response: Any) -> dict[str, int | None]:
    usage = getattr(response, "usage", None)
    details = getattr(usage, "prompt_tokens_details", None)
    return {"prompt_tokens": getattr(usage, "prompt_tokens", None),
            "completion_tokens": getattr(usage, "completion_tokens", None),
            "cached_tokens": getattr(details, "cached_tokens", None)}


def _ask(client: Any, config: ApiConfig, request: _Request, stop: threading.Event,
         drop_format: threading.Event) -> _Answer | None:
    """Send one request (unless the run is stopping) and cache its answer."""
    if stop.is_set():
        return None
    try:
        return _send(client, config, request, drop_format)
    except Exception as error:
        if _fatal(error, config) is not None:
            stop.set()  # before this worker takes the next request
        raise


def _send(client: Any, config: ApiConfig, request: _Request,
          drop_format: threading.Event) -> _Answer:
    import openai

    params = dict(request.params)
    answer = _Answer({})
    t0 = time.perf_counter()
    while True:
        sent = {k: v for k, v in params.items()
                if v is not None and not (k == "response_format" and drop_format.is_set())}
        try:
            raw = client.chat.completions.with_raw_response.create(
                model=config.model, messages=request.messages, **sent)
        except openai.BadRequestError:
            # A server that rejects structured output: ask for free text from now on.
            if "response_format" in sent:
                drop_format.set()
                answer.requests += 1
                continue
            raise
        answer.requests += 1
        answer.retries += getattr(raw, "retries_taken", 0)
        break
    response = raw.parse()
    latency = time.perf_counter() - t0
    choice = response.choices[0] if response.choices else None
    message = getattr(choice, "message", None)
    record = {
        "version": CACHE_VERSION, "base_url": config.base_url, "model": config.model,
        "messages": request.messages, "params": request.params,
        "sent_params": sent, "content": getattr(message, "content", None),
        "finish_reason": getattr(choice, "finish_reason", None), "usage": _usage(response),
        "latency_s": latency, "retries": answer.retries, "created": time.time(),
        "response": response.model_dump(mode="json"),
    }
    text = json.dumps(record, indent=1, ensure_ascii=False)
    key = os.environ.get(KEY_ENV)
    if key and len(key) >= 4 and key in text:  # a server that echoes the key back
        text = text.replace(key, "***")
    answer.record = json.loads(text)
    path = _cache_file(config, request.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, text + "\n")
    return answer


def _fatal(error: BaseException, config: ApiConfig) -> str | None:
    """Why ``error`` must stop the whole run, or None when only its row failed."""
    import openai

    if isinstance(error, openai.RateLimitError):
        return f"{config.base_url} is still rate limiting (HTTP 429) after {_retries(config)}"
    if isinstance(error, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return str(_key_refused(config, error.status_code))
    if isinstance(error, openai.NotFoundError):
        return f"{config.base_url} answered HTTP 404: {_status_message(error)}"
    if isinstance(error, openai.APITimeoutError):
        return None
    if isinstance(error, openai.APIConnectionError):
        return (f"lost the connection to {config.base_url} ({_reason(error)}) after "
                f"{_retries(config)}")
    return None


def _retries(config: ApiConfig) -> str:
    return f"{config.max_retries} {'retry' if config.max_retries == 1 else 'retries'}"


def _describe(error: BaseException) -> str:
    import openai

    if isinstance(error, openai.APITimeoutError):
        return "timed out"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}: {_status_message(error)}"
    return _clean(f"{type(error).__name__}: {error}")


def classify(config: ApiConfig, task: str | Task, rows: Sequence[dict[str, Any]], k: int = 0,
             demos: Sequence[dict[str, Any]] | None = None, seed: int = 0,
             strategy: str = "balanced", describe: bool = True, system: str | None = None,
             max_tokens: int = 16, structured: bool = True, use_cache: bool = True,
             progress: Callable[[int, int], None] | None = None) -> ApiRun:
    """Classify ``rows`` with k-shot chat prompts sent to the endpoint.

    ``demos`` overrides the demonstrations `prompting.choose_demos` would pick (``k`` of them
    by ``strategy`` and ``seed``). Answers are asked for as JSON constrained to the task's
    answer words (``structured``), at temperature 0. Cached answers are reused (``use_cache``;
    False asks again and overwrites them); when every row is cached no request is made.
    ``progress(done, total)`` is called after each row is answered.

    Raises `ApiError` when the endpoint is unusable or the run had to stop (rate limit, key,
    lost server, or ``MAX_FAILURES_IN_A_ROW`` failed rows in a row); the rows answered so far
    are in its ``partial`` and in the cache.
    """
    make_client(config).close()  # an ApiError now if the openai package is missing

    task = TASKS[task] if isinstance(task, str) else task
    wall0 = time.perf_counter()
    chosen = list(demos) if demos is not None else choose_demos(task, k, strategy, seed)
    params = {"temperature": 0, "max_tokens": max_tokens,
              "response_format": label_schema(task) if structured else None}
    requests: dict[str, _Request] = {}
    for i, row in enumerate(rows):
        messages = build_messages(task, chosen, row["text"], describe, system)
        key = request_key(config, messages, params)
        requests.setdefault(key, _Request(key, messages, [], params)).rows.append(i)

    n = len(rows)
    try:
        gold = [task.gold(r) for r in rows]
    except KeyError:  # rows without gold labels
        gold = []
    result = ApiRun(task.name, len(chosen), strategy if demos is None else "given", config.model,
                    config.base_url, gold, [None] * n, [None] * n, [False] * n, [None] * n,
                    [None] * n, [None] * n, [None] * n, [False] * n, [None] * n,
                    labels=task.labels)
    done = 0

    def record(req: _Request, rec: dict[str, Any], cached: bool) -> None:
        nonlocal done
        label, as_json = read_answer(rec.get("content"), task)
        usage = rec.get("usage") or {}
        for i in req.rows:
            result.answers[i] = rec.get("content") or ""
            result.predictions[i] = label
            result.structured[i] = as_json
            result.prompt_tokens[i] = usage.get("prompt_tokens")
            result.cached_tokens[i] = usage.get("cached_tokens")
            result.completion_tokens[i] = usage.get("completion_tokens")
            result.latency[i] = rec.get("latency_s")
            result.from_cache[i] = cached
        done += len(req.rows)
        if progress:
            progress(done, n)

    pending = []
    for req in requests.values():
        rec = _read_cache(config, req.key) if use_cache else None
        if rec is not None:
            record(req, rec, cached=True)
        else:
            pending.append(req)

    def finish() -> ApiRun:
        result.wall_seconds = time.perf_counter() - wall0
        return result

    if not pending:
        return finish()
    try:
        check_endpoint(config)
    except ApiError as error:
        if not result.answered:
            raise ApiError(str(error), finish()) from None
        raise ApiError(f"{error}; {_answered(finish(), config)}", finish()) from None

    stop_reason = _run_pending(config, pending, result, record)
    finish()
    if stop_reason is not None:
        raise ApiError(f"stopped: {stop_reason}; {_answered(result, config)}", result)
    return result


def _run_pending(config: ApiConfig, pending: list[_Request], result: ApiRun,
                 record: Callable[[_Request, dict[str, Any], bool], None]) -> str | None:
    """Send the requests ``concurrency`` at a time; return why the run stopped, if it did."""
    stop, drop_format = threading.Event(), threading.Event()
    reason: str | None = None
    failures_in_a_row = 0
    client = make_client(config)
    pool = ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="api")
    try:
        futures: dict[Future, _Request] = {
            pool.submit(_ask, client, config, req, stop, drop_format): req for req in pending}
        for future in as_completed(futures):
            req = futures[future]
            if future.cancelled():
                continue
            error = future.exception()
            if error is None:
                answer = future.result()
                if answer is None:  # skipped: the run was stopping
                    continue
                result.requests += answer.requests
                result.retries += answer.retries
                record(req, answer.record, False)
                failures_in_a_row = 0
                continue
            result.requests += 1
            for i in req.rows:
                result.errors[i] = _describe(error)
            if reason is not None:
                continue
            failures_in_a_row += 1
            reason = _fatal(error, config)
            if reason is None and failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                reason = (f"{failures_in_a_row} requests in a row failed after retries (last: "
                          f"{_describe(error)})")
            if reason is not None:
                stop.set()
                for other in futures:
                    other.cancel()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        client.close()
    return reason


def _answered(run: ApiRun, config: ApiConfig) -> str:
    cached = sum(run.from_cache)
    return (f"answered {run.answered} of {len(run.predictions)} rows ({cached} from the cache), "
            f"kept in {config.responses_dir} — run again to continue")


# --- a local OpenAI-compatible server ----------------------------------------------------------


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _get_json(url: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


@dataclass
class LocalServer:
    """A running ``transformers serve`` process: its ``base_url``, served ``model`` id and log.

    Stop it with `stop` (or use it as a context manager)."""

    base_url: str
    model: str
    process: subprocess.Popen
    log: Path

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (killed if it does not exit within ``timeout`` seconds)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def config(self, **options: Any) -> ApiConfig:
        """An `ApiConfig` for this server (``options`` as ApiConfig's)."""
        return ApiConfig(self.base_url, self.model, **options)


def serve(port: int = 0, host: str = "127.0.0.1", model_dir: str | Path | None = None,
          threads: int | None = 1, startup_timeout: float = 120.0) -> LocalServer:
    """Start Transformers' OpenAI-compatible server on the course's embedded model (or the model
    folder ``model_dir``), on CPU and offline, and wait until it is healthy.

    ``port=0`` picks a free port. The served model id is the folder's path. ``threads`` caps
    the server's CPU threads (None: torch's default). The server generates one request at a
    time, and a 135M model's single-request decoding gains little from more threads, while on a
    busy 2-core machine the default threads made it 5-7x slower than one thread.
    """
    import importlib.util

    from . import compat
    from .models import get_spec, local_generative_dir

    if compat.transformers_version() < compat.SERVE_FROM:
        found = ".".join(map(str, compat.transformers_version()))
        raise ApiError(f"transformers serve needs Transformers {compat.SERVE_FROM[0]}."
                       f"{compat.SERVE_FROM[1]} or newer to serve the course's model (found "
                       f"{found}): pip install -U 'transformers[serving]'")
    script = Path(sys.executable).with_name("transformers")
    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    if not script.exists() or missing:
        raise ApiError("transformers serve is not available: pip install 'transformers[serving]'")
    folder = Path(model_dir) if model_dir else local_generative_dir(get_spec(None, "generative"))
    port = port or _free_port(host)
    handle, log_name = tempfile.mkstemp(prefix="tune-or-prompt-serve-", suffix=".log")
    os.close(handle)
    log = Path(log_name)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if threads is not None:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cmd = [str(script), "serve", str(folder), "--host", host, "--port", str(port),
           "--device", "cpu"]
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env)
    root = f"http://{host}:{port}"
    server = LocalServer(f"{root}/v1", str(folder), process, log)
    atexit.register(server.stop)
    deadline = time.monotonic() + startup_timeout
    while True:
        if process.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            raise ApiError(f"transformers serve exited with code {process.returncode} before it "
                           f"was ready: {tail[0]} (log: {log})")
        try:
            if _get_json(f"{root}/health").get("status") == "ok":
                break
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise ApiError(f"transformers serve was not ready on {root} after "
                           f"{startup_timeout:.0f} s (log: {log})")
        time.sleep(0.25)
    try:
        ids = [m["id"] for m in _get_json(f"{root}/v1/models", timeout=10)["data"]]
    except (OSError, ValueError, KeyError, TypeError):
        ids = []
    if ids:
        server.model = ids[0]
    return server


__all__ = ["ApiConfig", "ApiError", "ApiRun", "LocalServer", "check_endpoint", "classify",
           "label_schema", "make_client", "read_answer", "request_key", "serve"]
