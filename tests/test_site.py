"""The built site: every TOC page built and executed, and quizzes that grade in a real browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tune_or_prompt.book import error_reports
from tune_or_prompt.course import notebooks
from tune_or_prompt.course.pages import MOVED, toc_files
from tune_or_prompt.course.quiz import lesson_quiz

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_PAGES = [str(p.relative_to(ROOT).with_suffix("")) for p in notebooks.find_notebooks(ROOT)]


def test_every_toc_page_is_built_and_in_the_navigation(site):
    """Each page the TOC lists exists and the home page's navigation links to it (a page built
    but left out of the navigation is one no reader finds)."""
    assert (site / "index.html").exists()
    root = toc_files(ROOT)[0]
    home = (site / f"{root}.html").read_text(encoding="utf-8")
    for entry in toc_files(ROOT):
        assert (site / f"{entry}.html").exists(), f"{entry} was not built"
        if entry != root:
            link = os.path.relpath(ROOT / f"{entry}.html", (ROOT / root).parent)
            assert f'href="{link}"' in home, f"{entry} is not in the navigation"


@pytest.mark.parametrize("page_name", NOTEBOOK_PAGES)
def test_notebook_executed(site, page_name):
    reports = {k: v for k, v in error_reports(site.parent).items() if Path(page_name).name in k}
    assert not reports, f"{page_name} failed to execute:\n" + "\n".join(reports.values())
    html = (site / f"{page_name}.html").read_text()
    assert "cell_output" in html, f"{page_name} shows no outputs: was it executed?"
    assert "Traceback" not in html
    source = (ROOT / f"{page_name}.md").read_text()
    figures = source.count("plots.")
    images = html.count('src="../_images/')  # figures made by the notebook, not theme logos
    assert images >= figures, f"{page_name}: {figures} figure calls but {images} images with alt text"


def _check(question):
    question.get_by_role("button", name="Check").click()
    return question.locator(".tq-feedback")


@pytest.mark.browser
def test_quiz_page_grades_wrong_then_right(page, site_url):
    bank_quiz = lesson_quiz("two-ways")
    index, q = next((i, q) for i, q in enumerate(bank_quiz.questions) if q.type == "single")
    right = next(i for i, o in enumerate(q.options) if o.correct)
    wrong = next(i for i, o in enumerate(q.options) if not o.correct)

    page.goto(f"{site_url}/quizzes/01-two-ways-quiz.html")
    question = page.locator(f'[data-qid="{q.id}"]')
    question.locator("input").nth(wrong).check()
    feedback = _check(question)
    assert "Not quite." in feedback.inner_text()
    assert question.locator(".tq-opt-feedback").nth(wrong).is_visible()
    question.locator("input").nth(right).check()
    assert "Correct." in _check(question).inner_text()
    assert page.locator(".tq-score").first.inner_text().startswith("Score: 1 of")
    assert page.errors == []
    assert page.outside_requests == []
    assert index >= 0


def test_no_page_loads_scripts_or_styles_from_the_internet(site):
    """Offline first: the built site works with no network (MathJax from a CDN crept in once)."""
    import re

    outside = re.compile(r'<(?:script|link)\b[^>]*(?:src|href)="(?:https?:)?//[^"]+"[^>]*>')
    offenders = {}
    for path in site.rglob("*.html"):
        found = [m for m in outside.findall(path.read_text(encoding="utf-8"))
                 if "rel=\"canonical\"" not in m and "rel=\"preconnect\"" not in m]
        if found:
            offenders[str(path.relative_to(site))] = found[:2]
    assert not offenders, offenders


def test_twins_quote_the_values_the_built_pages_glued(site):
    """The .ipynb twins show the values the pages' own cells glued: the build must have run
    exactly the committed code, and glued what the twins quote (else `make book`, `make sync`)."""
    from tune_or_prompt.course import learner_notebook as learner
    from tune_or_prompt.course.numbers import quoted_names, reference

    recorded = learner.Site.load(ROOT).page_values
    build = site.parent / "jupyter_execute"
    for path in notebooks.find_notebooks(ROOT):
        doc = str(path.relative_to(ROOT).with_suffix(""))
        own = [n for n in quoted_names(path.read_text()) if n not in reference()]
        if not own:
            continue
        code = [c.source for c in notebooks._expected(path, ROOT).cells if c.cell_type == "code"]
        built = learner.built_page_values(build, doc, code)
        assert built is not None, f"{doc}: the build did not run the committed code"
        for name in own:
            assert recorded.get(doc, {}).get(name) == built[name], (
                f"{doc}: the twin quotes {name} = {recorded.get(doc, {}).get(name)!r}, the "
                f"build glued {built[name]!r}; run `make sync` after `make book`")


def test_every_link_in_the_twins_reaches_a_page_and_anchor_of_the_site(site):
    import json
    import re

    from tune_or_prompt.course.learner_notebook import site_url

    base = site_url(ROOT)
    links = set()
    for path in notebooks.find_notebooks(ROOT):
        for cell in json.loads(path.with_suffix(".ipynb").read_text())["cells"]:
            links.update(re.findall(re.escape(base) + r"/([^)\s#]+)(?:#([^)\s]+))?",
                                    "".join(cell["source"])))
    assert len(links) > 50
    for page, anchor in sorted(links):
        html = site / page
        assert html.exists(), f"twins link to {page}, which the site does not have"
        if anchor:
            assert f'id="{anchor}"' in html.read_text(), f"{page} has no #{anchor}"


@pytest.mark.browser
@pytest.mark.parametrize("old", sorted(MOVED))
def test_a_moved_page_forwards_its_old_address_with_the_anchor(page, site, site_url, old):
    """Lessons were renumbered: an old link or bookmark still lands on the page and section."""
    new = MOVED[old]
    assert (site / f"{new}.html").exists(), f"{new} is not built"
    import re

    article = (site / f"{new}.html").read_text(encoding="utf-8").split("<article", 1)[1]
    anchor = re.findall(r' id="([A-Za-z][\w-]*)"', article)[-1]  # deep in the page
    page.goto(f"{site_url}/{old}.html#{anchor}")
    page.wait_for_url(f"**/{new}.html#{anchor}")
    assert page.locator(f'[id="{anchor}"]').count() == 1
    assert page.errors == []
