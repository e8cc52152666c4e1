"""Shared fixtures: the built site, a local web server, headless Chromium and the loaded
models; the tiers' markers; the Hypothesis profile (tests/properties.py).

Tiers: `make check` runs the tests marked neither `book`, `browser`, `models` nor `slow`;
`make test` runs them all. A test that uses the site, the browser or a model fixture gets the
matching marker here, from its fixtures, so it cannot land in the quick tier by mistake;
tests/test_markers.py checks that every other test module is marked or deliberately unmarked.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import properties  # noqa: F401  (loads the Hypothesis profile)
import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic"]


# A test that asks for one of these fixtures carries the marker beside it.
FIXTURE_MARKERS = {"site": "book", "site_url": "book", "browser_context": "browser",
                   "page": "browser", "llm": "models", "encoder": "models",
                   "local_server": "models"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            if fixture in FIXTURE_MARKERS:
                item.add_marker(FIXTURE_MARKERS[fixture])


@pytest.fixture(scope="session")
def llm():
    """The embedded SmolLM2, loaded once for the whole session (in eval mode; never train it:
    `load_generative(fresh=True)` gives a copy to train)."""
    from tune_or_prompt.ground.models import load_generative

    return load_generative()


@pytest.fixture(scope="session")
def encoder():
    """The embedded MiniLM encoder, loaded once for the whole session."""
    from tune_or_prompt.ground.models import load_encoder

    return load_encoder()


@pytest.fixture(scope="session")
def cli_without_models():
    """`tune-or-prompt ARGS` in one shared process where importing torch or transformers
    fails: an error reported cleanly there was found before any model could load."""
    from cli_runner import NoModelWorker

    worker = NoModelWorker()
    yield worker
    worker.close()


@pytest.fixture(scope="session")
def site() -> Path:
    """Build the whole site once, from a clean _build, with warnings as errors.

    Set TOP_REUSE_BUILD=1 to reuse an existing _build/html while iterating on tests, or
    TOP_SITE_DIR=/path/to/html to test a site built elsewhere.
    """
    if os.environ.get("TOP_SITE_DIR"):  # a site built elsewhere, used as it is (nothing deleted)
        return Path(os.environ["TOP_SITE_DIR"])
    html = BUILD / "html"
    if os.environ.get("TOP_REUSE_BUILD") == "1" and (html / "index.html").exists():
        return html
    shutil.rmtree(BUILD, ignore_errors=True)
    BUILD.mkdir()
    log = BUILD / "build.log"
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(ROOT), "-W", "-n",
           "--keep-going"]
    with open(log, "w") as out:
        # The notebooks first, two at a time, into the build's execution cache (as `make book`).
        subprocess.run([sys.executable, "-m", "tune_or_prompt.book", "execute", str(BUILD)],
                       cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        proc = subprocess.run(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        from tune_or_prompt.book import error_reports

        reports = error_reports(BUILD)
        details = "\n".join(f"--- {name} ---\n{text}" for name, text in reports.items())
        lines = log.read_text(errors="replace").splitlines(keepends=True)
        # myst-nb prints the failing cell's traceback (nb_execution_show_tb) before Sphinx's own.
        first = next((i for i, line in enumerate(lines) if "Traceback" in line
                      or "CellExecutionError" in line or "WARNING" in line), len(lines) - 60)
        tail = "".join(lines[max(first - 5, 0):first + 80] + ["...\n"] + lines[-15:])
        pytest.fail(f"The site build failed (exit {proc.returncode}).\n"
                    f"Notebook tracebacks:\n{details or '(none)'}\n--- end of {log} ---\n{tail}",
                    pytrace=False)
    return html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output readable
        pass


@contextlib.contextmanager
def running(server: http.server.HTTPServer) -> Iterator[http.server.HTTPServer]:
    """Serve requests on a daemon thread for the duration of the block, then close."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 (a free port) for the duration of the block."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with running(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="session")
def site_url(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory) -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright. Under CI a missing browser fails the run."""
    if CHROMIUM is None:
        message = "Chromium is not installed (apt-get install chromium); `make test` installs it."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=BROWSER_ARGS)
        context.top_playwright = pw  # lets a test open a second, fresh browser profile
        yield context
        context.close()


@pytest.fixture
def page(browser_context):
    """A fresh page with empty local storage that records console errors and outside requests."""
    page = browser_context.new_page()
    page.errors = []
    page.outside_requests = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("request", lambda req: None if req.url.startswith(("http://127.0.0.1", "data:",
                                                               "about:", "blob:"))
            else page.outside_requests.append(req.url))
    yield page
    with contextlib.suppress(Exception):
        page.evaluate("window.localStorage.clear()")
    page.close()
