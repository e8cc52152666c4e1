"""The bundled datasets: counts, taxonomy, splits, variety, no near duplicates, no leakage."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from importlib import resources

import pytest

from tune_or_prompt.ground.data import (
    INTENTS,
    SPLITS,
    DataError,
    _check_row,
    as_dataset,
    as_frame,
    balanced_sample,
    label_of,
    load,
)
from tune_or_prompt.ground.registry import bundled, dataset, target


def tokens(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9£$€']+", text.lower()))


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


@pytest.fixture(scope="module")
def tickets():
    return load("tickets")


@pytest.fixture(scope="module")
def reviews():
    return load("reviews")


def test_ticket_counts_and_taxonomy(tickets):
    assert len(tickets) >= 800
    counts = Counter(t["intent"] for t in tickets)
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 100, counts
    share = sum(t["urgent"] for t in tickets) / len(tickets)
    assert 0.10 <= share <= 0.20, f"urgent share {share:.3f} is not about one in seven"
    assert len({t["id"] for t in tickets}) == len(tickets)


def test_review_counts_balance_and_hard_cases(reviews):
    assert len(reviews) >= 400
    labels = Counter(r["label"] for r in reviews)
    assert labels["positive"] == labels["negative"]
    hard = Counter(r["hard"] for r in reviews if r["hard"])
    assert set(hard) == {"negation", "sarcasm", "faint_praise", "mixed"}
    assert sum(hard.values()) >= 0.2 * len(reviews)


@pytest.mark.parametrize("name", bundled())  # every bundled dataset, from the registry
def test_splits_are_stratified(name):
    rows = load(name)
    key = target(dataset(name).main).field
    for split in SPLITS:
        part = load(name, split)
        assert part and all(r["split"] == split for r in part)
        overall = Counter(r[key] for r in rows)
        share = Counter(r[key] for r in part)
        for label, n in overall.items():
            assert abs(share[label] / len(part) - n / len(rows)) < 0.03, (split, label)


@pytest.mark.parametrize("name", bundled())  # every bundled dataset, from the registry
def test_no_near_duplicates_anywhere(name):
    """Token Jaccard below 0.6 for every pair: within and across splits (no leakage)."""
    rows = load(name)
    sets = [tokens(r["text"]) for r in rows]
    worst = max(((jaccard(a, b), i, j) for (i, a), (j, b)
                 in itertools.combinations(enumerate(sets), 2)), default=(0, 0, 0))
    assert worst[0] < 0.6, (worst, rows[worst[1]]["text"], rows[worst[2]]["text"])
    assert len({r["text"].strip().lower() for r in rows}) == len(rows)


@pytest.mark.parametrize("name", bundled())  # every bundled dataset, from the registry
def test_no_template_dominates(name):
    rows = load(name)
    openings = Counter(" ".join(r["text"].lower().split()[:3]) for r in rows)
    top, count = openings.most_common(1)[0]
    assert count / len(rows) < 0.03, f"{count} texts open with {top!r}"
    endings = Counter(" ".join(r["text"].lower().split()[-3:]) for r in rows)
    assert endings.most_common(1)[0][1] / len(rows) < 0.03
    lengths = sorted(len(r["text"].split()) for r in rows)
    assert lengths[0] <= 4 and lengths[-1] >= 60, "lengths should run from a few words to a paragraph"


def test_data_card_tables_match_the_data(tickets):
    card = resources.files("tune_or_prompt.ground.data").joinpath("tickets.md").read_text()
    for intent in INTENTS:
        n = sum(t["intent"] == intent for t in tickets)
        urgent = sum(t["intent"] == intent and t["urgent"] for t in tickets)
        assert re.search(rf"\| `{intent}` \|[^\n]*\| {n} \| {urgent} \|", card), intent
    for split in SPLITS:
        part = [t for t in tickets if t["split"] == split]
        assert f"| {split} | {len(part)} | {sum(t['urgent'] for t in part)} |" in card


def test_loaders_and_helpers(tickets):
    frame = as_frame(load("reviews", "test"))
    assert list(frame.columns) == ["id", "text", "label", "hard", "split"]
    dataset = as_dataset(load("tickets", "validation"))
    assert dataset.num_rows == len(load("tickets", "validation"))
    sample = balanced_sample(load("tickets", "train"), "intent", 40, seed=1)
    assert Counter(label_of(r, "intent") for r in sample) == {i: 5 for i in INTENTS}
    assert balanced_sample(load("tickets", "train"), "intent", 40, seed=1) == sample
    assert label_of({"urgent": True}, "urgent") == "urgent"
    with pytest.raises(ValueError):
        load("tickets", "dev")
    with pytest.raises(KeyError):
        load("emails")


def test_bad_rows_are_named():
    with pytest.raises(DataError, match="tickets.jsonl line 7: field 'intent': 'fraud' is not one of the intent labels"):
        _check_row("tickets", 7, {"text": "x", "intent": "fraud", "urgent": False,
                                  "split": "train"})
    with pytest.raises(DataError, match="line 2: 'text' is missing"):
        _check_row("reviews", 2, {"label": "positive", "split": "test"})
