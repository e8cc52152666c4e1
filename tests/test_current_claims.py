"""Claims that went stale stay out of the pages, except as dated history (issue 26).

A retired phrase may appear only in a sentence that also gives a year (history told as history:
"In 2025 OpenAI's guide took as few as 10 examples"); some may not appear at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([*ROOT.glob("lessons/*.md"), *ROOT.glob("labs/*.md"), *ROOT.glob("book/*.md"),
                *ROOT.glob("quizzes/bank/*.yaml"), *ROOT.glob("study/*.yaml")])
YEAR = re.compile(r"\b20[12]\d\b")

# (what it is, pattern, allowed in a dated sentence?)
RETIRED = [
    ("OpenAI's minimum of 10 examples, in the present tense",
     re.compile(r"accepts (as few as )?10\b|as few as 10 examples", re.I), True),
    ("a format fix 'for free'", re.compile(r"\bfor free(?![-\w])", re.I), False),
    ("cached input at half price as a general rule",
     re.compile(r"cach[^.]{0,80}half[- ]price|half[- ]price[^.]{0,80}cach|"
                r"cach[^.]{0,80}half the input price", re.I), True),
    ("closed frontier models 'you prompt, not tune' (the vendor table says otherwise)",
     re.compile(r"closed vendor is something you prompt, not something you tune", re.I), False),
    ("hosted fine-tuning dated 30 November 2026", re.compile(r"as of 30 November 2026"), False),
    ("OpenAI's wind-down told as a change to come", re.compile(r"availability would change"),
     False),
]


def sentences(text: str) -> list[str]:
    """Sentences of a page, joined across line breaks within a paragraph."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text):
        flat = " ".join(line.strip() for line in paragraph.splitlines())
        out.extend(re.split(r"(?<=[.!?])\s+", flat))
    return out


def offending(text: str) -> list[str]:
    found = []
    for sentence in sentences(text):
        for what, pattern, dated_ok in RETIRED:
            if pattern.search(sentence) and not (dated_ok and YEAR.search(sentence)):
                found.append(f"{what}: {sentence[:160]}")
    return found


def test_the_pages_exist():
    assert len(PAGES) > 20


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_retired_phrase_outside_dated_history(page):
    assert offending(page.read_text(encoding="utf-8")) == []


def test_the_check_catches_what_it_should():
    assert offending("OpenAI accepts as few as 10 examples and reports gains.")
    assert offending("Constrained decoding fixes the format for free.")
    assert offending("The course prices cached input at half price, above 1,024 tokens.")
    assert not offending("In 2025 OpenAI's guide took as few as 10\nexamples.")
    assert not offending("OpenAI introduced caching in October 2024 at half price.")
    assert not offending("Asking for free-form output.")
