"""Reading and writing the CLI's JSON Lines files, with errors that name the line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class InputError(ValueError):
    """An input file is unusable; the message names the file and line."""


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """One JSON object per line, each with a non-empty 'text'; blank lines are skipped."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    records = []
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"{path} line {lineno}: not valid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise InputError(f"{path} line {lineno}: expected a JSON object, got "
                                 f"{type(record).__name__}")
            if not isinstance(record.get("text"), str) or not record["text"].strip():
                raise InputError(f"{path} line {lineno}: no 'text' field (a non-empty string)")
            records.append(record)
    if not records:
        raise InputError(f"{path}: no records")
    return records


def write_records(path: str | Path, records: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
