"""Markdown to safe HTML: raw HTML in the bank is shown as text, never interpreted."""

from __future__ import annotations

import functools

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


@functools.lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    # "commonmark" with html disabled: tags are escaped; markdown-it also refuses javascript: links.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.core.ruler.push("empty_header_cells", _empty_header_cells)
    return md


def md_block(text: str) -> str:
    """Render block Markdown (paragraphs, lists, code) to HTML."""
    return _md().render(text or "").strip()


def md_inline(text: str) -> str:
    """Render inline Markdown (no wrapping paragraph) to HTML."""
    return _md().renderInline(text or "")
