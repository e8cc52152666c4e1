"""Issue #23, item 1: outputs that cannot destroy what the learner owns.

In-process (`cli.main(argv)`), with devices replaced by the test's own FIFOs and symlinks in
tmp folders (never the real /dev/null or /dev/stdout), and the API path against a real local
HTTP server (tests/misbehaving_server.py), so no model is needed.
"""

from __future__ import annotations

import csv
import json
import os
import string
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from misbehaving_server import Reply, completion, default_reply, models, serving

from tune_or_prompt.cli import main
from tune_or_prompt.ground import files
from tune_or_prompt.ground.records import write_records

pytest.importorskip("openai", reason="pip install openai (a course requirement)")


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never the user's cache: answers go to this test's folder. And no model: importing torch
    or transformers fails here, so a check that comes too late fails fast (ImportError)."""
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "transformers", None)
    cache = tmp_path / "cache"
    monkeypatch.setenv("TUNE_OR_PROMPT_CACHE", str(cache))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-outputs")
    return cache


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def labelled_csv(path: Path, n: int = 6) -> Path:
    """A small labelled CSV: n distinct texts per label."""
    rows = [f"great thing number {i},positive" for i in range(n)]
    rows += [f"awful thing number {i},negative" for i in range(n)]
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --- devices, FIFOs, symlinks ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "link-to-fifo", "folder", "dangling-link"])
def test_an_output_that_is_no_regular_file_is_refused_and_kept(tmp_path, capsys, kind):
    """Probe: --output /dev/null (or /dev/stdout, a symlink) replaced it with a regular file."""
    data = jsonl(tmp_path / "in.jsonl", [{"text": "Lovely kettle."}])
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    target = {"fifo": fifo, "folder": tmp_path / "folder"}.get(kind, tmp_path / "link")
    if kind == "link-to-fifo":
        target.symlink_to(fifo)
    elif kind == "dangling-link":
        target.symlink_to(tmp_path / "nowhere")
    elif kind == "folder":
        target.mkdir()
    code, _, err = run(capsys, "finetune", "--task", "reviews", "--input", str(data),
                       "--output", str(target))
    assert code == 2
    line = one_error(err)
    assert f"--output {target}: is " in line
    assert {"fifo": "a FIFO", "link-to-fifo": "a symlink to a FIFO", "folder": "a folder",
            "dangling-link": "does not exist"}[kind] in line
    assert fifo.is_fifo() and (kind != "link-to-fifo" or target.is_symlink())
    assert not (kind == "dangling-link" and (tmp_path / "nowhere").exists())


def test_a_symlink_to_an_open_file_descriptor_is_refused(tmp_path):
    """Like /dev/stdout, but the test's own: a symlink to /proc/self/fd/N of a file this test
    holds open. Writing through would replace the file under the process writing to it."""
    log = tmp_path / "log.txt"
    with open(log, "w") as handle:
        handle.write("the shell's log\n")
        handle.flush()
        for name, target in (("out.jsonl", f"/proc/self/fd/{handle.fileno()}"),
                             ("via-dir.jsonl", None)):
            link = tmp_path / name
            if target is None:  # a link to a folder link, as /dev/fd/1 is
                (tmp_path / "fd").symlink_to("/proc/self/fd")
                link = tmp_path / "fd" / str(handle.fileno())
            else:
                link.symlink_to(target)
            with pytest.raises(files.OutputError, match="a process's open file"):
                files.check_output(link)
            with pytest.raises(files.OutputError, match="a process's open file"):
                write_records(link, [{"text": "x"}])
    assert log.read_text() == "the shell's log\n"


def test_a_symlink_to_a_regular_file_is_written_through(tmp_path, capsys):
    data = jsonl(tmp_path / "in.jsonl", [{"text": "Lovely kettle.", "n": 1}])
    real = tmp_path / "real.jsonl"
    real.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    with serving() as server:
        code, out, err = run(capsys, "prompt", "--task", "reviews", "--base-url",
                             server.base_url, "--model", "fake-model", "--shots", "0",
                             "--input", str(data), "--output", str(link))
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real.resolve()  # still a link ...
    assert json.loads(real.read_text())["prediction"] == "positive"  # ... to the new file


@pytest.mark.parametrize("how", ["same", "hardlink", "symlink", "dotted"])
def test_an_output_equal_to_an_input_is_refused(tmp_path, capsys, how):
    """Probe: --output equal to --data cut a 36-row labelled CSV to its 6 test rows."""
    data = labelled_csv(tmp_path / "mine.csv")
    before = data.read_bytes()
    out = {"same": data, "dotted": tmp_path / "." / "mine.csv"}.get(how, tmp_path / "alias.csv")
    if how == "hardlink":
        os.link(data, out)
    elif how == "symlink":
        out.symlink_to(data)
    code, _, err = run(capsys, "prompt", "--data", str(data), "--output", str(out))
    assert code == 2
    assert "is the same file as --data" in one_error(err)
    assert data.read_bytes() == before


def test_output_equal_to_input_or_labels_is_refused(tmp_path, capsys):
    data = labelled_csv(tmp_path / "mine.csv")
    rules = tmp_path / "rules.yaml"
    rules.write_text("positive: good\nnegative: bad\n")
    inp = jsonl(tmp_path / "in.jsonl", [{"text": "hello"}])
    for option, path in (("--input", inp), ("--labels", rules)):
        before = path.read_bytes()
        code, _, err = run(capsys, "finetune", "--data", str(data), "--labels", str(rules),
                           "--input", str(inp), "--output", str(path))
        assert code == 2 and f"is the same file as {option}" in one_error(err)
        assert path.read_bytes() == before


# --- --save --------------------------------------------------------------------------------------


def test_save_never_replaces_a_folder_it_did_not_make(tmp_path, capsys, monkeypatch):
    """Probe: `finetune --save .` with data notes.csv deleted an unrelated ./notes/ folder."""
    monkeypatch.chdir(tmp_path)
    labelled_csv(tmp_path / "notes.csv")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "diary.txt").write_text("mine")
    code, _, err = run(capsys, "finetune", "--data", "notes.csv", "--save", ".")
    assert code == 2
    line = one_error(err)
    assert "notes exists and was not made by tune-or-prompt" in line
    assert (notes / "diary.txt").read_text() == "mine"


def test_atomic_dir_replaces_only_what_it_marked(tmp_path):
    folder = tmp_path / "model"
    with files.atomic_dir(folder, owned=True) as staging:
        (staging / "weights").write_text("1")
    assert (folder / files.OWNED_MARK).is_file()
    with files.atomic_dir(folder, owned=True) as staging:  # its own: replaced
        (staging / "weights").write_text("2")
    assert (folder / "weights").read_text() == "2"
    (folder / files.OWNED_MARK).unlink()
    with pytest.raises(files.OutputError, match="not made by tune-or-prompt"), \
            files.atomic_dir(folder, owned=True) as staging:
        (staging / "weights").write_text("3")
    assert (folder / "weights").read_text() == "2"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no staging folder left


# --- runs that answer nothing, or part -----------------------------------------------------------


def failing(method: str, path: str, body, count: int) -> Reply:
    if method == "GET":
        return Reply(body=models())
    return Reply(status=500, body={"error": {"message": "outage"}})


def test_a_run_that_answered_nothing_leaves_the_output_untouched(tmp_path, capsys):
    """Probe: a run that answered 0 rows overwrote good predictions with nulls."""
    data = jsonl(tmp_path / "in.jsonl", [{"text": f"review {i}"} for i in range(4)])
    out = tmp_path / "out.jsonl"
    out.write_text('{"text": "review 0", "prediction": "positive"}\n')
    before = out.read_bytes()
    with serving(failing) as server:
        code, _, err = run(capsys, "prompt", "--task", "reviews", "--base-url", server.base_url,
                           "--model", "fake-model", "--shots", "0", "--timeout", "0.3",
                           "--concurrency", "1", "--input", str(data), "--output", str(out))
    assert code == 2
    line = one_error(err)
    assert "nothing was answered" in line and f"{out} was left as it was" in line
    assert out.read_bytes() == before
    assert not (tmp_path / "out.partial.jsonl").exists()


def test_a_partial_run_writes_a_partial_file_unless_told_otherwise(tmp_path, capsys):
    def reply(method: str, path: str, body, count: int) -> Reply:
        if method == "GET":
            return Reply(body=models())
        return Reply(body=completion()) if count <= 2 else Reply(status=401, body={})

    data = jsonl(tmp_path / "in.jsonl", [{"text": f"review {i}", "n": i} for i in range(5)])
    out = tmp_path / "out.jsonl"
    out.write_text("earlier good predictions\n")
    args = ["prompt", "--task", "reviews", "--model", "fake-model", "--shots", "0",
            "--concurrency", "1", "--input", str(data), "--output", str(out)]
    with serving(reply) as server:
        code, _, err = run(capsys, *args, "--base-url", server.base_url)
    assert code == 2 and "2 answered row(s) are in" in one_error(err)
    assert out.read_text() == "earlier good predictions\n"
    partial = [json.loads(x) for x in (tmp_path / "out.partial.jsonl").read_text().splitlines()]
    assert [r["prediction"] for r in partial] == ["positive", "positive", None, None, None]
    with serving(reply) as server:  # told otherwise: the output itself
        code, _, err = run(capsys, *args, "--base-url", server.base_url, "--partial-to-output")
    assert code == 2 and [json.loads(x)["n"] for x in out.read_text().splitlines()] == [
        0, 1, 2, 3, 4]


# --- columns and CSV -----------------------------------------------------------------------------


def test_an_input_prediction_column_is_never_overwritten(tmp_path, capsys):
    """Probe: a 'prediction' column already in the input was overwritten silently."""
    data = jsonl(tmp_path / "in.jsonl", [
        {"text": "Lovely kettle.", "prediction": "mine", "prediction_2": "also mine"}])
    out = tmp_path / "out.jsonl"
    with serving() as server:
        code, stdout, err = run(capsys, "prompt", "--task", "reviews", "--base-url",
                                server.base_url, "--model", "fake-model", "--shots", "0",
                                "--input", str(data), "--output", str(out))
    assert code == 0, err
    record = json.loads(out.read_text())
    assert record["prediction"] == "mine" and record["prediction_2"] == "also mine"
    assert record["prediction_3"] == "positive"
    assert "predictions go to 'prediction_3'" in stdout


def test_nested_values_become_json_text_in_csv(tmp_path, capsys):
    """Probe: JSON Lines nested values became Python repr in CSV output (True, {'src': ...})."""
    data = jsonl(tmp_path / "in.jsonl", [
        {"text": "Lovely kettle.", "meta": {"src": "shop", "ids": [1, 2]}, "flag": True,
         "none": None, "n": 1.5}])
    out = tmp_path / "out.csv"
    with serving() as server:
        code, _, err = run(capsys, "prompt", "--task", "reviews", "--base-url", server.base_url,
                           "--model", "fake-model", "--shots", "0", "--input", str(data),
                           "--output", str(out))
    assert code == 0, err
    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert json.loads(row["meta"]) == {"src": "shop", "ids": [1, 2]}
    assert row["flag"] == "true" and row["none"] == "" and row["n"] == "1.5"


# --- Hypothesis over output paths ----------------------------------------------------------------

KINDS = ["new", "regular", "link-to-regular", "fifo", "link-to-fifo", "folder", "link-to-folder",
         "dangling", "the-input", "hardlink-to-input", "link-to-input"]
NAMES = st.text(string.ascii_letters + string.digits + " ._-é", min_size=1, max_size=20).filter(
    lambda n: n not in (".", "..") and not n.startswith("."))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), name=NAMES, suffix=st.sampled_from([".jsonl", ".csv", ""]))
def test_any_output_path_is_written_as_a_regular_file_or_refused(tmp_path_factory, kind, name,
                                                                  suffix):
    """Whatever the path names, check_output + write_records either write a regular file
    (through a symlink to one) or refuse, and nothing else on disk changes."""
    root = tmp_path_factory.mktemp("out")
    source = root / "input.jsonl"
    source.write_text('{"text": "x"}\n')
    other = root / "other.txt"
    other.write_text("keep")
    fifo = root / "fifo"
    os.mkfifo(fifo)
    (root / "dir").mkdir()
    path = root / f"{name}{suffix}"
    if path.exists() or path.is_symlink():
        return
    links = {"link-to-regular": other, "link-to-fifo": fifo, "link-to-folder": root / "dir",
             "dangling": root / "nowhere", "link-to-input": source}
    if kind == "regular":
        path.write_text("old")
    elif kind in links:
        path.symlink_to(links[kind])
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "the-input":
        path = source
    elif kind == "hardlink-to-input":
        os.link(source, path)
    refused = kind in ("fifo", "link-to-fifo", "folder", "link-to-folder", "dangling",
                       "the-input", "hardlink-to-input", "link-to-input")
    try:
        files.check_output(path, "--output", [("--input", source)])
        write_records(path, [{"text": "y", "prediction": "z"}])
    except files.OutputError as error:
        assert refused, error
        assert "\n" not in str(error) and str(path) in str(error)
    else:
        assert not refused
        written = path.resolve()
        assert written.is_file() and "prediction" in written.read_text()
        assert path.is_symlink() == (kind == "link-to-regular")
    assert source.read_text() == '{"text": "x"}\n'
    assert fifo.is_fifo() and (root / "dir").is_dir() and not (root / "nowhere").exists()
    assert kind == "link-to-regular" or other.read_text() == "keep"
    assert not [p for p in root.iterdir() if p.name.startswith(f".{path.name}.")]


def test_write_records_itself_refuses_a_fifo(tmp_path):
    """The last line of defence: even without check_output, no FIFO is replaced."""
    fifo = tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(files.OutputError, match="FIFO"):
        write_records(fifo, [{"text": "a"}])
    assert fifo.is_fifo()


def test_default_reply_is_a_valid_completion():
    assert default_reply("POST", "/v1/chat/completions", {}, 1).body["choices"]
