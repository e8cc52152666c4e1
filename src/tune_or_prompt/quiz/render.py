"""Markdown to safe HTML: raw HTML in the bank is shown as text, never interpreted."""

from __future__ import annotations

import functools

from markdown_it import MarkdownIt


@functools.lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    # "commonmark" with html disabled: tags are escaped; markdown-it also refuses javascript: links.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    return md.enable(["table", "strikethrough"])


def md_block(text: str) -> str:
    """Render block Markdown (paragraphs, lists, code) to HTML."""
    return _md().render(text or "").strip()


def md_inline(text: str) -> str:
    """Render inline Markdown (no wrapping paragraph) to HTML."""
    return _md().renderInline(text or "")
