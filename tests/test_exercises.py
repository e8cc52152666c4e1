"""Every exercise solution's code runs as a learner would paste it into a fresh notebook.

Solutions are self-contained: each brings its own imports and set-up, so none relies on a
name the page happened to define above it. Every page's solutions run in one subprocess (the
models load once), each solution in a fresh namespace of its own, working in one folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([*ROOT.glob("lessons/*.md"), *ROOT.glob("labs/*.md"), *ROOT.glob("book/*.md")])

# ````{solution} label ... ```` (any fence of three or more backticks or colons)
SOLUTION = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}[ \t]*(?P<label>\S*)[^\n]*\n"
                      r"(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)\n(?P<code>.*?)^(?P=fence)[ \t]*$",
                   re.M | re.S)
PYTHON = {"python", "python3", "py", "ipython", "ipython3", "{code-cell} ipython3",
          "{code-block} python", "{code-cell} python3"}
NOT_CODE = {"text", "console", "yaml", "json"}  # shown, never run

RUNNER = r"""
import json, sys, time, traceback
solutions = json.load(sys.stdin)
results = []
for label, code in solutions:
    namespace = {"__name__": "__main__"}
    start = time.perf_counter()
    try:
        exec(compile(code, label, "exec"), namespace)
    except BaseException:
        results.append([label, traceback.format_exc()])
    else:
        results.append([label, None])
    print(f"{label}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    import matplotlib.pyplot as plt
    plt.close("all")
print("RESULTS=" + json.dumps(results))
"""


def solutions(text: str, page: str = "page") -> list[tuple[str, str]]:
    """(label, code) for each solution with code: its Python blocks joined in order. A fence
    that is neither Python nor a known non-code language fails, so nothing is skipped."""
    found = []
    for match in SOLUTION.finditer(text):
        label = f"{page}:{match['label'] or match.start()}"
        blocks = []
        for block in FENCE.finditer(match["body"]):
            info = block["info"].strip()
            if info in PYTHON:
                code = "\n".join(line for line in block["code"].splitlines()
                                 if not line.startswith(":"))  # cell options (:tags:)
                blocks.append(code)
            else:
                assert info in NOT_CODE, f"{label}: a code block in {info!r} is never run"
        if blocks:
            found.append((label, "\n".join(blocks)))
    return found


def run_solutions(found: list[tuple[str, str]], cwd: Path) -> list[tuple[str, str | None]]:
    """Run each solution in a fresh namespace, all in one subprocess; (label, traceback or
    None) for each."""
    env = {**os.environ, "MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(found), cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=1800)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULTS=")), None)
    assert line is not None, f"the runner crashed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    return [(label, error) for label, error in json.loads(line.removeprefix("RESULTS="))]


PAGES_WITH_CODE = [p for p in PAGES
                   if solutions(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))]


def test_the_runner_fails_on_a_name_the_solution_does_not_define(tmp_path):
    page = """
````{solution} ex-cost
:class: dropdown

```python
half = Prices(usd_per_million_input_tokens=0.075)
```
````

````{solution} ex-fine
```python
from tune_or_prompt.measure.costs import Prices

print(Prices())
```

```text
shown, not run
```
````
"""
    found = solutions(page)
    assert [label for label, _ in found] == ["page:ex-cost", "page:ex-fine"]
    results = dict(run_solutions(found, tmp_path))
    assert "NameError: name 'Prices' is not defined" in results["page:ex-cost"]
    assert results["page:ex-fine"] is None


def test_a_code_block_in_an_unknown_language_is_not_skipped_silently():
    page = "````{solution} ex\n```pyhton\nprint(1)\n```\n````\n"
    with pytest.raises(AssertionError, match="never run"):
        solutions(page)


def test_pages_have_solutions_with_code():
    assert len(PAGES_WITH_CODE) >= 8


@pytest.fixture(scope="module")
def every_result(tmp_path_factory) -> dict[str, list[tuple[str, str | None]]]:
    """Every page's solutions, run in one process (the models load once), each in a fresh
    namespace of its own; by page."""
    found = {str(p.relative_to(ROOT)): solutions(p.read_text(encoding="utf-8"),
                                                 str(p.relative_to(ROOT)))
             for p in PAGES_WITH_CODE}
    results = run_solutions([pair for pairs in found.values() for pair in pairs],
                            tmp_path_factory.mktemp("solutions"))
    by_label = dict(results)
    return {page: [(label, by_label.get(label, "did not run")) for label, _ in pairs]
            for page, pairs in found.items()}


@pytest.mark.models
@pytest.mark.parametrize("path", PAGES_WITH_CODE, ids=lambda p: p.stem)
def test_every_solution_runs_on_its_own(path, every_result):
    results = every_result[str(path.relative_to(ROOT))]
    failures = {label: error for label, error in results if error is not None}
    assert not failures, "\n".join(f"--- {label} ---\n{error}" for label, error in failures.items())


def test_exercises_are_numbered_per_page(tmp_path):
    """A tiny Sphinx book of two pages: each page's exercises count from 1, and a solution's
    title carries its exercise's page number (sphinx-exercise alone would go on to 3 and 4)."""
    from sphinx.application import Sphinx

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_exercise", '
                                 '"tune_or_prompt.site.exercise_numbers"]\n')
    (src / "index.rst").write_text("Book\n====\n\n.. toctree::\n\n   one\n   two\n")
    for page in ("one", "two"):
        body = "".join(f".. exercise::\n   :label: {page}-{n}\n\n   Do {page} {n}.\n\n"
                       f".. solution:: {page}-{n}\n\n   Done.\n\n" for n in (1, 2))
        (src / f"{page}.rst").write_text(f"{page.title()}\n===\n\n{body}")
    app = Sphinx(str(src), str(src), str(tmp_path / "html"), str(tmp_path / "doctrees"), "html",
                 status=None, warning=None, freshenv=True)
    app.build()
    for page in ("one", "two"):
        html = (tmp_path / "html" / f"{page}.html").read_text(encoding="utf-8")
        titles = re.findall(r"Exercise \d+", html)
        assert "Exercise 1" in titles and "Exercise 2" in titles, (page, titles)
        assert "Exercise 3" not in titles and "Exercise 4" not in titles, (page, titles)
        assert re.search(r"Solution to(?:<[^>]+>|\s)*Exercise 2", html), page
