"""Markdown to safe HTML: raw HTML in the bank is shown as text, never interpreted, and images
and links may point only at the course's own files (a relative path or a #fragment): a URL with
a scheme (https:, data:, ...) or a host (//...) is shown as text, so the site loads nothing from
elsewhere. `quiz check` reports such URLs (`foreign_urls`)."""

from __future__ import annotations

import functools
import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore


def _empty_header_cells(state: StateCore) -> None:
    """Write an empty table header cell (a confusion matrix's corner) as <td>: a header with no
    text names nothing, and screen readers announce it as an empty header."""
    tokens = state.tokens
    for i, token in enumerate(tokens[:-2]):
        if (token.type == "th_open" and tokens[i + 1].type == "inline"
                and not tokens[i + 1].content.strip() and tokens[i + 2].type == "th_close"):
            token.tag = tokens[i + 2].tag = "td"


_FOREIGN = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|[/\\]{2})", re.IGNORECASE)


def is_own_url(url: str) -> bool:
    """Whether a link or image URL names one of the course's own files: no scheme, no host."""
    return not _FOREIGN.match(url)


@functools.lru_cache(maxsize=2)
def _md(own_only: bool = True) -> MarkdownIt:
    # "commonmark" with html disabled: tags are escaped; markdown-it also refuses javascript: links.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.core.ruler.push("empty_header_cells", _empty_header_cells)
    if own_only:
        md.validateLink = is_own_url  # a foreign link or image stays literal text
    return md


def foreign_urls(text: str) -> list[tuple[str, str]]:
    """The (kind, URL) of every image and link in ``text`` that is not the course's own
    ("image" or "link"), autolinks included."""
    found = []
    for token in _md(own_only=False).parse(text or ""):
        for child in token.children or ():
            if child.type == "image":
                url, kind = str(child.attrs.get("src", "")), "image"
            elif child.type == "link_open":
                url, kind = str(child.attrs.get("href", "")), "link"
            else:
                continue
            if not is_own_url(url):
                found.append((kind, url))
    return found


def md_block(text: str) -> str:
    """Render block Markdown (paragraphs, lists, code) to HTML."""
    return _md().render(text or "").strip()


def md_inline(text: str) -> str:
    """Render inline Markdown (no wrapping paragraph) to HTML."""
    return _md().renderInline(text or "")
