"""Ways for tests to run `tune-or-prompt` without paying a new Python process each time.

- `in_process(*args)`: `cli.main(argv)` in the test's own process, its output captured; models
  it loads stay loaded for the next test (the CLI's end-to-end runs use this).
- `NoModelWorker`: one long-lived process in which importing torch or transformers fails, that
  runs one command line per request. An error it reports cleanly was found before any model
  could load; one process serves every such case instead of one process per case.
- A few tests still start the real console entry point (`python -m tune_or_prompt`), one per
  subcommand, so the installed path is covered too.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "tune_or_prompt"]


def subprocess_cli(*args: str, cwd: str | Path | None = None,
                   timeout: int = 900) -> subprocess.CompletedProcess:
    """The real console entry point in a new process."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd)


def in_process(*args: str, cwd: str | Path | None = None) -> subprocess.CompletedProcess:
    """`cli.main(args)` here, with stdout and stderr captured; the exit code as a process's."""
    from tune_or_prompt.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as stop:  # argparse's usage errors
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None
                                                                     else 1)
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


WORKER = r"""
import contextlib, io, json, os, sys
sys.modules['torch'] = None          # importing torch or transformers fails in this process
sys.modules['transformers'] = None
from tune_or_prompt.cli import main
print("ready", flush=True)
for line in sys.stdin:
    request = json.loads(line)
    out, err = io.StringIO(), io.StringIO()
    os.chdir(request["cwd"])
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(request["args"])
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except BaseException as error:  # reported as a traceback would be: the test fails
            import traceback
            traceback.print_exc()
            code = 1
    print(json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}),
          flush=True)
"""


class NoModelWorker:
    """One process where torch and transformers cannot be imported, running command lines."""

    def __init__(self, timeout: float = 120) -> None:
        self.timeout = timeout
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline() == "ready\n"

    def __call__(self, *args: str, cwd: str | Path | None = None
                 ) -> subprocess.CompletedProcess:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {"args": list(args), "cwd": str(cwd or Path.cwd())}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        if not ready:
            self.proc.kill()
            raise AssertionError(f"tune-or-prompt {' '.join(args)}: no answer in {self.timeout} s")
        line = self.proc.stdout.readline()
        assert line, f"the CLI worker died (exit {self.proc.poll()})"
        reply = json.loads(line)
        return subprocess.CompletedProcess(list(args), reply["code"], reply["stdout"],
                                           reply["stderr"])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
