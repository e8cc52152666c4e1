"""A Sphinx extension: the course's fixes to the book theme (sphinx-book-theme on pydata-sphinx-theme).

Every page of the site must work on a phone, pass axe-core and log no error in the console:

- ``site_templates/`` overrides the theme's search and colour-mode buttons, whose accessible names
  did not contain their visible text (axe: label-content-name-mismatch);
- ``site_assets/course-site.css|js`` make wide tables scroll in their own box with a visible cue,
  and let long code and headings wrap on a phone; ``favicon.svg`` is the course's icon;
- each page's HTML: an empty table header cell (pandas' index corner, a Markdown table's empty
  corner) is written as ``<td>`` (axe: empty-table-header), and the references list's entries get
  the role its ``role="list"`` requires (axe: aria-required-children);
- inline scripts that Sphinx 7 writes twice (sphinx-thebe's ``const THEBE_JS_URL``, which then
  throws "Identifier 'THEBE_JS_URL' has already been declared" on every page) are written once;
- the colour mode defaults to "auto" (an empty default logs "Got invalid theme mode");
- every page that moved (`course.MOVED`) keeps a small page at its old address that forwards
  to the new one, with the anchor, so old links and bookmarks keep working.
"""

from __future__ import annotations

import html as _html
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
TEMPLATES = HERE / "templates"

# <th ...></th>, <th ...><p></p></th> (docutils), blanks or &nbsp; inside: a header with no text.
_BLANK = r"(?:\s|&nbsp;|&#160;)*"
_EMPTY_TH = re.compile(rf"<th(\s[^>]*)?>({_BLANK}(?:<p>{_BLANK}</p>)?{_BLANK})</th>")


def fix_body(html: str) -> str:
    """A page body's HTML with empty header cells as data cells and list roles that axe accepts."""
    html = _EMPTY_TH.sub(lambda m: f"<td{m.group(1) or ''}>{m.group(2)}</td>", html)
    # docutils writes <div role="list" class="citation-list"> around role="doc-biblioentry"
    # entries; a list needs list items (and doc-biblioentry is deprecated in DPUB-ARIA 1.1).
    return html.replace('role="doc-biblioentry"', 'role="listitem"')


def unique_scripts(scripts: list[Any]) -> list[Any]:
    """Sphinx's script entries less repeats. Sphinx 7 registers an inline script added after the
    builder starts twice (once with filename None, once with ''), so it runs twice on the page."""
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for js in scripts:
        filename = getattr(js, "filename", js) or ""
        attributes = getattr(js, "attributes", {}) or {}
        key = (filename, getattr(js, "priority", 0), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    return kept


def _config_inited(app: Any, config: Any) -> None:
    config.templates_path.insert(0, str(TEMPLATES))  # before the theme's own components
    config.html_static_path.append(str(ASSETS))
    if not config.html_favicon:
        config.html_favicon = str(ASSETS / "favicon.svg")
    if not config.html_context.get("default_mode"):  # pydata-sphinx-theme reads it from here
        config.html_context["default_mode"] = "auto"


def _page_context(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                  doctree: Any) -> None:
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        scripts[:] = unique_scripts(scripts)
    if isinstance(context.get("body"), str):
        context["body"] = fix_body(context["body"])


def forwarding_page(old: str, new: str) -> str:
    """The HTML left at ``old`` (a page path without suffix) that forwards to ``new``."""
    depth = old.count("/")
    target = _html.escape("../" * depth + new + ".html")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>This page has moved</title>
<link rel="canonical" href="{target}">
<meta http-equiv="refresh" content="0; url={target}">
<script>location.replace("{target}" + location.hash);</script>
</head><body><main><h1>This page has moved</h1>
<p>It is now at <a href="{target}">{target}</a>.</p></main></body></html>
"""


def _write_forwarding_pages(app: Any, exception: Exception | None) -> None:
    from tune_or_prompt.course.pages import MOVED

    if exception is not None or app.builder.format != "html":
        return
    for old, new in MOVED.items():
        if old in app.env.all_docs:  # never hide a real page that took the old address
            continue
        path = Path(app.outdir) / f"{old}.html"  # (a stale copy of the old page is replaced)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(forwarding_page(old, new), encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _write_forwarding_pages)
    app.add_css_file("course-site.css")
    app.add_js_file("course-site.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
