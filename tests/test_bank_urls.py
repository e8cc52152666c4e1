"""Issue #23, item 5 (the bank's part): YAML numbers such as 5e-3, and images and links in bank
Markdown limited to the course's own files (the site promises no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from quiz_samples import sample, write_bank

from tune_or_prompt.cli import main
from tune_or_prompt.course.quiz import check_paths
from tune_or_prompt.course.quiz.render import foreign_urls, md_block, md_inline


def numeric_bank(folder: Path, tolerance: str) -> Path:
    """The sample numeric question with its tolerance (and answer) written as given."""
    path = write_bank(folder, [sample("numeric")])
    text = path.read_text()
    assert "tolerance: 0.005" in text and "answer: 0.842" in text
    path.write_text(text.replace("tolerance: 0.005", f"tolerance: {tolerance}")
                    .replace("answer: 0.842", "answer: 8.42e-1"))
    return folder


@pytest.mark.parametrize(("written", "value"), [("5e-3", 0.005), ("5E-3", 0.005),
                                                 ("0.005", 0.005), ("+1e-3", 0.001)])
def test_exponent_numbers_are_numbers(tmp_path, written, value):
    """Probe: `tolerance: 5e-3` was refused as "not a number" (PyYAML reads YAML 1.1)."""
    questions, problems = check_paths([numeric_bank(tmp_path / "bank", written)])
    assert problems == [], [str(p) for p in problems]
    assert questions[0].tolerance == pytest.approx(value)
    assert questions[0].answer == pytest.approx(0.842)


def test_a_quoted_exponent_is_still_text(tmp_path):
    _, problems = check_paths([numeric_bank(tmp_path / "bank", '"5e-3"')])
    assert any("tolerance" in str(p) and "must be a number" in str(p) for p in problems)


@pytest.mark.parametrize("markdown", [
    "![chart](https://example.com/chart.png)",
    "![pixel](//tracker.example/p.gif)",
    "![inline](data:image/png;base64,iVBORw0KGgo=)",
    "[read more](https://example.com/post)",
    "<https://example.com>",
    "[mail](mailto:someone@example.com)",
])
def test_quiz_check_refuses_foreign_images_and_links(tmp_path, capsys, markdown):
    """Probe: bank Markdown could load images from any host, though the site promises no
    network. In-process `quiz check`: exit 1, the question and field named."""
    question = sample("single", prompt=f"Look: {markdown}")
    bank = write_bank(tmp_path / "bank", [question])
    code = main(["quiz", "check", str(bank)])
    err = capsys.readouterr().err
    assert code == 1
    assert "two-ways/sample-single" in err and "prompt" in err
    assert "is not one of the course's own files" in err


def test_nested_fields_are_checked_too(tmp_path, capsys):
    question = sample("single")
    question["options"][0]["feedback"] = "See ![x](http://example.com/x.png)"
    code = main(["quiz", "check", str(write_bank(tmp_path / "bank", [question]))])
    err = capsys.readouterr().err
    assert code == 1 and "options[0].feedback" in err


def test_own_files_pass(tmp_path, capsys):
    question = sample("single", prompt="See ![chart](../_static/chart.png), [the lesson]"
                                       "(../lessons/02-prompting.html) and [below](#notes).")
    code = main(["quiz", "check", str(write_bank(tmp_path / "bank", [question]))])
    assert code == 0, capsys.readouterr().err


def test_the_renderer_never_emits_a_foreign_url():
    text = ("![a](https://e.example/a.png) [b](http://e.example) <https://e.example/c> "
            "![d](//e.example/d.png) ![own](img/own.png) [own](page.html)")
    for html in (md_block(text), md_inline(text)):
        assert 'src="https:' not in html and 'href="http' not in html and 'src="//' not in html
        assert 'src="img/own.png"' in html and 'href="page.html"' in html


def test_foreign_urls_lists_kind_and_url():
    assert foreign_urls("![a](https://x.example/a.png) [b](b.html) [c](HTTP://X)") == [
        ("image", "https://x.example/a.png"), ("link", "HTTP://X")]
    assert foreign_urls("plain `![a](https://x)` code") == []


def test_the_course_bank_passes(capsys):
    root = Path(__file__).resolve().parents[1]
    assert main(["quiz", "check", str(root / "quizzes" / "bank")]) == 0, capsys.readouterr().err
