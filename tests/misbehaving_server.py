"""A small real OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves on purpose.

Each test hands it a ``reply(method, path, body, count)`` function returning a `Reply`: the
status, the body (bytes, or a value sent as JSON), extra headers, a delay before answering and,
optionally, a trickle (the body sent a few bytes at a time, slowly). Nothing is mocked: the
course's client talks HTTP to it over a real socket.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from conftest import running

MODEL = "fake-model"


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # bytes as they are, anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the reply starts
    trickle: float = 0.0  # seconds between chunks of 8 bytes (0: all at once)
    length: int | None = None  # a Content-Length to announce instead of the true one; -1: none
    # (the body then ends when the connection closes)


def completion(content: Any = '{"label": "positive"}', usage: Any = None) -> dict[str, Any]:
    """A chat-completions reply whose message content is ``content`` (any JSON value)."""
    if usage is None:
        usage = {"prompt_tokens": 42, "completion_tokens": 5, "total_tokens": 47}
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": MODEL,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": usage}


def models(*ids: str) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": i, "object": "model", "created": 0,
                                        "owned_by": "t"} for i in ids or (MODEL,)]}


def default_reply(method: str, path: str, body: Any, count: int) -> Reply:
    if method == "GET" and path.endswith("/models"):
        return Reply(body=models())
    return Reply(body=completion())


class Server:
    """The server; ``posts`` holds every POST body it received, in order."""

    def __init__(self, reply: Callable[[str, str, Any, int], Reply] = default_reply):
        self.reply = reply
        self.posts: list[Any] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, method: str, body: Any) -> None:
                with outer.lock:
                    if method == "POST":
                        outer.posts.append(body)
                    count = len(outer.posts)
                r = outer.reply(method, self.path, body, count)
                if r.delay:
                    time.sleep(r.delay)
                data = r.body if isinstance(r.body, bytes) else json.dumps(r.body).encode()
                try:
                    self.send_response(r.status)
                    self.send_header("Content-Type", "application/json")
                    if r.length == -1:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    else:
                        self.send_header("Content-Length", str(r.length if r.length is not None
                                                               else len(data)))
                    for name, value in r.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if r.trickle:
                        for i in range(0, len(data), 8):
                            self.wfile.write(data[i:i + 8])
                            self.wfile.flush()
                            time.sleep(r.trickle)
                    else:
                        self.wfile.write(data)
                except OSError:  # the client gave up: that is what some tests want
                    pass

            def do_GET(self) -> None:
                self.answer("GET", None)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
                self.answer("POST", body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a client that gave up
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @contextlib.contextmanager
    def running(self) -> Iterator[Server]:
        with running(self.server):
            yield self


def serving(reply: Callable[[str, str, Any, int], Reply] = default_reply):
    """``with serving(reply) as server:`` a running `Server`."""
    return Server(reply).running()
