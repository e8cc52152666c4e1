"""Writing files so that nothing is ever lost: the one home of the course's file writes.

Every file the course writes goes to a temporary file in the same folder first and is renamed
into place only when it is complete (a rename within one folder is atomic), so a run that fails
part-way leaves the old file untouched. Folders (saved models, the model cache) are written to a
staging folder and renamed likewise.

Only regular files are ever written. A device, a FIFO, a socket or a folder named as an output
is refused by name. A symlink is written *through*: its regular target file is replaced (the
link stays a link); a symlink to anything else, to nothing, or through /proc (/dev/stdout: a
file some process has open) is refused. An output that is
the same file as an input of the command (by resolved path or inode) is refused before any work.
A folder is replaced only if this package made it and marked it (`OWNED_MARK`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path


class OutputError(ValueError):
    """An output path cannot be written; the message names it and says why."""


OWNED_MARK = ".tune-or-prompt-owned"  # in a folder this package made and may replace

_KINDS = ((stat.S_ISDIR, "a folder, not a file"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    return next((name for test, name in _KINDS if test(mode)), None if stat.S_ISREG(mode)
                else "not a regular file")


def regular_target(path: str | Path, what: str = "output") -> Path:
    """The file a write to ``path`` replaces: ``path`` itself, or a symlink's regular target
    file. Raises OutputError for a device, FIFO, socket or folder, or a symlink to one (or to
    nothing)."""
    path = Path(path)
    if path.is_symlink():
        if _through_proc(path):
            raise OutputError(f"{what} {path}: is a symlink to a process's open file (such as "
                              "/dev/stdout); only regular files are written: redirect with > "
                              "instead")
        target = path.resolve()
        try:
            mode = target.stat().st_mode
        except OSError:
            raise OutputError(f"{what} {path}: is a symlink to {target}, which does not exist; "
                              "only a symlink to a regular file is written through") from None
        kind = _kind(mode)
        if kind is not None:
            raise OutputError(f"{what} {path}: is a symlink to {kind.split(',')[0]} ({target}); "
                              "only regular files are written")
        return target
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    except OSError as error:
        raise OutputError(f"{what} {path}: cannot be checked ({error.strerror})") from None
    kind = _kind(mode)
    if kind is not None:
        detail = "" if kind.startswith("a folder") else "; only regular files are written"
        raise OutputError(f"{what} {path}: is {kind}{detail}")
    return path


def _through_proc(path: Path) -> bool:
    """Whether a symlink leads through /proc (/dev/stdout, /dev/fd/1): its target is whatever a
    process has open, which writing through would replace under it."""
    current = path
    for _ in range(40):
        if os.path.realpath(current.parent).startswith("/proc/"):
            return True
        if not current.is_symlink():
            return False
        link = Path(os.readlink(current))
        current = link if link.is_absolute() else current.parent / link
        if str(current).startswith("/proc/"):
            return True
    return True  # a loop: not written through either


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file: the same resolved path, or the same inode."""
    a, b = Path(a), Path(b)
    if a.resolve() == b.resolve():
        return True
    try:
        sa, sb = a.stat(), b.stat()
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def check_output(path: str | Path, what: str = "--output",
                 inputs: Iterable[tuple[str, str | Path | None]] = ()) -> Path:
    """Check, before any work, that ``path`` can be written as a regular file (see
    `regular_target`) and is none of the command's ``inputs`` (option, path) pairs."""
    target = regular_target(path, what)
    for option, given in inputs:
        if given and same_file(target, given):
            raise OutputError(f"{what} {path}: is the same file as {option} {given}; writing "
                              "it would replace what the command reads: choose another file")
    check_writable(target, what)
    return Path(path)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` when the block ends
    without an error, removed otherwise. ``suffix`` defaults to the target's own (so that
    writers that infer a format from the name, such as matplotlib's, keep working)."""
    path = regular_target(path)  # never replace a device, FIFO or folder; follow a symlink
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


def check_owned(folder: str | Path, what: str = "--save") -> Path:
    """Check that ``folder`` is absent or a folder this package made (it holds `OWNED_MARK`),
    so replacing it loses nothing of anyone else's; raise OutputError otherwise."""
    folder = Path(folder)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise OutputError(f"{what}: {folder} exists and is not a folder this command made; "
                          "it is left alone: choose another place")
    if folder.is_dir() and not (folder / OWNED_MARK).is_file():
        raise OutputError(f"{what}: {folder} exists and was not made by tune-or-prompt (no "
                          f"{OWNED_MARK} in it); it is left alone: choose another place")
    return folder


@contextlib.contextmanager
def atomic_dir(folder: str | Path, owned: bool = False) -> Iterator[Path]:
    """A staging folder beside ``folder`` to fill; it replaces ``folder`` when the block ends
    without an error (an older folder of that name is removed only then), and is removed
    otherwise. With ``owned``, the new folder is marked as this package's, and an existing
    ``folder`` is replaced only if it carries that mark (see `check_owned`)."""
    folder = Path(folder)
    if owned:
        check_owned(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging.", dir=folder.parent))
    try:
        yield staging
        if owned:
            (staging / OWNED_MARK).write_text("made by tune-or-prompt; it may replace this "
                                              "folder\n", encoding="utf-8")
            check_owned(folder)  # again: something may have appeared there meanwhile
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
    path = regular_target(path, what)
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
