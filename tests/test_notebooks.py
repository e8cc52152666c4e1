"""Notebooks: in the TOC, committed without outputs, .md and .ipynb in sync, Colab-ready."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tune_or_prompt import notebooks
from tune_or_prompt.book import toc_files

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
    from tune_or_prompt.course import LESSONS

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
        assert source.startswith(notebooks.SETUP_MARKER) and url in source, path
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
