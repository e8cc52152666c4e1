"""Issue #23, item 4: data checked for what skews results, before any model loads.

In-process (`cli.main(argv)`, with torch and transformers made unimportable so a check that
comes too late fails at once), the API path against a real local server where a run is needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from misbehaving_server import Reply, completion, models, serving

from tune_or_prompt.cli import main
from tune_or_prompt.ground.data import from_file
from tune_or_prompt.ground.records import InputError, read_records


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNE_OR_PROMPT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-data")


@pytest.fixture
def no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing torch or transformers fails: a refusal seen here came before any model."""
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "transformers", None)


def csv_file(path: Path, rows: list[tuple[str, str]], header: str = "text,label") -> Path:
    path.write_text(header + "\n" + "".join(f"{t},{label}\n" for t, label in rows),
                    encoding="utf-8")
    return path


def two_labels(path: Path, a: str = "0", b: str = "1", n: int = 6) -> Path:
    return csv_file(path, [(f"good text {i}", a) for i in range(n)]
                    + [(f"bad text {i}", b) for i in range(n)])


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, *argv: str) -> str:
    code, _, err = run(capsys, *argv)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


# --- labels ------------------------------------------------------------------------------------


def test_numeric_labels_in_input_are_accepted(tmp_path, capsys):
    """Probe: numeric labels in --input refused as '0 is not one of the labels (0, 1)'."""
    data = two_labels(tmp_path / "nums.csv")
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"text": "good text", "label": 0}\n{"text": "bad text", "label": 1.0}\n')

    def reply(method, path, body, count):
        return Reply(body=models() if method == "GET" else completion('{"label": "0"}'))

    with serving(reply) as server:
        code, out, err = run(capsys, "prompt", "--data", str(data), "--base-url",
                             server.base_url, "--model", "fake-model", "--shots", "0",
                             "--input", str(inp))
    assert code == 2 and "1.0 is not one" in err and "write it '1'" in err  # 1.0: another text
    inp.write_text('{"text": "good text", "label": 0}\n{"text": "bad text", "label": 1}\n')
    with serving(reply) as server:
        code, out, err = run(capsys, "prompt", "--data", str(data), "--base-url",
                             server.base_url, "--model", "fake-model", "--shots", "0",
                             "--input", str(inp))
    assert code == 0, err
    assert "nums: accuracy 0.500" in out and "compared as text" in out


@pytest.mark.parametrize(("first", "second"), [("1", "1.0"), ("true", "True"), ("Yes", "yes")])
def test_two_spellings_of_one_label_are_refused_naming_both(tmp_path, capsys, no_models, first, second):
    """Probe: `1` and `1.0`, or `true`/`True`, became separate classes."""
    rows = ([(f"good {i}", first) for i in range(3)] + [(f"fine {i}", second) for i in range(3)]
            + [(f"bad {i}", "other") for i in range(6)])
    data = csv_file(tmp_path / "d.csv", rows)
    err = refused(capsys, "prompt", "--data", str(data))
    assert f"labels {first!r} (line 2) and {second!r} (line 5) are two spellings" in err


SPELLINGS = {
    "number": lambda n: st.sampled_from([str(n), f"{n}.0", f"0{n}", f"{n}e0", f" {n} "]),
    "bool": lambda n: st.sampled_from(["true", "True", "TRUE", " true"]),
    "word": lambda n: st.sampled_from(["spam", "Spam", "SPAM", "spam "]),
}


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(SPELLINGS)), n=st.integers(1, 9), data=st.data())
def test_label_spellings_are_one_label_or_refused(tmp_path_factory, kind, n, data):
    """Hypothesis over label spellings: every spelling of one label, as the file holds it,
    either gives exactly one label (all spellings the same text once spaces are dropped) or is
    refused naming two of them."""
    spellings = [data.draw(SPELLINGS[kind](n)) for _ in range(6)]
    rows = [(f"text {i}", s) for i, s in enumerate(spellings)]
    rows += [(f"other {i}", "zzz") for i in range(6)]
    path = csv_file(tmp_path_factory.mktemp("labels") / "d.csv", rows)
    texts = {s.strip() for s in spellings}
    try:
        found = from_file(path, warn=lambda m: None)
    except InputError as error:
        assert len(texts) > 1, error
        message = str(error)
        assert "two spellings of one label" in message
        assert sum(repr(t) in message for t in texts) == 2
    else:
        assert len(texts) == 1
        from tune_or_prompt.ground.registry import target

        assert set(target(found.name).labels) == texts | {"zzz"}


# --- readers -----------------------------------------------------------------------------------


def test_csv_and_json_lines_take_the_same_long_field(tmp_path):
    """Probe: CSV fields over 128 KiB were refused as 'not valid CSV'; JSON Lines took 1 MB."""
    long = "word " * 200_000  # 1 MB
    (tmp_path / "a.csv").write_text(f'text,label\n"{long}",x\n', encoding="utf-8")
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": long, "label": "x"}) + "\n")
    assert read_records(tmp_path / "a.csv")[0]["text"] == read_records(
        tmp_path / "a.jsonl")[0]["text"] == long


def test_an_unclosed_quote_is_named_where_it_opens(tmp_path):
    """Probe: an unclosed quote was reported 33 lines late."""
    lines = ["text,label"] + [f"row {i},a" for i in range(2, 6)] + ['"opens here,b']
    lines += [f"row {i},a" for i in range(7, 40)]
    path = tmp_path / "q.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        read_records(path)
    assert str(caught.value) == (f"{path} line 6: not valid CSV (a quoted field starts on this "
                                 "line and is never closed)")


def test_a_multiline_record_is_named_by_its_first_line(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text('text,n\n"two\nlines",1\n" \n\n ",2\n')  # the second starts at line 4
    with pytest.raises(InputError, match=r"line 4: field 'text' must be non-empty"):
        read_records(path)


@pytest.mark.parametrize(("sep", "name"), [("\t", "tabs"), (";", "semicolons")])
def test_other_delimiters_get_a_hint(tmp_path, sep, name):
    """Probe: tab- or semicolon-separated files got "no 'text' field" with no hint."""
    path = tmp_path / "t.csv"
    path.write_text(f"text{sep}label\nhello{sep}x\n")
    with pytest.raises(InputError) as caught:
        read_records(path)
    assert f"line 1: no 'text' column in the header; the header looks separated by {name}" in str(
        caught.value)


# --- splits ------------------------------------------------------------------------------------


def test_text_and_label_in_one_column_are_refused(tmp_path, capsys, no_models):
    """Probe: a split whose text and label are the same column was accepted and failed later."""
    data = two_labels(tmp_path / "d.csv")
    err = refused(capsys, "prompt", "--data", str(data), "--text-field", "label",
                  "--label-field", "label")
    assert "the text field and the label field are both 'label'" in err


def test_labels_need_distinct_texts(tmp_path, capsys, no_models):
    rows = [("same text", "a")] * 6 + [(f"bad {i}", "b") for i in range(6)]
    err = refused(capsys, "prompt", "--data", str(csv_file(tmp_path / "d.csv", rows)))
    assert "label 'a' has 6 example(s)" in err and "only 1 of them distinct" in err


def test_a_text_under_two_labels_and_a_label_missing_from_a_split_are_warned(tmp_path, capsys, no_models):
    """Probe: the same text under two labels, or a label only in training, passed silently."""
    rows = []
    for label in ("a", "b"):
        for i in range(4):
            rows.append((f"{label} text {i}", label, ["train", "validation", "test", "train"][i]))
    rows.append(("shared text", "a", "train"))
    rows.append(("shared text", "b", "train"))
    rows += [(f"c text {i}", "c", "train") for i in range(4)]  # c: only in training
    path = tmp_path / "s.csv"
    path.write_text("text,label,split\n" + "".join(f"{t},{lab},{s}\n" for t, lab, s in rows))
    code, out, err = run(capsys, "prompt", "--data", str(path), "--shots", "100000")
    assert code == 2  # stopped at --shots, after the data checks and their warnings
    assert "warning: " in err and "1 text(s) carry two labels: line 11 ('b') and line 10 ('a')" \
        in err
    assert "label 'c' has no rows in the validation and test split(s)" in err


# --- options -----------------------------------------------------------------------------------


def test_limit_works_with_input(tmp_path, capsys):
    """Probe: --limit was ignored with --input."""
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"text": f"review {i}"}) + "\n" for i in range(5)))
    out = tmp_path / "out.jsonl"

    def reply(method, path, body, count):
        return Reply(body=models() if method == "GET" else completion())

    with serving(reply) as server:
        code, stdout, err = run(capsys, "prompt", "--task", "reviews", "--base-url",
                                server.base_url, "--model", "fake-model", "--shots", "0",
                                "--input", str(inp), "--limit", "2", "--output", str(out))
    assert code == 0, err
    assert len(out.read_text().splitlines()) == 2 and len(server.posts) == 2
    assert "--limit 2: using the first 2 of 5 records" in stdout


@pytest.mark.parametrize("extra", [[], ["--style", "chat"], ["--strategy", "similar"]])
def test_a_bad_shots_is_refused_before_any_model(tmp_path, capsys, no_models, extra):
    """Probe: a bad --shots was checked only after a 30 s model conversion on a fresh cache.
    Importing torch or transformers fails in this test: the refusal came first."""
    data = two_labels(tmp_path / "d.csv")
    err = refused(capsys, "prompt", "--data", str(data), "--shots", "500", *extra)
    assert "--shots 500: must be between 0 and" in err
