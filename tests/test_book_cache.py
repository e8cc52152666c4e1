"""The book's execution cache and the page scripts: an edit of quiz.js, study.js or the
decision helper's script runs the pages that embed them again (their cached outputs hold the
old copies inline), and leaves the other pages' cached runs alone."""

from __future__ import annotations

import os

import pytest

from tune_or_prompt import book

jupyter_cache = pytest.importorskip("jupyter_cache")

HEAD = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---

# A page

```{code-cell} ipython3
CODE
```
"""


def page(root, folder: str, name: str, code: str):
    path = root / folder / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD.replace("CODE", code), encoding="utf-8")
    return path


def test_changed_page_scripts_drop_only_the_pages_that_embed_them(tmp_path):
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    quiz = page(tmp_path, "quizzes", "q", "from tune_or_prompt.course.quiz import lesson_quiz")
    plain = page(tmp_path, "lessons", "l", "print(1 + 1)")
    cache = get_cache(str(tmp_path / "cache"))
    for path in (quiz, plain):
        cache.cache_notebook_bundle(CacheBundleIn(book._read(path), str(path)),
                                    check_validity=False, overwrite=True)
    os.utime(quiz, (1, 1))
    stamp = tmp_path / "cache" / "page-scripts"
    stamp.write_text("an older version\n", encoding="utf-8")

    assert book._refresh_page_scripts(tmp_path, cache, stamp) == [quiz]
    with pytest.raises(KeyError):
        cache.match_cache_notebook(book._read(quiz))
    cache.match_cache_notebook(book._read(plain))  # still cached
    assert quiz.stat().st_mtime > 1  # Sphinx will write the page again
    assert stamp.read_text(encoding="utf-8").strip() == book.page_scripts_version()
    # Nothing changed since: nothing is dropped.
    cache.cache_notebook_bundle(CacheBundleIn(book._read(quiz), str(quiz)),
                                check_validity=False, overwrite=True)
    assert book._refresh_page_scripts(tmp_path, cache, stamp) == []
    cache.match_cache_notebook(book._read(quiz))
