"""Writing files so that nothing is ever lost: the one home of the course's file writes.

Every file the course writes goes to a temporary file in the same folder first and is renamed
into place only when it is complete (a rename within one folder is atomic), so a run that fails
part-way leaves the old file untouched, and an output path equal to the input path is safe.
Folders (saved models, the model cache) are written to a staging folder and renamed likewise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


class OutputError(ValueError):
    """An output path cannot be written; the message names it and says why."""


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` when the block ends
    without an error, removed otherwise. ``suffix`` defaults to the target's own (so that
    writers that infer a format from the name, such as matplotlib's, keep working)."""
    path = Path(path)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix,
                                    dir=path.parent)
    os.close(handle)
    temp_path = Path(temp)
    try:
        yield temp_path
        _fsync(temp_path)
        if path.exists():
            shutil.copymode(path, temp_path)
        else:
            temp_path.chmod(0o666 & ~_umask())
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically (the old file stays whole if anything fails)."""
    return write_bytes(path, text.encode("utf-8"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes atomically."""
    with atomic_path(path) as temp:
        temp.write_bytes(data)
    return Path(path)


@contextlib.contextmanager
def atomic_dir(folder: str | Path) -> Iterator[Path]:
    """A staging folder beside ``folder`` to fill; it replaces ``folder`` when the block ends
    without an error (an older folder of that name is removed only then), and is removed
    otherwise."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging.", dir=folder.parent))
    try:
        yield staging
        old = None
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.replace(folder, old / folder.name)
        os.replace(staging, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_writable(path: str | Path, what: str = "--output", folder: bool = False) -> Path:
    """Check, before any work, that ``path`` can be written (as a file, or as a folder with
    ``folder=True``); raise OutputError naming the option and the path otherwise."""
    path = Path(path)
    if folder:
        if path.exists() and not path.is_dir():
            raise OutputError(f"{what} {path}: exists and is not a folder")
        if path.is_dir():
            return _check_folder_writable(path, what, path)
        parent = next((p for p in path.parents if p.exists()), Path("."))
        if not parent.is_dir():
            raise OutputError(f"{what} {path}: {parent} is not a folder")
        return _check_folder_writable(parent, what, path)
    if path.is_dir():
        raise OutputError(f"{what} {path}: is a folder, not a file")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{what} {path}: the folder {parent} does not exist")
    return _check_folder_writable(parent, what, path)


def _check_folder_writable(folder: Path, what: str, path: Path) -> Path:
    # os.access says nothing reliable for root or some file systems: try it.
    try:
        handle, temp = tempfile.mkstemp(prefix=".write-check.", dir=folder)
        os.close(handle)
        os.unlink(temp)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise OutputError(f"{what} {path}: cannot write in {folder} ({reason})") from None
    return path
