"""Helpers for the site build: which pages the TOC lists, executing its notebooks two at a
time into the build's cache, and readable execution failures."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tune_or_prompt.course.pages import toc_files
from tune_or_prompt.ground.files import write_text


def error_reports(build_dir: Path) -> dict[str, str]:
    """Execution tracebacks that myst-nb wrote to <build>/html/reports/*.err.log."""
    reports = build_dir / "html" / "reports"
    return {p.name: p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(reports.rglob("*.err.log"))} if reports.is_dir() else {}


def print_reports(build_dir: Path) -> int:
    """Print every execution traceback (the build log only says 'see the report')."""
    reports = error_reports(build_dir)
    for name, text in reports.items():
        print(f"\n===== notebook failed: {name} =====\n{text}", file=sys.stderr)
    return len(reports)


# The scripts and styles that quiz, study and decision-helper cells write into their outputs:
# the execution cache keys on a notebook's code only, so an edit of these would leave the old
# copies inline in cached pages. `execute` runs those pages again when they change.
PAGE_SCRIPTS = ("course/quiz/quiz.js", "course/quiz/quiz.css", "course/study/study.js",
                "course/study/study.css", "course/study/print.css",
                "course/decide_assets/decide.js", "course/decide_assets/decide.css")
EMBEDS_SCRIPTS = ("tune_or_prompt.course.quiz", "tune_or_prompt.course.study", "DecisionHelper")


def page_scripts_version() -> str:
    """A hash of `PAGE_SCRIPTS` as the installed package has them."""
    import hashlib

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in PAGE_SCRIPTS:
        digest.update(name.encode() + b"\0" + (package / name).read_bytes())
    return digest.hexdigest()[:16]


def _refresh_page_scripts(root: Path, cache, stamp: Path) -> list[Path]:
    """When `PAGE_SCRIPTS` changed since the last run, drop the cached runs of the pages that
    embed them, and mark their sources changed so Sphinx writes those pages again."""
    version = page_scripts_version()
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == version:
        return []
    from tune_or_prompt.course.notebooks import find_notebooks

    dropped = []
    for path in find_notebooks(root):
        if not any(marker in path.read_text(encoding="utf-8") for marker in EMBEDS_SCRIPTS):
            continue
        try:
            record = cache.match_cache_notebook(_read(path))
        except KeyError:
            continue
        cache.remove_cache(record.pk)
        os.utime(path)  # Sphinx re-reads a source newer than its last build
        dropped.append(path)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    write_text(stamp, version + "\n")
    return dropped


# The labs by their run time on a 2-core machine, slowest first (`make bench` measures them).
SLOWEST = ["04-lora-smollm2", "01-few-shot-prompting", "03-head-to-head", "02-fine-tuning"]


def _read(path: Path):
    """A MyST notebook as myst-nb reads it for the site (its cells are what the cache keys on)."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), path=str(path))


def _execute_one(path: str, timeout: int) -> tuple[str, object, float, str | None]:
    """Run one notebook in a fresh kernel in its own folder (as myst-nb does); the executed
    notebook, its seconds, and the error text if a cell failed."""
    from jupyter_cache.executors.utils import single_nb_execution

    notebook = _read(Path(path))
    result = single_nb_execution(notebook, cwd=str(Path(path).parent), timeout=timeout,
                                 allow_errors=False, meta_override=True)
    return path, notebook, result.time, result.exc_string if result.err else None


def execute(root: Path, build_dir: Path, jobs: int = 2, timeout: int = 900) -> int:
    """Execute every notebook the TOC lists whose cells are not in the build's cache yet, ``jobs``
    at a time (each kernel on one torch thread: two kernels on two cores finish sooner than one
    on both, as much of a notebook's time is single-threaded), and cache the results where the
    book build reads them. A notebook that fails is left out of the cache: the book build then
    runs it again and reports the error as usual. Returns how many were executed."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    from tune_or_prompt.course.notebooks import find_notebooks

    cache = get_cache(str(build_dir / ".jupyter_cache"))
    listed = {str(root / f) for f in toc_files(root)}
    dropped = _refresh_page_scripts(root, cache, build_dir / ".jupyter_cache" / "page-scripts")
    if dropped:
        print(f"page scripts changed: {len(dropped)} cached page(s) will run again")

    todo = []
    for path in find_notebooks(root):
        if str(path.with_suffix("")) not in listed:
            continue
        try:
            cache.match_cache_notebook(_read(path))
        except KeyError:
            todo.append(path)
    # Longest first, so the last notebooks to finish are short ones and the two slowest labs
    # do not end up one after the other on the same worker.
    todo.sort(key=lambda p: (SLOWEST.index(p.stem) if p.stem in SLOWEST else len(SLOWEST),
                             p.parent.name != "lessons", str(p)))
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # each kernel inherits it
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(_execute_one, str(p), timeout) for p in todo]
        for future in as_completed(futures):
            path, notebook, seconds, error = future.result()
            name = Path(path).relative_to(root)
            if error:
                print(f"{name}: failed after {seconds:.1f} s (the book build reports it)")
                continue
            cache.cache_notebook_bundle(CacheBundleIn(notebook, path,
                                                      data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            print(f"{name}: {seconds:.1f} s", flush=True)
    print(f"executed {len(todo)} notebook(s), {jobs} at a time, in "
          f"{time.perf_counter() - start:.0f} s")
    return len(todo)


if __name__ == "__main__":
    if sys.argv[1:2] == ["reports"]:
        print_reports(Path(sys.argv[2] if len(sys.argv) > 2 else "_build"))
    elif sys.argv[1:2] == ["execute"]:
        jobs = int(os.environ.get("BOOK_JOBS", "2"))
        execute(Path.cwd(), Path(sys.argv[2] if len(sys.argv) > 2 else "_build"), jobs)
