"""Nothing is copied from the seed documents: no run of 10 or more words matches a seed text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
RUN = 10


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def runs(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i:i + RUN]) for i in range(len(w) - RUN + 1)}


def course_texts() -> list[Path]:
    folders = ["book", "lessons", "labs", "quizzes"]
    return sorted(p for f in folders for p in (ROOT / f).rglob("*")
                  if p.suffix in (".md", ".yaml") and p.is_file())


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents (../shared/seeds) are not here")
def test_no_ten_word_run_from_a_seed():
    seed_runs = set()
    for seed in SEEDS.iterdir():
        seed_runs |= runs(seed.read_text(errors="replace"))
    assert seed_runs
    copied = {}
    for path in course_texts():
        found = runs(path.read_text()) & seed_runs
        if found:
            copied[str(path.relative_to(ROOT))] = [" ".join(r) for r in sorted(found)[:3]]
    assert not copied, f"text copied from the seeds: {copied}"


def test_run_detector_can_fail():
    sentence = "one two three four five six seven eight nine ten eleven"
    assert runs(sentence) & runs("x " + sentence)
