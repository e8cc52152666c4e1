"""The one reader and writer of the course's record files: JSON Lines and CSV.

Whatever bytes a file holds, reading it gives either records (one dict per line or row) or an
`InputError` whose one-line message names the file, the line and, where it applies, the field.
Both formats have the same limits: a file of at most `MAX_FILE_BYTES`, and no other limit on a
field (CSV's own 128 KiB field limit is lifted). Writing is atomic (see `files`), so a failed
write loses nothing; CSV output writes nested values (lists, objects) and true/false as JSON text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from . import files

MAX_FILE_BYTES = 512 * 1024 * 1024  # far beyond a labelled dataset; refuses a wrong file early


class InputError(ValueError):
    """An input file is unusable; the message names the file, the line and the field."""


class Records(list):
    """The records of a file, in order, knowing the line each came from."""

    def __init__(self, path: Path, items: Sequence[tuple[int, dict[str, Any]]] = ()):
        super().__init__(record for _, record in items)
        self.path = path
        self.lines = [lineno for lineno, _ in items]

    def where(self, index: int) -> str:
        """'<file> line <n>' of the record at ``index``."""
        return f"{self.path} line {self.lines[index]}"


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unwritable_field(record: dict[str, Any]) -> str | None:
    """The first field whose value cannot be written back as UTF-8 JSON (a lone surrogate,
    such as "\\ud800", parses but cannot be encoded), or None."""
    for key, value in record.items():
        try:
            json.dumps({key: value}, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, ValueError):
            return str(key).encode("utf-8", "backslashreplace").decode("utf-8")
    return None


def _check_record(path: Path, lineno: int, record: Any,
                  required: Sequence[str]) -> dict[str, Any]:
    where = f"{path} line {lineno}"
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
    bad = _unwritable_field(record)
    if bad is not None:
        raise InputError(f"{where}: field {bad!r} holds text that is not valid Unicode "
                         "(a lone surrogate such as \\ud800)")
    for name in required:
        value = record.get(name)
        if name not in record:
            raise InputError(f"{where}: no {name!r} field")
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{where}: field {name!r} must be non-empty text, "
                             f"not {_short(value)}")
    return record


def _decode(path: Path, lineno: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path} line {lineno}: not valid UTF-8 (byte {error.start + 1} of "
                         "the line); save the file as UTF-8") from None


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: {size:,} bytes is more than the {MAX_FILE_BYTES:,} a record "
                         "file may have")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from None
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data  # a UTF-8 byte-order mark


def _jsonl(path: Path, data: bytes,
           required: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    records = []
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        line = _decode(path, lineno, raw)
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_constant=_reject_constant)
        except json.JSONDecodeError as error:
            raise InputError(f"{path} line {lineno}: not valid JSON ({error.msg}, column "
                             f"{error.colno})") from None
        except RecursionError:
            raise InputError(f"{path} line {lineno}: nested too deeply to be a record") from None
        except ValueError as error:  # NaN/Infinity, or an integer of thousands of digits
            raise InputError(f"{path} line {lineno}: not valid JSON ({error})") from None
        records.append((lineno, _check_record(path, lineno, record, required)))
    return records


_OTHER_DELIMITERS = {"\t": "tabs", ";": "semicolons", "|": "vertical bars"}


def _delimiter_hint(header: list[str]) -> str:
    """A hint when a one-column header looks separated by something other than commas."""
    if len(header) == 1:
        for mark, name in _OTHER_DELIMITERS.items():
            if mark in header[0]:
                return (f"; the header looks separated by {name}: save the file as CSV with "
                        "commas (or as JSON Lines)")
    return ""


def _csv(path: Path, data: bytes, required: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    old_limit = csv.field_size_limit(MAX_FILE_BYTES)  # the same limit as JSON Lines
    try:
        return _csv_rows(path, data, required)
    finally:
        csv.field_size_limit(old_limit)


def _csv_rows(path: Path, data: bytes,
              required: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:  # name the line, as the JSON Lines reader does
        lineno = data.count(b"\n", 0, error.start) + 1
        _decode(path, lineno, data.split(b"\n")[lineno - 1])
        raise
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, dict[str, Any]]] = []
    header: list[str] | None = None
    lineno = 1  # where the record being read starts (a quoted field may span lines)
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                lineno = reader.line_num + 1
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                if len(set(header)) != len(header) or "" in header:
                    raise InputError(f"{path} line {lineno}: the header needs distinct, "
                                     "non-empty column names")
                missing = [name for name in required if name not in header]
                if missing and _delimiter_hint(header):
                    raise InputError(f"{path} line {lineno}: no {missing[0]!r} column in the "
                                     f"header{_delimiter_hint(header)}")
                lineno = reader.line_num + 1
                continue
            if len(row) != len(header):
                raise InputError(f"{path} line {lineno}: {len(row)} columns, but the header "
                                 f"has {len(header)}")
            record = dict(zip(header, row, strict=True))
            records.append((lineno, _check_record(path, lineno, record, required)))
            lineno = reader.line_num + 1
    except csv.Error as error:
        if "unexpected end of data" in str(error):  # a quote opened at `lineno`, never closed
            raise InputError(f"{path} line {lineno}: not valid CSV (a quoted field starts on "
                             "this line and is never closed)") from None
        raise InputError(f"{path} line {lineno}: not valid CSV ({error})") from None
    if header is None:
        raise InputError(f"{path}: no header line")
    return records


def read_records(path: str | Path, required: Sequence[str] = ("text",)) -> Records:
    """Records from a JSON Lines file (one object per line) or a CSV file (``.csv``: a header
    line, then one row per record). Each must have the ``required`` fields as non-empty text;
    blank lines are skipped. Raises InputError naming file, line and field."""
    path = Path(path)
    data = _read_bytes(path)
    reader = _csv if path.suffix.lower() == ".csv" else _jsonl
    records = Records(path, reader(path, data, required))
    if not records:
        raise InputError(f"{path}: no records")
    return records


def _csv_cell(value: Any) -> Any:
    """A value as a CSV cell: nested values and true/false as JSON text, None as empty."""
    if isinstance(value, (dict, list, tuple, bool)):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    return value


def write_records(path: str | Path, records: Iterable[dict[str, Any]]) -> Path:
    """Write JSON Lines (``.csv``: CSV) atomically: every record is encoded before the file is
    touched, so a record that cannot be written leaves the old file whole."""
    path = Path(path)
    records = list(records)
    if path.suffix.lower() == ".csv":
        buffer = io.StringIO(newline="")
        columns = list(dict.fromkeys(key for record in records for key in record))
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _csv_cell(v) for k, v in record.items()} for record in records)
        text = buffer.getvalue()
    else:
        text = "".join(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"
                       for record in records)
    files.write_bytes(path, text.encode("utf-8"))
    return path

