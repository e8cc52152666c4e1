"""The one registry of what the course classifies: datasets and their targets.

A *dataset* is a set of labelled texts with train / validation / test splits; a *target* is one
label it carries, with everything every module needs to know about it: which field holds it,
its labels, how a prompt asks for it (instruction, answer words, label rules) and its rare-class
policy. The bundled Quillfield Bank tickets (targets ``intent`` and ``urgent``) and product
reviews (``sentiment``) are registered here like any learner's dataset (`data.from_file`).

>>> from tune_or_prompt.ground.registry import target
>>> target("urgent").rare            # the rare class: class weights, a tuned threshold, recall
'urgent'
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
SPLITS: tuple[str, ...] = ("train", "validation", "test")
def label_text(value: Any) -> str | None:
    """A label as the text the file holds, with one normalisation: spaces around it dropped
    (JSON true/false read as 'true'/'false', a JSON number as written: 1 is '1', 1.0 is '1.0').
    None for anything else or an empty label."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)) and str(value).strip():
        return str(value).strip()
    return None


def label_key(text: str) -> str:
    """What two spellings of one label share: '1', '1.0' and '01' (one number), or 'true' and
    'True' (one word in any case). Labels with one key but different texts are ambiguous."""
    try:
        number = float(text)
    except ValueError:
        return text.casefold()
    return repr(number) if number == number and abs(number) != float("inf") else text.casefold()


RARE_SHARE = 0.25  # a binary target whose smaller class is rarer than this has a rare class


@dataclass(frozen=True)
class Target:
    """One label of a dataset, as every module sees it."""

    name: str
    dataset: str
    field: str  # the record field that holds the gold label
    labels: tuple[str, ...]
    instruction: str  # what a prompt asks
    answers: dict[str, str]  # gold label -> the word a prompted model answers with
    descriptions: dict[str, str] = field(default_factory=dict)  # label -> one-line rule
    rare: str | None = None  # a binary target's rare class: class weights, tuned threshold
    boolean: bool = False  # the field holds true/false: true is labels[1]

    def gold(self, row: dict[str, Any]) -> str:
        """The row's gold label."""
        value = row[self.field]
        if self.boolean:
            return self.labels[1] if value else self.labels[0]
        return value if isinstance(value, str) and value in self.labels else label_text(value)

    def has_gold(self, row: dict[str, Any]) -> bool:
        return self.field in row

    def check_gold(self, value: Any) -> str | None:
        """Why ``value`` cannot be this target's gold label, or None if it can."""
        if self.boolean:
            return None if isinstance(value, bool) else "must be true or false"
        text = label_text(value)
        if text in self.labels:
            return None
        problem = f"is not one of the {self.name} labels ({', '.join(self.labels)})"
        same = [label for label in self.labels if text and label_key(label) == label_key(text)]
        if same:  # another spelling of a label: named, not guessed
            problem += f"; labels are compared as text: write it {same[0]!r}"
        return problem


@dataclass(frozen=True)
class Dataset:
    """Labelled texts with splits; ``targets`` name its targets, the main one first."""

    name: str
    targets: tuple[str, ...]
    title: str = ""
    source: str = "bundled"  # "bundled" (a file in the package) or the file it was read from
    rows: tuple[dict[str, Any], ...] = ()  # a learner's rows, held in memory (with 'split')

    @property
    def main(self) -> str:
        return self.targets[0]

    def specs(self) -> tuple[Target, ...]:
        """The dataset's targets as objects, the main one first."""
        return tuple(TARGETS[name] for name in self.targets)


TARGETS: dict[str, Target] = {}
DATASETS: dict[str, Dataset] = {}


def register(dataset: Dataset, targets: Sequence[Target]) -> Dataset:
    """Add a dataset and its targets to the registry (replacing a learner's earlier one of
    the same name; the bundled ones cannot be replaced)."""
    old = DATASETS.get(dataset.name)
    if old is not None and old.source == "bundled" and dataset.source != "bundled":
        raise ValueError(f"{dataset.name!r} is a bundled dataset: choose another name")
    for t in targets:
        clash = TARGETS.get(t.name)
        if clash is not None and clash.dataset != dataset.name:
            raise ValueError(f"target {t.name!r} already belongs to dataset {clash.dataset!r}")
    if old is not None:
        for name in old.targets:
            TARGETS.pop(name, None)
    DATASETS[dataset.name] = dataset
    TARGETS.update({t.name: t for t in targets})
    return dataset


def target(name: str | Target) -> Target:
    """A registered target by name. A `Target` comes back as it is: a name is looked up once,
    where it comes in (the CLI, a notebook's call, `compare.run_task`), and the object travels."""
    if isinstance(name, Target):
        return name
    try:
        return TARGETS[name]
    except KeyError:
        raise KeyError(f"No target {name!r}; targets are: {', '.join(TARGETS)}") from None


def dataset(name: str | Dataset) -> Dataset:
    """A registered dataset by name (a `Dataset` comes back as it is, like `target`)."""
    if isinstance(name, Dataset):
        return name
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"No dataset {name!r}; datasets are: {', '.join(DATASETS)}") from None


def bundled() -> tuple[str, ...]:
    """The datasets that ship with the package (a learner's file is registered as well, later)."""
    return tuple(name for name, d in DATASETS.items() if d.source == "bundled")


def label_of(row: dict[str, Any], target_name: str) -> str:
    """The gold label of a row for a target."""
    return target(target_name).gold(row)


def balanced_sample(rows: Sequence[dict[str, Any]], target_name: str, n: int,
                    seed: int = 0) -> list[dict[str, Any]]:
    """``n`` rows with the target's classes as equal as the data allows, reproducible by seed."""
    rng = random.Random(seed)
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_label[label_of(row, target_name)].append(row)
    pools = {label: rng.sample(items, len(items)) for label, items in sorted(by_label.items())}
    picked: list[dict[str, Any]] = []
    while len(picked) < min(n, len(rows)):
        for label in pools:
            if pools[label] and len(picked) < n:
                picked.append(pools[label].pop())
    rng.shuffle(picked)
    return picked


def rare_class(labels: Sequence[str], counts: dict[str, int]) -> str | None:
    """The rare class of a binary target (its smaller class, when rarer than RARE_SHARE)."""
    if len(labels) != 2:
        return None
    small = min(labels, key=lambda label: counts.get(label, 0))
    total = sum(counts.get(label, 0) for label in labels)
    return small if total and counts.get(small, 0) / total < RARE_SHARE else None


register(
    Dataset("tickets", ("intent", "urgent"), "Quillfield Bank support tickets"),
    [Target("intent", "tickets", "intent", tuple(INTENTS),
            "Classify a customer message to Quillfield Bank by its intent.",
            {"card_delivery": "delivery", "lost_or_stolen_card": "stolen",
             "unrecognized_charge": "charge", "transfer_issue": "transfer",
             "refund_tracking": "refund", "fees_and_rates": "fees",
             "login_and_access": "login", "account_changes": "account"},
            dict(INTENTS)),
     Target("urgent", "tickets", "urgent", ("not urgent", "urgent"),
            "Is this customer message to Quillfield Bank urgent? It is urgent only when money is "
            "at risk right now or the customer cannot reach their money in an emergency.",
            {"not urgent": "no", "urgent": "yes"}, rare="urgent", boolean=True)])
register(
    Dataset("reviews", ("sentiment",), "Product reviews"),
    [Target("sentiment", "reviews", "label", REVIEW_LABELS,
            "Classify the sentiment of a product review as positive or negative.",
            {"negative": "negative", "positive": "positive"})])
