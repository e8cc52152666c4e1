"""Issue #23, item 2: `serve` honest about its process and its port.

The port checks run in-process with real listeners the test opens on 127.0.0.1; the process
group checks use real child processes; the end-to-end signal test runs the real
`transformers serve` (marked ``models``).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from misbehaving_server import Reply, models, serving

from tune_or_prompt.approaches import api
from tune_or_prompt.cli import main


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return not alive(pid)


def test_a_port_held_by_another_server_is_refused_naming_it(capsys):
    """Probe: `serve` on a port another server holds reported that server's address and model
    as its own (and failed after 15 s quoting an unrelated warning)."""
    def reply(method, path, body, count):
        return Reply(body=models("someone-elses-model"))

    with serving(reply) as other:
        port = int(other.base_url.split(":")[2].split("/")[0])
        start = time.monotonic()
        code = main(["serve", "--port", str(port)])
        took = time.monotonic() - start
    out, err = capsys.readouterr()
    assert code == 2 and took < 3 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert f"port {port} on 127.0.0.1 is already in use by an OpenAI-compatible server at " \
           f"http://127.0.0.1:{port}/v1 serving someone-elses-model" in err
    assert "base URL" not in out and "starting" not in out  # nothing was started


def test_a_port_held_by_a_silent_program_is_refused(capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        code = main(["serve", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2 and "a program that does not answer HTTP requests there" in err


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http"])
def test_an_invalid_port_is_refused_at_once(capsys, port):
    """Probe: `serve --port 99999` failed after 15 s quoting an unrelated warning."""
    with pytest.raises(SystemExit) as caught:
        main(["serve", "--port", port])
    err = capsys.readouterr().err
    assert caught.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "argument --port" in err


def test_check_port_accepts_a_free_port_and_zero():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    api.check_port(free)
    api.check_port(0)
    with pytest.raises(api.ApiError, match="0 to 65535"):
        api.check_port(70000)


CHILD = """
import subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(grandchild.pid, flush=True)
time.sleep(60)
"""


def test_stop_ends_the_whole_process_group(tmp_path):
    """What `serve` starts lives in its own process group, which stop() ends whole."""
    process = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True,
                               preexec_fn=api._die_with_parent)  # noqa: PLW1509
    grandchild = int(process.stdout.readline())
    server = api.LocalServer("http://127.0.0.1:1/v1", "m", process, tmp_path / "log")
    assert alive(grandchild) and os.getpgid(grandchild) == process.pid
    server.stop(timeout=5)
    assert process.poll() is not None and wait_gone(grandchild, 5)


PARENT = """
import subprocess, sys, time
from tune_or_prompt.approaches import api
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                         preexec_fn=api._die_with_parent)
print(child.pid, flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_server_dies_with_its_parent_even_on_sigkill():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert alive(child)
    parent.kill()
    parent.wait()
    assert wait_gone(child, 5)


def test_a_failure_quotes_the_error_line_not_the_last_warning(tmp_path):
    log = tmp_path / "serve.log"
    log.write_text("INFO starting\nERROR: [Errno 98] address already in use\n"
                   "UserWarning: something unrelated\n")
    assert api._log_cause(log) == "ERROR: [Errno 98] address already in use"
    log.write_text("just one line\n")
    assert api._log_cause(log) == "just one line"


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(x) for x in text]
    return found


@pytest.mark.models
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_serve_ends_the_transformers_server(sig):
    """Probe: SIGTERM or SIGHUP to `serve` left the `transformers serve` child listening."""
    pytest.importorskip("fastapi", reason="pip install 'transformers[serving]'")
    proc = subprocess.Popen([sys.executable, "-m", "tune_or_prompt", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("base URL:"):
            break
    url = re.search(r"http://127\.0\.0\.1:(\d+)", "".join(lines))
    assert url, "".join(lines)
    port = int(url.group(1))
    kids = children(proc.pid)
    assert kids
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert all(wait_gone(kid, 15) for kid in kids)
    with socket.socket() as sock:  # nothing listens there any more
        assert sock.connect_ex(("127.0.0.1", port)) != 0
