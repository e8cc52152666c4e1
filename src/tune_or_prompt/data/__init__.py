"""The course's bundled datasets: Quillfield Bank support tickets and product reviews.

Hand-written for teaching (see the data cards ``tickets.md`` and ``reviews.md`` beside this file),
shipped inside the package with fixed train / validation / test splits, so nothing is downloaded.

>>> from tune_or_prompt.data import load
>>> train = load("tickets", "train")          # plain dicts: id, text, intent, urgent, split
"""

from __future__ import annotations

import functools
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from importlib import resources
from typing import Any, Literal

Name = Literal["tickets", "reviews"]
Split = Literal["train", "validation", "test"]
SPLITS: tuple[str, ...] = ("train", "validation", "test")

# The ticket taxonomy (fixed). The descriptions are the written label rules: prompts and the data
# card use them, so there is one source of truth for what each intent means.
INTENTS: dict[str, str] = {
    "card_delivery": "a new or replacement card has not arrived; delivery status or address",
    "lost_or_stolen_card": "the card was lost or stolen; freeze, block or replace it for that reason",
    "unrecognized_charge": "a merchant charge the customer does not recognise or disputes: "
                           "suspected fraud, double charge, wrong amount, goods never delivered",
    "transfer_issue": "a bank transfer sent or expected that is pending, missing, returned or "
                      "sent to the wrong account",
    "refund_tracking": "waiting for a refund a merchant has promised or issued",
    "fees_and_rates": "the bank's own fees, exchange rates or interest",
    "login_and_access": "cannot log in, locked out, passcode, two-factor codes, identity checks",
    "account_changes": "change personal details or plan, add a holder, close the account",
}
URGENT_RULE = ("urgent only when money is at risk right now or the customer cannot reach their "
               "money in an emergency")
REVIEW_LABELS: tuple[str, ...] = ("negative", "positive")

# What each task predicts, and from which field.
TARGETS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # target name: (dataset, field, labels)
    "intent": ("tickets", "intent", tuple(INTENTS)),
    "urgent": ("tickets", "urgent", ("not urgent", "urgent")),
    "sentiment": ("reviews", "label", REVIEW_LABELS),
}


class DataError(ValueError):
    """A bundled or user-supplied data file is malformed; the message names file and line."""


def _check_row(name: str, lineno: int, row: dict[str, Any]) -> None:
    where = f"{name}.jsonl line {lineno}"
    if not isinstance(row.get("text"), str) or not row["text"].strip():
        raise DataError(f"{where}: 'text' is missing or empty")
    if row.get("split") not in SPLITS:
        raise DataError(f"{where}: 'split' must be one of {SPLITS}, not {row.get('split')!r}")
    if name == "tickets":
        if row.get("intent") not in INTENTS:
            raise DataError(f"{where}: unknown intent {row.get('intent')!r}")
        if not isinstance(row.get("urgent"), bool):
            raise DataError(f"{where}: 'urgent' must be true or false")
    elif row.get("label") not in REVIEW_LABELS:
        raise DataError(f"{where}: label must be one of {REVIEW_LABELS}, not {row.get('label')!r}")


@functools.cache
def _rows(name: str) -> tuple[dict[str, Any], ...]:
    if name not in ("tickets", "reviews"):
        raise KeyError(f"No dataset {name!r}: the course ships 'tickets' and 'reviews'.")
    text = resources.files(__package__).joinpath(f"{name}.jsonl").read_text(encoding="utf-8")
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{name}.jsonl line {lineno}: not valid JSON ({error.msg})") from None
        _check_row(name, lineno, row)
        rows.append(row)
    return tuple(rows)


def load(name: Name, split: Split | None = None) -> list[dict[str, Any]]:
    """The rows of a bundled dataset (all splits, or one), as fresh plain dicts."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return [dict(r) for r in _rows(name) if split is None or r["split"] == split]


def as_dataset(rows: Sequence[dict[str, Any]]):
    """A Hugging Face ``datasets.Dataset`` of the rows."""
    from datasets import Dataset

    return Dataset.from_list(list(rows))


def as_frame(rows: Sequence[dict[str, Any]]):
    """A pandas DataFrame of the rows."""
    import pandas as pd

    return pd.DataFrame(list(rows))


def label_of(row: dict[str, Any], target: str) -> str:
    """The gold label of a row for a target ('intent', 'urgent' or 'sentiment')."""
    _, field, labels = TARGETS[target]
    value = row[field]
    if target == "urgent":
        return labels[1] if value else labels[0]
    return value


def balanced_sample(rows: Sequence[dict[str, Any]], target: str, n: int,
                    seed: int = 0) -> list[dict[str, Any]]:
    """``n`` rows with the target's classes as equal as the data allows, reproducible by seed."""
    rng = random.Random(seed)
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_label[label_of(row, target)].append(row)
    pools = {label: rng.sample(items, len(items)) for label, items in sorted(by_label.items())}
    picked: list[dict[str, Any]] = []
    while len(picked) < min(n, len(rows)):
        for label in pools:
            if pools[label] and len(picked) < n:
                picked.append(pools[label].pop())
    rng.shuffle(picked)
    return picked
