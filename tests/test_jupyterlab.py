"""The .ipynb twins in a real JupyterLab, driven in headless Chromium: what a learner sees.

A lesson's exercise solutions stay collapsed until clicked (prose in <details>, code in a cell
whose input is hidden). Set TOP_SCREENSHOTS=DIR to keep screenshots of what the test looked at.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM, ROOT

pytestmark = pytest.mark.browser
LESSON = "lessons/04-measuring.ipynb"
NOTEBOOKS = (LESSON,)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 serving copies of the twins, with fresh settings: every cell
    rendered (no lazy windowing, so the page reads top to bottom), no autosave, no news."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed; `make test` installs it.")
    settings = tmp_path_factory.mktemp("lab-settings")
    for plugin, values in (("notebook-extension/tracker", {"windowingMode": "none"}),
                           ("docmanager-extension/plugin", {"autosave": False}),
                           ("apputils-extension/notification", {"fetchNews": "false"})):
        file = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(values))
    # The learner's copy: the twins alone in a folder of their own, as a download would be.
    work = tmp_path_factory.mktemp("lab-root")
    for twin in NOTEBOOKS:
        (work / twin).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / twin, work / twin)
    port = _free_port()
    log = (tmp_path_factory.mktemp("lab-log") / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
         f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
         "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={work}",
         f"--LabApp.user_settings_dir={settings}",
         f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('lab-workspaces')}"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "JUPYTER_NO_CONFIG": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start; see its log", pytrace=False)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def lab_page(jupyterlab, browser_context) -> Iterator[object]:
    """A page in the session's Chromium (one Playwright per test session)."""
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1280, "height": 1000})
    yield page
    page.close()


def _open(page, url: str, notebook: str) -> None:
    page.goto(f"{url}/lab/tree/{notebook}?reset")  # a fresh workspace: only this notebook
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator, .jp-KernelStatus", timeout=60_000)


def _shot(page, name: str) -> None:
    if folder := os.environ.get("TOP_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def test_a_lesson_reads_as_a_notebook_with_solutions_hidden_until_clicked(jupyterlab, lab_page):
    page = lab_page
    _open(page, jupyterlab, LESSON)
    notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    notebook.locator("h2", has_text="Exercises").wait_for(timeout=30_000)  # rendered
    # No MyST shows: roles are links, admonitions are quotes, exercises have numbered headings.
    text = notebook.inner_text()
    for raw in ("{term}", "{glue:text}", "{doc}", "```{", ":label:", ":class: dropdown"):
        assert raw not in text
    assert notebook.locator("blockquote strong", has_text="Learning objectives").count() == 1
    assert notebook.locator("h3", has_text="Exercise 1").count() == 1
    glossary = notebook.locator("a[href*='/book/glossary.html#term-']")
    assert glossary.count() > 5

    solution = notebook.locator("details", has=page.locator("summary",
                                                           has_text="Solution to Exercise 1"))
    summary = solution.locator("summary")
    summary.scroll_into_view_if_needed()
    answer = solution.locator("li", has_text="TP = 39")
    assert answer.count() == 1
    assert not answer.is_visible()
    # The solution's code cell starts with its input collapsed: its code is not on screen.
    code_cell = notebook.locator(".jp-CodeCell", has_text="Solution to Exercise 1").first
    assert code_cell.locator(".jp-InputPlaceholder").is_visible()
    assert not code_cell.locator(".jp-InputArea-editor").is_visible()
    _shot(page, "jupyterlab-lesson-solution-closed")
    summary.click()
    assert answer.is_visible()
    code_cell.locator(".jp-InputPlaceholder").click()
    assert code_cell.locator(".jp-InputArea-editor").is_visible()
    assert "from_matrix" in code_cell.inner_text()
    _shot(page, "jupyterlab-lesson-solution-open")
