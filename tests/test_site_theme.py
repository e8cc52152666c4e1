"""The course's Sphinx theme fixes (tune_or_prompt.site.theme) and the quiz's table markup."""

from __future__ import annotations

import pytest

from tune_or_prompt.course.quiz.render import md_block
from tune_or_prompt.site import theme as site_theme


def test_empty_header_cells_become_data_cells():
    pandas = '<thead><tr style="text-align: right;">\n      <th></th>\n      <th>model</th>'
    docutils = '<tr class="row-odd"><th class="head"><p></p></th>\n<th class="head"><p>Yes</p></th>'
    assert site_theme.fix_body(pandas) == (
        '<thead><tr style="text-align: right;">\n      <td></td>\n      <th>model</th>')
    assert site_theme.fix_body(docutils) == (
        '<tr class="row-odd"><td class="head"><p></p></td>\n<th class="head"><p>Yes</p></th>')
    assert site_theme.fix_body('<th class="blank level0" >&nbsp;</th>') == (
        '<td class="blank level0" >&nbsp;</td>')  # a pandas Styler's corner
    assert site_theme.fix_body("<thead><th>x</th></thead>") == "<thead><th>x</th></thead>"


def test_references_list_items_get_a_role_a_list_allows():
    body = '<div role="list" class="citation-list">\n<div class="citation" role="doc-biblioentry">'
    assert 'role="listitem"' in site_theme.fix_body(body)
    assert "doc-biblioentry" not in site_theme.fix_body(body)


def test_an_inline_script_registered_twice_is_written_once():
    from sphinx.builders.html._assets import _JavaScript

    thebe = "const THEBE_JS_URL = 'x'"
    scripts = [_JavaScript("_static/a.js"), _JavaScript(None, body=thebe),
               _JavaScript("", body=thebe), _JavaScript("_static/a.js", priority=200)]
    assert site_theme.unique_scripts(scripts) == [scripts[0], scripts[1], scripts[3]]


@pytest.mark.parametrize("name", ["course-site.css", "course-site.js", "favicon.svg"])
def test_assets_and_templates_ship_with_the_package(name):
    assert (site_theme.ASSETS / name).is_file()
    for template in ("search-button-field.html", "theme-switcher.html"):
        assert (site_theme.TEMPLATES / template).is_file()


def test_quiz_tables_have_no_empty_header_cell():
    table = md_block("| | Predicted yes | Predicted no |\n|---|---|---|\n| Actual yes | 8 | 2 |")
    assert "<th></th>" not in table and "<td></td>" in table
    assert "<th>Predicted yes</th>" in table
