"""The static view: a self-contained HTML fragment (inline CSS and JS, no network, no kernel)."""

from __future__ import annotations

import functools
import html
import json
from importlib import resources
from typing import Any


@functools.cache
def asset(name: str, package: str = "tune_or_prompt.course.quiz") -> str:
    """A JS or CSS file shipped in ``package`` (the quiz's by default), read once."""
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def json_for_script(data: Any) -> str:
    """JSON that is safe inside <script>: no '<', '>' or '&' can close the tag or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render(config: dict[str, Any], label: str) -> str:
    """The fragment for one quiz (or the progress table); ``label`` names it for screen readers."""
    return (
        f'<div class="top-quiz" data-top-quiz role="region" aria-label="{html.escape(label)}">'
        f'<script type="application/json">{json_for_script(config)}</script>'
        '<p class="tq-noscript">This quiz needs JavaScript in your browser. '
        "You can also run this page as a notebook (Jupyter or Colab) to use it there.</p>"
        "</div>"
        f"<style>{asset('quiz.css')}</style>"
        f"<script>{asset('quiz.js')}</script>"
    )
