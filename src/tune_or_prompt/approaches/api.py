"""Prompting a model behind any OpenAI-compatible chat-completions endpoint.

The same k-shot messages as the local path (`prompting.build_messages`), sent with the official
``openai`` client to a hosted API or a local server (``transformers serve``, vLLM, llama.cpp,
Ollama...). The label is asked for as structured output (a JSON object whose ``label`` is one of
the task's answer words); servers that ignore that get their free text parsed instead.

* The API key is read from ``OPENAI_API_KEY`` only (a placeholder for local servers that need
  none). It is never an argument, and never written to a cache file, a message or a repr.
* Every response is cached on disk, one JSON file per request, keyed by a sha256 of the base URL,
  the model, the messages and the parameters: a re-run costs nothing and works offline.
* Requests run ``concurrency`` at a time; 429, 5xx and connection errors are retried with
  exponential backoff (or the server's Retry-After), each wait announced through ``notice``.
  ``timeout`` is the total time one answer may take, retries and waits included.
* Every reply is read up to `MAX_REPLY_BYTES` and checked against a schema (pydantic) before
  use: a bad reply makes its row unanswered, with a one-line reason, and is never cached. A
  cache entry is checked the same way when read; a bad one is deleted and asked again.
* A row that still fails is recorded as an error and the run goes on; a rate limit, a refused
  key or a lost server stops the run with an `ApiError` that says how many rows were answered
  (those answers are kept: in the cache, and in ``error.partial``). Ctrl+C stops the run at once
  (requests in flight are abandoned) with an `Interrupted` error holding the answers so far.
* Reasoning models (OpenAI's o-series and GPT-5 family, and others that copy their API) refuse
  ``max_tokens`` and any ``temperature`` but their default. The client learns that from the
  server's first HTTP 400 that names the parameter as unsupported, and for the rest of the run
  asks with ``max_completion_tokens`` (`ApiConfig.max_completion_tokens`: the cap counts the
  model's thinking too) and without the refused sampling setting; ``ApiConfig.reasoning`` asks
  that way from the first request. Each answer's thinking tokens
  (``usage.completion_tokens_details.reasoning_tokens``) are recorded (`ApiRun.reasoning_tokens`).

  What this rests on (read 2026-12-07): the chat-completions parameters as documented in the
  ``openai`` Python client 3.63.0 (``types/chat/completion_create_params.py``, generated from
  OpenAI's API specification): ``max_tokens`` "is now deprecated in favor of
  `max_completion_tokens`, and is not compatible with o-series models"; ``max_completion_tokens``
  bounds "visible output tokens and reasoning tokens". Its ``types/completion_usage.py``: reasoning
  tokens are "still counted in the total completion tokens for purposes of billing, output, and
  context window limits", so ``completion_tokens`` already includes them. The refusals' shape,
  as users quote them for o1, o3-mini, gpt-5 and gpt-5.x (GitHub issues
  teilomillet/gollm#33, 2025-03-12; griptape-ai/ComfyUI-Griptape#312, 2025-08-22;
  gabrii/Cursor-Azure-GPT-5#33, 2025-09-15; koosoli/ESPHomeDesigner#379, 2026-04-10): HTTP 400,
  ``{"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model.
  Use 'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens",
  "code": "unsupported_parameter"}}``, and for ``temperature`` the message "Unsupported value:
  'temperature' does not support 0 with this model. Only the default (1) value is supported."
  with ``"code": "unsupported_value"``. Model names are not used to guess: the same name means
  different things behind different servers, and names change faster than code.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import math
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tune_or_prompt.ground.files import write_text
from tune_or_prompt.ground.registry import TARGETS, Target
from tune_or_prompt.ground.scores import classification_report, latency_summary
from tune_or_prompt.ground.settings import cache_dir as course_cache_dir

from .prompting import build_messages, choose_demos, parse_answer

KEY_ENV = "OPENAI_API_KEY"
NO_KEY = "not-needed"  # what local servers get when OPENAI_API_KEY is unset
UNPARSED = "(unparsed)"  # the prediction `report` counts for an answer naming no label
CACHE_VERSION = 1
MAX_FAILURES_IN_A_ROW = 3  # row errors in a row after which the run stops
MAX_REPLY_BYTES = 1024 * 1024  # a label answer is a few hundred bytes; more is refused
MAX_BACKOFF_S = 8.0  # the longest wait between two tries (unless the server's Retry-After)
# A reasoning model's default cap on the tokens of one answer, its thinking included: a label
# needs few visible tokens, but the model thinks first, and a cap it reaches before answering
# leaves the answer empty (paid for all the same). Only the tokens generated are billed.
MAX_COMPLETION_TOKENS = 4096


class ApiError(RuntimeError):
    """An endpoint cannot be used, or a run had to stop; the one-line message says why.

    ``partial`` holds the rows answered before a run stopped (also kept in the cache), and
    ``answered`` how many there are.
    """

    def __init__(self, message: str, partial: ApiRun | None = None):
        super().__init__(_clean(message))
        self.partial = partial
        self.answered = partial.answered if partial is not None else 0


class Interrupted(ApiError):
    """The run was stopped with Ctrl+C; ``partial`` holds what was answered before."""


class BadReply(Exception):
    """A server reply that is too large or not of the expected shape (never cached)."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class _Details(_Strict):
    cached_tokens: int | None = Field(default=None, ge=0)


class _CompletionDetails(_Strict):
    reasoning_tokens: int | None = Field(default=None, ge=0)


class _Usage(_Strict):
    prompt_tokens: int | None = Field(default=None, ge=0)
    completion_tokens: int | None = Field(default=None, ge=0)
    prompt_tokens_details: _Details | None = None
    completion_tokens_details: _CompletionDetails | None = None


class _Message(_Strict):
    content: str | None = None


class _Choice(_Strict):
    message: _Message
    finish_reason: str | None = None


class ChatReply(_Strict):
    """What a chat-completions reply must hold to be used: one choice or more, whose message
    content is text (or null), and optional token counts that are whole numbers."""

    choices: list[_Choice] = Field(min_length=1)
    usage: _Usage | None = None


class _ModelEntry(_Strict):
    id: str = Field(min_length=1)


class ModelList(_Strict):
    """A ``GET /models`` reply: ``data`` is a list of entries, each with an ``id``."""

    data: list[_ModelEntry]


class _CachedUsage(_Strict):
    prompt_tokens: int | None = Field(default=None, ge=0)
    completion_tokens: int | None = Field(default=None, ge=0)
    cached_tokens: int | None = Field(default=None, ge=0)
    reasoning_tokens: int | None = Field(default=None, ge=0)  # absent from older entries


class CacheEntry(_Strict):
    """What a cache file must hold to be reused (written by `_send`)."""

    version: Literal[1]
    content: str | None
    usage: _CachedUsage
    latency_s: float | None = Field(default=None, ge=0, allow_inf_nan=False)


def _first_problem(error: ValidationError) -> str:
    """The first schema problem, in one line: 'choices.0.message.content: Input should be...'."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(the reply)"
    return _clean(f"{where}: {first['msg']}")


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
    timeout: float = 30  # seconds for one answer in all: every try and wait included
    max_retries: int = 4
    concurrency: int = 4
    cache_dir: Path | None = None
    refresh: bool = False  # ask again even where the cache holds an answer (and replace it)
    # A reasoning model: ask with max_completion_tokens and its own temperature from the first
    # request (otherwise learned from the server's first refusal, one request later).
    reasoning: bool = False
    max_completion_tokens: int = MAX_COMPLETION_TOKENS  # sent in place of max_tokens

    def __post_init__(self) -> None:
        url = self.base_url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, not {url!r}")
        if (self.concurrency < 1 or self.max_retries < 0 or not self.timeout > 0
                or not math.isfinite(self.timeout)):
            raise ValueError("concurrency must be >= 1, max_retries >= 0 and timeout > 0")
        if self.max_completion_tokens < 1:
            raise ValueError("max_completion_tokens must be >= 1")
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
    url = f"{config.base_url}/models"
    try:
        with client.models.with_streaming_response.list(
                timeout=min(config.timeout, 30)) as response:
            body = _read_capped(response, time.monotonic() + min(config.timeout, 30))
        models = [m.id for m in ModelList.model_validate_json(body).data]
    except BadReply as error:
        raise ApiError(f"{url} gave an unusable answer: {error}") from None
    except ValidationError as error:
        raise ApiError(f"{url} gave an answer that is not a model list: "
                       f"{_first_problem(error)}") from None
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
        raise ApiError(f"{url} gave an unexpected answer: {_clean(error)}") from None
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
    except openai.BadRequestError as error:
        if _refused(error, {"max_tokens": 1}) is None:  # a reasoning model: it is there
            raise ApiError(f"{config.base_url} answered HTTP 400 for the model "
                           f"{config.model!r}: {_status_message(error)}") from None
    except openai.APIStatusError as error:
        raise ApiError(f"{config.base_url} answered HTTP {error.status_code} for the model "
                       f"{config.model!r}: {_status_message(error)}") from None
    except openai.APIConnectionError as error:
        raise ApiError(f"cannot reach {config.base_url}: {_reason(error)} — is the server "
                       "running?") from None


def label_schema(task: Target) -> dict[str, Any]:
    """The ``response_format`` asking for ``{"label": <one of the task's answer words>}``."""
    return {"type": "json_schema", "json_schema": {
        "name": f"{task.name}_label", "strict": True,
        "schema": {"type": "object", "additionalProperties": False, "required": ["label"],
                   "properties": {"label": {"type": "string",
                                            "enum": list(task.answers.values())}}}}}


def read_answer(text: str | None, task: Target) -> tuple[str | None, bool]:
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
    the raw ``answers``, tokens from the response's ``usage`` (None where not reported;
    ``completion_tokens`` includes the ``reasoning_tokens`` the model thought with, as OpenAI
    counts and bills them), ``latency`` (seconds, retries included; for a cached row, the
    original request's), ``from_cache`` and ``errors`` (None, or why the request failed).
    ``refused``: the parameters the server refused during the run, in that order (then left
    out; ``max_tokens`` sent as ``max_completion_tokens``). With ``ApiConfig.reasoning`` they
    are never sent, and not listed.
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
    reasoning_tokens: list[int | None] = field(default_factory=list)  # of completion_tokens
    refused: list[str] = field(default_factory=list)

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
                "reasoning_tokens": mean(self.reasoning_tokens),
                "refused": sorted(self.refused),
                "latency_median_s": lat["median"], "latency_p95_s": lat["p95"],
                "requests": self.requests, "retries": self.retries,
                "from_cache": sum(self.from_cache), "wall_s": self.wall_seconds}

    def save(self, path: str | Path) -> Path:
        """Write the run as JSON (atomically): its summary and one record per row."""
        keys = ("predictions", "answers", "structured", "prompt_tokens", "cached_tokens",
                "completion_tokens", "reasoning_tokens", "latency", "from_cache", "errors")
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
    """A cached answer, checked (`CacheEntry`); a damaged one is deleted (and asked again)."""
    path = _cache_file(config, key)
    try:
        text = path.read_bytes()
    except OSError:
        return None
    try:
        entry = CacheEntry.model_validate_json(text)
    except ValidationError:
        path.unlink(missing_ok=True)
        return None
    record = json.loads(text)
    record["usage"] = entry.usage.model_dump()
    return record


def check_cache(config: ApiConfig) -> Path:
    """Check, before the first request, that answers can be kept in the cache folder; raise
    `ApiError` naming it and the setting that moves it otherwise."""
    from tune_or_prompt.ground.files import OutputError, check_writable
    from tune_or_prompt.ground.settings import CACHE_ENV

    folder = config.responses_dir
    try:
        check_writable(folder, "the API answer cache", folder=True)
        folder.mkdir(parents=True, exist_ok=True)
    except (OutputError, OSError) as error:
        raise ApiError(f"{error}: answers could not be kept, so nothing was asked; set "
                       f"{CACHE_ENV} to a folder you can write") from None
    return folder


def _read_capped(response: Any, deadline: float) -> bytes:
    """The body of a streamed response, refused past `MAX_REPLY_BYTES` or the deadline."""
    size = response.headers.get("content-length")
    if size and size.isdigit() and int(size) > MAX_REPLY_BYTES:
        raise BadReply(f"reply of {int(size):,} bytes is over the {MAX_REPLY_BYTES:,}-byte cap")
    chunks, total = [], 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > MAX_REPLY_BYTES:
            raise BadReply(f"reply over the {MAX_REPLY_BYTES:,}-byte cap")
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        chunks.append(chunk)
    return b"".join(chunks)


def _usage(reply: ChatReply) -> dict[str, int | None]:
    usage = reply.usage
    details = usage.prompt_tokens_details if usage is not None else None
    thinking = usage.completion_tokens_details if usage is not None else None
    return {"prompt_tokens": usage.prompt_tokens if usage else None,
            "completion_tokens": usage.completion_tokens if usage else None,
            "cached_tokens": details.cached_tokens if details else None,
            "reasoning_tokens": thinking.reasoning_tokens if thinking else None}


_UNSUPPORTED = re.compile(r"unsupported|not supported|does not support|only the default")
# Parameters a server may refuse as unsupported, checked in this order; a refused one is left
# out of every later request of the run (max_tokens: replaced by max_completion_tokens).
_ADAPTABLE = ("max_tokens", "max_completion_tokens", "temperature")


def _refused(error: Any, sent: dict[str, Any]) -> str | None:
    """The parameter of ``sent`` that a 400 answer refuses as unsupported, if it names one:
    by its ``param`` field (OpenAI's error shape) or, from servers that give only a message,
    by name in a message that says "unsupported" or "not supported". A 400 about a value out
    of range ("max_tokens is too large") names no refused parameter."""
    code = str(getattr(error, "code", None) or "").lower()
    text = _status_message(error).lower()
    if not (code.startswith("unsupported") or _UNSUPPORTED.search(text)):
        return None
    param = getattr(error, "param", None)
    for name in _ADAPTABLE:
        if name in sent and (param == name or re.search(rf"(?<!\w){name}(?!\w)", text)):
            return name
    return None


class _Learned:
    """What the server refused during one run, shared by the run's workers: each refusal is
    learned once (and announced once), and later requests are sent without it."""

    def __init__(self, config: ApiConfig, notice: Callable[[str], None] | None = None):
        self.config = config
        self.notice = notice
        self.refused: list[str] = []  # in the order the server refused them
        self.unsent = {"max_tokens", "temperature"} if config.reasoning else set()
        self.lock = threading.Lock()

    def params(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` as this server takes them (None values left out)."""
        with self.lock:
            refused = set(self.refused) | self.unsent
        sent = {k: v for k, v in params.items() if v is not None and k not in refused}
        if ("max_tokens" in refused and "max_completion_tokens" not in refused
                and params.get("max_tokens") is not None):
            sent["max_completion_tokens"] = self.config.max_completion_tokens
        return sent

    def refuse(self, name: str) -> None:
        with self.lock:
            if name in self.refused:
                return
            self.refused.append(name)
        if self.notice is None or name == "response_format":
            return
        what = {"max_tokens": f"asking with max_completion_tokens="
                              f"{self.config.max_completion_tokens} instead (a reasoning model: "
                              "the cap counts its thinking too)",
                "max_completion_tokens": "asking with no cap on the answer's tokens",
                "temperature": "leaving the temperature to the model (answers may differ "
                               "between runs)"}[name]
        self.notice(f"{self.config.base_url}: the model {self.config.model!r} refuses {name}; "
                    f"{what}")


class _Stopped(Exception):
    """The run stopped while this request waited to retry."""


def _retry_after(headers: Any) -> float | None:
    """The server's Retry-After (seconds, or milliseconds in retry-after-ms), if it gave one."""
    for name, scale in (("retry-after-ms", 1000), ("retry-after", 1)):
        try:
            value = float(headers.get(name)) / scale
        except (TypeError, ValueError):
            continue
        if math.isfinite(value) and value >= 0:
            return value
    return None


def _retry_wait(error: BaseException, attempt: int) -> float | None:
    """Seconds to wait before trying again after ``error``; None when it is not retried."""
    import openai

    if isinstance(error, openai.APIStatusError):
        if not (error.status_code in (408, 409, 429) or error.status_code >= 500):
            return None
        after = _retry_after(error.response.headers)
        if after is not None:
            return after
    elif not isinstance(error, (openai.APIConnectionError, TimeoutError)):
        return None
    return min(0.5 * 2 ** attempt, MAX_BACKOFF_S)


def _send(client: Any, config: ApiConfig, request: _Request, learned: _Learned,
          stop: threading.Event, notice: Callable[[str], None] | None = None) -> _Answer:
    """Ask for one answer, retrying within ``config.timeout`` in all; check the reply
    (`ChatReply`, at most `MAX_REPLY_BYTES`) and cache it. A 400 that refuses a parameter is
    learned (`_Learned`) and the request sent again without it; one that names none drops
    structured output, once. Raises the last error, `BadReply`, or TimeoutError."""
    import openai

    answer = _Answer({})
    t0 = time.monotonic()
    deadline = t0 + config.timeout
    attempt = 0
    dropped: set[str] = set()  # each parameter is dropped once per request at most
    while True:
        sent = learned.params(request.params)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        try:
            with client.chat.completions.with_streaming_response.create(
                    model=config.model, messages=request.messages, timeout=remaining,
                    **sent) as response:
                body = _read_capped(response, deadline)
        except openai.BadRequestError as error:
            # A parameter the model does not take (a reasoning model's max_tokens or
            # temperature), else a server that rejects structured output: ask without it
            # from now on.
            name = _refused(error, sent) or ("response_format" if "response_format" in sent
                                             else None)
            if name is None or name in dropped:
                raise
            dropped.add(name)
            learned.refuse(name)
            answer.requests += 1
            continue
        except (openai.APIStatusError, openai.APIConnectionError, TimeoutError) as error:
            wait = _retry_wait(error, attempt)
            if (wait is None or attempt >= config.max_retries
                    or time.monotonic() + wait >= deadline):
                raise
            attempt += 1
            answer.retries += 1
            if notice is not None:
                what = ("rate limited (HTTP 429)" if isinstance(error, openai.RateLimitError)
                        else _describe(error))
                notice(f"{config.base_url}: {what}; waiting {wait:.1f} s before retry "
                       f"{attempt} of {config.max_retries}")
            if stop.wait(wait):
                raise _Stopped() from None
            continue
        answer.requests += 1
        break
    latency = time.monotonic() - t0
    try:
        reply = ChatReply.model_validate_json(body)
    except ValidationError as error:
        raise BadReply(f"not a chat-completions reply: {_first_problem(error)}") from None
    choice = reply.choices[0]
    usage = _usage(reply)
    thinking = usage["reasoning_tokens"] or 0
    if (not (choice.message.content or "").strip() and choice.finish_reason == "length"
            and (thinking or "max_completion_tokens" in sent)):
        cap = sent.get("max_completion_tokens")
        cap_text = f"its cap of {cap} tokens" if cap else "its token cap"
        raise BadReply(f"no answer: the model reached {cap_text}"
                       f"{f' ({thinking} of them thinking)' if thinking else ''} before it "
                       "answered; raise max_completion_tokens (--max-completion-tokens)")
    record = {
        "version": CACHE_VERSION, "base_url": config.base_url, "model": config.model,
        "messages": request.messages, "params": request.params,
        "sent_params": sent, "content": choice.message.content,
        "finish_reason": choice.finish_reason, "usage": usage,
        "latency_s": latency, "retries": answer.retries, "created": time.time(),
        "response": json.loads(body),
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

    if isinstance(error, (openai.APITimeoutError, TimeoutError)):
        return "timed out"
    if isinstance(error, BadReply):
        return f"bad reply: {error}"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}: {_status_message(error)}"
    return _clean(f"{type(error).__name__}: {error}")


def classify(config: ApiConfig, task: str | Target, rows: Sequence[dict[str, Any]], k: int = 0,
             demos: Sequence[dict[str, Any]] | None = None, seed: int = 0,
             strategy: str = "balanced", describe: bool = True, system: str | None = None,
             max_tokens: int = 16, structured: bool = True, use_cache: bool = True,
             progress: Callable[[int, int], None] | None = None,
             notice: Callable[[str], None] | None = None) -> ApiRun:
    """Classify ``rows`` with k-shot chat prompts sent to the endpoint.

    ``demos`` overrides the demonstrations `prompting.choose_demos` would pick (``k`` of them
    by ``strategy`` and ``seed``). Answers are asked for as JSON constrained to the task's
    answer words (``structured``), at temperature 0, in at most ``max_tokens`` tokens; a
    reasoning model that refuses those gets ``config.max_completion_tokens`` and its own
    temperature instead (see the module's notes). Cached answers are reused (``use_cache``
    and not ``config.refresh``; else asked again and replaced); when every row is cached no
    request is made. The cache key holds the parameters asked for, not those the server took.
    ``progress(done, total)`` is called after each row is answered, and ``notice(line)``
    before each wait to retry (a rate limit, a server error) and when the server refuses a
    parameter.

    Raises `ApiError` when the endpoint or the cache folder is unusable or the run had to stop
    (rate limit, key, lost server, or ``MAX_FAILURES_IN_A_ROW`` failed rows in a row), and
    `Interrupted` on Ctrl+C; the rows answered so far are in its ``partial`` and in the cache.
    """
    make_client(config).close()  # an ApiError now if the openai package is missing

    task = TARGETS[task] if isinstance(task, str) else task
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
                    labels=task.labels, reasoning_tokens=[None] * n)
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
            result.reasoning_tokens[i] = usage.get("reasoning_tokens")
            result.latency[i] = rec.get("latency_s")
            result.from_cache[i] = cached
        done += len(req.rows)
        if progress:
            progress(done, n)

    pending = []
    for req in requests.values():
        rec = _read_cache(config, req.key) if use_cache and not config.refresh else None
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
        check_cache(config)
        check_endpoint(config)
    except ApiError as error:
        if not result.answered:
            raise ApiError(str(error), finish()) from None
        raise ApiError(f"{error}; {_answered(finish(), config)}", finish()) from None

    try:
        stop_reason = _run_pending(config, pending, result, record, notice)
    except KeyboardInterrupt:
        finish()
        raise Interrupted(f"interrupted; {_answered(result, config)}", result) from None
    finish()
    if stop_reason is not None:
        raise ApiError(f"stopped: {stop_reason}; {_answered(result, config)}", result)
    return result


def _run_pending(config: ApiConfig, pending: list[_Request], result: ApiRun,
                 record: Callable[[_Request, dict[str, Any], bool], None],
                 notice: Callable[[str], None] | None = None) -> str | None:
    """Send the requests ``concurrency`` at a time; return why the run stopped, if it did.

    The workers are daemon threads and this thread only waits for their outcomes, so Ctrl+C
    (KeyboardInterrupt here) and a request past its total time end the wait at once: what is
    still in flight is abandoned (a late answer may still reach the cache)."""
    stop = threading.Event()
    learned = _Learned(config, notice)
    work: queue.Queue[_Request] = queue.Queue()
    for req in pending:
        work.put(req)
    outcomes: queue.Queue[tuple[_Request, Any]] = queue.Queue()
    in_flight: dict[str, tuple[float, _Request]] = {}
    client = make_client(config, max_retries=0)

    def worker() -> None:
        while not stop.is_set():
            try:
                req = work.get_nowait()
            except queue.Empty:
                return
            in_flight[req.key] = (time.monotonic(), req)
            try:
                outcome: Any = _send(client, config, req, learned, stop, notice)
            except BaseException as error:  # noqa: BLE001 (handed to the main thread)
                if _fatal(error, config) is not None:
                    stop.set()  # before this worker takes the next request
                outcome = error
            outcomes.put((req, outcome))

    def start_worker() -> None:
        threading.Thread(target=worker, name="api", daemon=True).start()

    reason: str | None = None
    failures_in_a_row = 0
    finished: set[str] = set()

    def handle(req: _Request, outcome: Any) -> None:
        nonlocal reason, failures_in_a_row
        finished.add(req.key)
        in_flight.pop(req.key, None)
        if isinstance(outcome, _Stopped):
            return
        if isinstance(outcome, _Answer):
            result.requests += outcome.requests
            result.retries += outcome.retries
            record(req, outcome.record, False)
            failures_in_a_row = 0
            return
        result.requests += 1
        for i in req.rows:
            result.errors[i] = _describe(outcome)
        if reason is not None:
            return
        failures_in_a_row += 1
        reason = _fatal(outcome, config)
        if reason is None and failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
            reason = (f"{failures_in_a_row} requests in a row failed after retries (last: "
                      f"{_describe(outcome)})")
        if reason is not None:
            stop.set()

    for _ in range(min(config.concurrency, len(pending))):
        start_worker()
    try:
        while len(finished) < len(pending):
            if stop.is_set() and not in_flight and outcomes.empty():
                break
            try:
                req, outcome = outcomes.get(timeout=0.2)
            except queue.Empty:
                now = time.monotonic()
                for started, req in list(in_flight.values()):
                    if now - started > config.timeout + 1 and req.key not in finished:
                        handle(req, TimeoutError("timed out"))  # a server trickling its reply
                        start_worker()
                continue
            if req.key not in finished:
                handle(req, outcome)
    finally:
        stop.set()
        result.refused = list(learned.refused)
        if not in_flight:
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
        return json.loads(response.read(MAX_REPLY_BYTES).decode("utf-8"))


def _who_listens(host: str, port: int) -> str:
    """What answers on host:port, in a few words (asked over HTTP, one second at most)."""
    import urllib.error

    root = f"http://{host}:{port}"
    try:
        listed = ModelList.model_validate(_get_json(f"{root}/v1/models", timeout=1.0))
        names = ", ".join(m.id for m in listed.data[:3]) or "no models"
        return f"an OpenAI-compatible server at {root}/v1 serving {names}"
    except urllib.error.HTTPError as error:
        return f"an HTTP server at {root} (it answered HTTP {error.code} to /v1/models)"
    except (OSError, ValueError):
        return "a program that does not answer HTTP requests there"


def check_port(port: int, host: str = "127.0.0.1") -> None:
    """Before anything starts: ``port`` is a valid TCP port (0 picks a free one) and nothing
    listens on it; raise `ApiError` saying what does otherwise."""
    if not 0 <= port <= 65535:
        raise ApiError(f"--port {port}: a port is a whole number from 0 to 65535 (0 picks a "
                       "free one)")
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            sock.bind((host, port))
            return
        except PermissionError:
            raise ApiError(f"--port {port}: this user may not listen on port {port} of {host} "
                           "(ports below 1024 need privileges); choose another, or 0 for a "
                           "free one") from None
        except OSError as error:
            busy = error.errno in (98, 48, 10048)  # EADDRINUSE on Linux, macOS, Windows
            if not busy:
                raise ApiError(f"--port {port}: cannot listen on {host}:{port} "
                               f"({error.strerror})") from None
    raise ApiError(f"--port {port}: port {port} on {host} is already in use by "
                   f"{_who_listens(host, port)}; stop it or choose another port (0 picks a "
                   "free one)")


def _log_cause(log: Path) -> str:
    """The line of a server log that says why it stopped: the last error line, else the
    last line."""
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines()
             if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "errno" in line.lower()]
    return (errors or lines or ["(no output)"])[-1][:300]


def _die_with_parent() -> None:
    """In the server's process, before it runs: a new session (its own process group, which
    `LocalServer.stop` signals whole) and, on Linux, SIGTERM when its parent dies."""
    os.setsid()
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class LocalServer:
    """A running ``transformers serve`` process: its ``base_url``, served ``model`` id and log.

    Stop it with `stop` (or use it as a context manager)."""

    base_url: str
    model: str
    process: subprocess.Popen
    log: Path

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server and every process it started (its process group; killed if
        it does not exit within ``timeout`` seconds)."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)  # the group it leads: its children too

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

    from tune_or_prompt.ground import compat
    from tune_or_prompt.ground.models import get_spec, local_generative_dir

    check_port(port, host)  # before anything starts: a busy port names what holds it
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
                                   stdin=subprocess.DEVNULL, env=env,
                                   preexec_fn=_die_with_parent)  # noqa: PLW1509
    root = f"http://{host}:{port}"
    server = LocalServer(f"{root}/v1", str(folder), process, log)
    atexit.register(server.stop)
    deadline = time.monotonic() + startup_timeout
    while True:
        if process.poll() is not None:
            server.stop()
            raise ApiError(f"transformers serve exited with code {process.returncode} before it "
                           f"was ready: {_log_cause(log)} (log: {log})")
        try:
            if _get_json(f"{root}/health").get("status") == "ok":
                break
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise ApiError(f"transformers serve was not ready on {root} after "
                           f"{startup_timeout:.0f} s: {_log_cause(log)} (log: {log})")
        time.sleep(0.25)
    try:
        ids = [m["id"] for m in _get_json(f"{root}/v1/models", timeout=10)["data"]]
    except (OSError, ValueError, KeyError, TypeError):
        ids = []
    if ids:
        server.model = ids[0]
    return server


__all__ = ["ApiConfig", "ApiError", "ApiRun", "BadReply", "ChatReply", "Interrupted",
           "LocalServer", "ModelList", "check_cache", "check_endpoint", "classify",
           "label_schema", "make_client", "read_answer", "request_key", "serve"]
