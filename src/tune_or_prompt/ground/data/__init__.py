"""The course's bundled datasets: Quillfield Bank support tickets and product reviews.

Hand-written for teaching (see the data cards ``tickets.md`` and ``reviews.md`` beside this file),
shipped inside the package with fixed train / validation / test splits, so nothing is downloaded.

>>> from tune_or_prompt.ground.data import load
>>> train = load("tickets", "train")          # plain dicts: id, text, intent, urgent, split
"""

from __future__ import annotations

import functools
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from tune_or_prompt.ground.records import InputError, read_records
from tune_or_prompt.ground.registry import (  # noqa: F401  (the registry's names, for `from tune_or_prompt.ground.data import`)
    INTENTS,
    REVIEW_LABELS,
    SPLITS,
    TARGETS,
    URGENT_RULE,
    Dataset,
    balanced_sample,
    dataset,
    label_key,
    label_of,
    label_text,
)

FOLDER = Path(__file__).parent  # the bundled files; the reference runs are written here too

Split = Literal["train", "validation", "test"]


class DataError(ValueError):
    """A bundled or user-supplied data file is malformed; the message names file and line."""


def _check_row(name: str, lineno: int, row: dict[str, Any]) -> None:
    where = f"{name}.jsonl line {lineno}"
    if not isinstance(row.get("text"), str) or not row["text"].strip():
        raise DataError(f"{where}: 'text' is missing or empty")
    if row.get("split") not in SPLITS:
        raise DataError(f"{where}: 'split' must be one of {SPLITS}, not {row.get('split')!r}")
    for target_name in dataset(name).targets:
        t = TARGETS[target_name]
        problem = t.check_gold(row.get(t.field))
        if problem:
            raise DataError(f"{where}: field {t.field!r}: {row.get(t.field)!r} {problem}")


@functools.cache
def _bundled(name: str) -> tuple[dict[str, Any], ...]:
    """A bundled dataset's rows, read like any records file (`records.read_records`), then
    checked against its targets."""
    try:
        records = read_records(FOLDER / f"{name}.jsonl")
    except InputError as error:
        raise DataError(str(error)) from None
    for row, lineno in zip(records, records.lines, strict=True):
        _check_row(name, lineno, row)
    return tuple(records)


def _rows(name: str | Dataset) -> tuple[dict[str, Any], ...]:
    source = dataset(name)
    return _bundled(source.name) if source.source == "bundled" else source.rows


def load(name: str | Dataset, split: Split | None = None) -> list[dict[str, Any]]:
    """The rows of a registered dataset (all splits, or one), as fresh plain dicts: the bundled
    ``tickets`` and ``reviews``, or a learner's (see `from_file`)."""
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


MIN_PER_LABEL = 4  # examples a label needs: some to learn from, one to validate, one to test
SPLIT_SHARES = (0.6, 0.2, 0.2)  # train / validation / test, when the file has no split field


def _label_text(value: Any) -> str | None:
    """A label read from a file, as text (see `tasks.label_text`), or None."""
    return label_text(value)


def _warn(message: str) -> None:
    print(f"tune-or-prompt: warning: {message}", file=sys.stderr)


def _check_spellings(path: Path, found: Sequence[str], lines: Sequence[int]) -> None:
    """Refuse two spellings of one label ('1' and '1.0', 'true' and 'True'), naming both."""
    first: dict[str, tuple[str, int]] = {}
    for label, line in zip(found, lines, strict=True):
        other = first.setdefault(label_key(label), (label, line))
        if other[0] != label:
            raise InputError(f"{path}: the labels {other[0]!r} (line {other[1]}) and {label!r} "
                             f"(line {line}) are two spellings of one label: labels are "
                             "compared as text, so write each label one way")


def _check_conflicts(path: Path, texts: Sequence[str], found: Sequence[str],
                     lines: Sequence[int], warn: Callable[[str], None]) -> None:
    """Warn about a text that carries two labels: a model cannot get both right."""
    seen: dict[str, tuple[str, int]] = {}
    conflicts = []
    for text, label, line in zip(texts, found, lines, strict=True):
        key = " ".join(text.split()).lower()
        other = seen.setdefault(key, (label, line))
        if other[0] != label:
            conflicts.append(f"line {line} ({label!r}) and line {other[1]} ({other[0]!r})")
    if conflicts:
        more = f" and {len(conflicts) - 3} more" if len(conflicts) > 3 else ""
        warn(f"{path}: {len(conflicts)} text(s) carry two labels: {'; '.join(conflicts[:3])}"
             f"{more}; no model can be right on both")


def _read_label_rules(path: str | Path) -> dict[str, str]:
    """label -> one-line rule, from a YAML or JSON mapping."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from None
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"{path}{where}: not a valid YAML or JSON file of label rules") from None
    if not isinstance(data, dict) or not data:
        raise InputError(f"{path}: expected a mapping of label -> one-line rule")
    rules = {}
    for label, rule in data.items():
        if _label_text(label) is None or not isinstance(rule, str) or not rule.strip():
            raise InputError(f"{path}: label {str(label)[:40]!r} needs a one-line rule (text)")
        rules[_label_text(label)] = " ".join(rule.split())
    return rules


def _stratified_splits(labels: Sequence[str], texts: Sequence[str], seed: int) -> list[str]:
    """A split for each row: shares of SPLIT_SHARES within every label, identical texts kept
    in the same split, reproducible by seed."""
    rng = random.Random(seed)
    groups: dict[str, dict[str, list[int]]] = {}
    for i, (label, text) in enumerate(zip(labels, texts, strict=True)):
        groups.setdefault(label, {}).setdefault(" ".join(text.split()).lower(), []).append(i)
    split = [""] * len(labels)
    for label in sorted(groups):
        texts_of_label = list(groups[label].values())
        rng.shuffle(texts_of_label)
        n = len(texts_of_label)
        n_val = max(1, round(n * SPLIT_SHARES[1]))
        n_test = max(1, round(n * SPLIT_SHARES[2]))
        for j, rows in enumerate(texts_of_label):
            name = "validation" if j < n_val else "test" if j < n_val + n_test else "train"
            for i in rows:
                split[i] = split[i] or name  # a text seen under another label keeps its split
    return split


def from_file(path: str | Path, text_field: str = "text", label_field: str = "label",
              labels: str | Path | None = None, name: str | None = None,
              seed: int = 0, warn: Callable[[str], None] = _warn) -> Dataset:
    """Read a learner's labelled data (JSON Lines or CSV), check it, split it and register it as
    a dataset with one target of the same name (see `tasks`).

    An optional ``split`` field is respected; otherwise each label is split 60/20/20 into
    train/validation/test with a fixed seed (identical texts stay together). ``labels`` is a
    YAML or JSON file of label -> one-line rule, which prompts show. Raises InputError naming
    the file, the line and the field.

    Labels are compared as the text the file holds (`tasks.label_text`); two spellings of one
    label are refused. Each label needs ``MIN_PER_LABEL`` distinct texts. A text under two
    labels, and a label missing from a given split, are reported through ``warn``."""
    from tune_or_prompt.ground.records import InputError, read_records
    from tune_or_prompt.ground.registry import Target, rare_class, register

    path = Path(path)
    if text_field == label_field:
        raise InputError(f"{path}: the text field and the label field are both {text_field!r}: "
                         "a model would read the answer; name two different fields")
    records = read_records(path, required=(text_field,))
    found, splits = [], []
    for i, record in enumerate(records):
        if label_field not in record:
            raise InputError(f"{records.where(i)}: no {label_field!r} field (the label)")
        label = _label_text(record[label_field])
        if label is None:
            raise InputError(f"{records.where(i)}: field {label_field!r} must be a non-empty "
                             "label (text, a number or true/false)")
        found.append(label)
        if "split" in record:
            if record["split"] not in SPLITS:
                raise InputError(f"{records.where(i)}: field 'split' must be one of "
                                 f"{', '.join(SPLITS)}, not {str(record['split'])[:40]!r}")
            splits.append(record["split"])
    if splits and len(splits) != len(records):
        first = next(i for i, r in enumerate(records) if "split" not in r)
        raise InputError(f"{records.where(first)}: no 'split' field, which other lines have")
    _check_spellings(path, found, records.lines)
    counts = {label: found.count(label) for label in dict.fromkeys(found)}
    if len(counts) < 2:
        raise InputError(f"{path}: field {label_field!r} has only one label "
                         f"({next(iter(counts))!r}): a classifier needs at least two")
    texts = [record[text_field] for record in records]
    for label in counts:
        distinct = {" ".join(t.split()).lower() for t, f in zip(texts, found, strict=True)
                    if f == label}
        if len(distinct) < MIN_PER_LABEL:
            lines = [records.lines[i] for i, f in enumerate(found) if f == label]
            shown = ", ".join(map(str, lines[:10])) + (" ..." if len(lines) > 10 else "")
            same = (f", only {len(distinct)} of them distinct"
                    if len(distinct) < len(lines) else "")
            raise InputError(f"{path}: label {label!r} has {len(lines)} example(s) "
                             f"(line{'s' if len(lines) > 1 else ''} {shown}){same}; each label "
                             f"needs at least {MIN_PER_LABEL} distinct texts")
    _check_conflicts(path, texts, found, records.lines, warn)
    rules = _read_label_rules(labels) if labels else {}
    unknown = sorted(set(counts) - set(rules)) if rules else []
    if unknown:
        raise InputError(f"{labels}: no rule for label(s) {', '.join(map(repr, unknown))} "
                         f"found in {path}")
    extra = sorted(set(rules) - set(counts))
    if extra:
        raise InputError(f"{labels}: label(s) {', '.join(map(repr, extra))} never occur in "
                         f"{path}")
    if splits:
        seen: dict[str, tuple[str, int]] = {}
        for i, (text, split) in enumerate(zip(texts, splits, strict=True)):
            key = " ".join(text.split()).lower()
            if key in seen and seen[key][0] != split:
                raise InputError(f"{records.where(i)}: the same text is in the {split} split "
                                 f"and, at line {records.lines[seen[key][1]]}, in the "
                                 f"{seen[key][0]} split: test data must be new to the model")
            seen.setdefault(key, (split, i))
        for split in SPLITS:
            if split not in splits:
                raise InputError(f"{path}: field 'split' never says {split!r}; every split "
                                 "needs rows (or leave 'split' out to split automatically)")
        for label in counts:
            absent = [s for s in SPLITS if not any(f == label and sp == s
                                                   for f, sp in zip(found, splits, strict=True))]
            if absent:
                warn(f"{path}: label {label!r} has no rows in the {' and '.join(absent)} "
                     "split(s): its scores there say nothing about it")
    else:
        splits = _stratified_splits(found, texts, seed)
    name = name or _dataset_name(path)
    order = sorted(counts)
    rows = tuple({**record, "id": str(record.get("id", records.lines[i])), "text": texts[i],
                  label_field: found[i], "split": splits[i]}
                 for i, record in enumerate(records))
    t = Target(name, name, label_field, tuple(order),
               "Classify the text by its label." if not rules else
               "Classify the text by its label, following the label rules.",
               {label: label for label in order}, {label: rules[label] for label in order}
               if rules else {}, rare=rare_class(order, counts))
    how = "its split field" if "split" in records[0] else f"a stratified split, seed {seed}"
    title = f"{path.name} (label field {label_field!r}, {how})"
    return register(Dataset(name, (name,), title, str(path), rows), [t])


def _dataset_name(path: Path) -> str:
    """A dataset name from a file name that no bundled dataset or target uses."""
    import re

    from tune_or_prompt.ground.registry import DATASETS, TARGETS

    stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "data"
    taken = {n for n, d in DATASETS.items() if d.source == "bundled"} | {
        t.name for t in TARGETS.values() if DATASETS[t.dataset].source == "bundled"}
    return stem if stem not in taken else f"{stem}-yours"


def split_sizes(name: str) -> dict[str, int]:
    """Rows per split of a registered dataset."""
    rows = _rows(name)
    return {split: sum(r["split"] == split for r in rows) for split in SPLITS}
