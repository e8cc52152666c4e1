"""The record reader and the atomic writers: any bytes give records or the course's own error
naming file and line; an interrupted write never loses the original file."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from properties import examples

from tune_or_prompt.ground import files
from tune_or_prompt.ground.records import InputError, read_records, write_records

FAST = settings(max_examples=examples(150), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _read_or_error(path):
    try:
        return read_records(path)
    except InputError as error:
        message = str(error)
        assert message.startswith(str(path)), message
        assert "\n" not in message
        return None


@FAST
@given(data=st.binary(max_size=400))
def test_any_bytes_give_records_or_a_named_error_jsonl(tmp_path, data):
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    records = _read_or_error(path)
    if records is not None:
        assert all(isinstance(r["text"], str) and r["text"].strip() for r in records)


@FAST
@given(data=st.binary(max_size=400))
def test_any_bytes_give_records_or_a_named_error_csv(tmp_path, data):
    path = tmp_path / "in.csv"
    path.write_bytes(b"text,label\n" + data)
    _read_or_error(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=10)


@FAST
@given(rows=st.lists(st.dictionaries(st.sampled_from(["text", "label", "x"]), json_values,
                                     max_size=3), max_size=5))
def test_any_json_objects_give_records_or_a_named_error(tmp_path, rows):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    records = _read_or_error(path)
    if records is not None:
        assert records == [r for r in rows]


@FAST
@given(texts=st.lists(st.text(min_size=1, max_size=30).filter(str.strip), min_size=1,
                      max_size=5))
def test_round_trip_jsonl_and_csv(tmp_path, texts):
    rows = [{"text": t, "label": str(i)} for i, t in enumerate(texts)]
    for name in ("out.jsonl", "out.csv"):
        path = tmp_path / name
        try:
            write_records(path, rows)
        except UnicodeEncodeError:  # a lone surrogate: refused before the file is touched
            assert not path.exists()
            continue
        if name.endswith(".csv") and any("\r" in t or "\x00" in t for t in texts):
            continue  # csv normalises carriage returns; NUL is refused by the csv module
        assert read_records(path) == rows


@pytest.mark.parametrize(("content", "message"), [
    (b'{"text": "ok"}\n\xff\xfe\n', "line 2: not valid UTF-8"),
    (b'{"text": "a \\ud800 b"}\n', "line 1: field 'text' holds text that is not valid Unicode"),
    (b'{"text": "ok", "note": "\\udfff"}\n', "line 1: field 'note' holds text"),
    (b"[" * 50000 + b"\n", "line 1: nested too deeply"),
    (b'{"text": "ok", "x": NaN}\n', "line 1: not valid JSON (NaN is not a JSON number)"),
    (b'{"text": ""}\n', "line 1: field 'text' must be non-empty text"),
    (b'{"text": ["a"]}\n', "line 1: field 'text' must be non-empty text"),
    (b'{"body": "x"}\n', "line 1: no 'text' field"),
    (b"\n\n", "no records"),
])
def test_bad_jsonl_is_named(tmp_path, content, message):
    path = tmp_path / "in.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_records(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


@pytest.mark.parametrize(("content", "message"), [
    ('text,label\n"broken,positive\n', "line 2: not valid CSV"),
    ("text,label\nfine,positive\nnot,enough,columns\n", "line 3: 3 columns, but the header has 2"),
    ("text,text\na,b\n", "line 1: the header needs distinct"),
    ("label\npositive\n", "line 2: no 'text' field"),
    ("", "no header line"),
])
def test_bad_csv_is_named(tmp_path, content, message):
    path = tmp_path / "in.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_records(path)


def test_csv_reads_quoted_fields_and_names_lines(tmp_path):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["text", "label"], ['He said "fine",\nthen left', "negative"],
                                  ["Lovely", "positive"]])
    path = tmp_path / "in.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    records = read_records(path)
    assert records[0]["text"] == 'He said "fine",\nthen left'
    assert records.where(1) == f"{path} line 4"  # the first record spans lines 2 and 3


def test_a_record_that_cannot_be_written_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"text": "precious"}\n', encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_records(path, [{"text": "fine"}, {"text": "bad \ud800"}])
    assert path.read_text(encoding="utf-8") == '{"text": "precious"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temporary left


def test_output_equal_to_input_is_safe(tmp_path):
    path = tmp_path / "data.jsonl"
    write_records(path, [{"text": f"row {i}"} for i in range(3)])
    records = read_records(path)
    for r in records:
        r["prediction"] = "x"
    write_records(path, records)
    assert [r["prediction"] for r in read_records(path)] == ["x"] * 3


WRITER = """
import sys
from tune_or_prompt.ground import files
print("ready", flush=True)
while True:
    files.write_bytes(sys.argv[1], sys.argv[2].encode() * 2_000_000)
"""


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(delay=st.floats(min_value=0.0, max_value=0.4))
def test_writes_killed_at_random_points_never_leave_a_partial_file(tmp_path, delay):
    """A real process rewrites a 2 MB file in a loop and is killed at a random moment: the
    file is always one whole version, never a mixture or a truncated copy."""
    path = tmp_path / "kept.txt"
    path.write_bytes(b"A" * 2_000_000)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "B"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    content = path.read_bytes()
    assert content in (b"A" * 2_000_000, b"B" * 2_000_000)


def test_atomic_dir_replaces_only_when_complete(tmp_path):
    folder = tmp_path / "model"
    with files.atomic_dir(folder) as staging:
        (staging / "weights").write_text("v1")
    with pytest.raises(RuntimeError), files.atomic_dir(folder) as staging:
        (staging / "weights").write_text("half")
        raise RuntimeError("killed mid-save")
    assert (folder / "weights").read_text() == "v1"
    with files.atomic_dir(folder) as staging:
        (staging / "weights").write_text("v2")
    assert (folder / "weights").read_text() == "v2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_check_writable_names_the_problem(tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(files.OutputError, match="does not exist"):
        files.check_writable(tmp_path / "missing" / "out.jsonl")
    with pytest.raises(files.OutputError, match="is a folder"):
        files.check_writable(tmp_path)
    with pytest.raises(files.OutputError, match="exists and is not a folder"):
        files.check_writable(a_file, "--save", folder=True)
    with pytest.raises(files.OutputError, match="is not a folder"):
        files.check_writable(a_file / "sub", "--out", folder=True)
    assert files.check_writable(tmp_path / "new" / "deeper", "--out", folder=True)
    assert not (tmp_path / "new").exists()  # checking creates nothing
