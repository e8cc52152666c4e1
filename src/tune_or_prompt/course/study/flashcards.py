"""Flashcards from the course glossary (book/glossary.md), both directions.

Each glossary entry (one or more terms, then an indented definition) gives two cards: the term
asking for its definition, and the definition (the term blanked out) asking for the term. The
learner rates each card ("I knew it" or "Not yet") and `scheduler.answer` files it in its box,
exactly as Review files questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tune_or_prompt.course.learner_notebook import sphinx_id
from tune_or_prompt.course.quiz.render import md_inline

ROLE = re.compile(r"\{(\w+)(?::\w+)?\}`([^`]*)`")
BLANK = "[?]"


class GlossaryError(ValueError):
    """A glossary entry the flashcards cannot use; the message names file, line and field."""


@dataclass(frozen=True)
class Entry:
    terms: tuple[str, ...]
    definition: str  # Markdown, MyST roles turned into plain text
    line: int

    @property
    def key(self) -> str:
        return sphinx_id(self.terms[0])

    @property
    def anchor(self) -> str:
        return "term-" + sphinx_id(self.terms[0])


def _plain(text: str) -> str:
    """MyST roles as the words a reader sees: {term}`x <y>` -> x; citations dropped."""
    def one(match: re.Match[str]) -> str:
        role, body = match.group(1), match.group(2)
        if role == "cite":
            return ""
        return re.sub(r"\s*<[^>]*>$", "", body)
    return re.sub(r"\s+([.,;:])", r"\1", ROLE.sub(one, text)).strip()


def glossary_path() -> Path:
    """book/glossary.md of the course folder: upwards from the working directory, else from this
    package (an editable install inside the course repository), as for the question bank."""
    for origin in (Path.cwd(), Path(__file__).resolve()):
        for folder in [origin, *origin.parents]:
            if (folder / "book" / "glossary.md").is_file():
                return folder / "book" / "glossary.md"
    raise FileNotFoundError("Cannot find book/glossary.md: run from inside the course folder.")


def load_glossary(path: Path | None = None) -> list[Entry]:
    """Every entry of the ``{glossary}`` directive, in the page's order."""
    path = path or glossary_path()
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("```{glossary}"))
    except StopIteration:
        raise GlossaryError(f"{path}: no {{glossary}} directive") from None
    entries: list[Entry] = []
    terms: list[str] = []
    body: list[str] = []
    first = 0

    def close(at: int) -> None:
        if terms:
            definition = _plain(" ".join(body))
            if not definition:
                raise GlossaryError(f"{path}:{first}: term {terms[0]!r}: definition is empty")
            entries.append(Entry(tuple(terms), definition, first))

    for number, line in enumerate(lines[start + 1:], start=start + 2):
        if line.startswith("```"):
            close(number)
            break
        if not line.strip():
            if terms and not body:  # Sphinx reads term lines only when they touch: a gap ends them
                raise GlossaryError(f"{path}:{first}: term {terms[0]!r}: definition is empty")
            continue
        if line[0].isspace():
            if not terms:
                raise GlossaryError(f"{path}:{number}: definition: it comes before any term")
            body.append(line.strip())
        else:
            if body:  # a new entry starts
                close(number)
                terms, body = [], []
            if not terms:
                first = number
            terms.append(line.strip())
    else:
        raise GlossaryError(f"{path}: the {{glossary}} directive is never closed")
    seen: set[str] = set()
    for e in entries:
        if e.key in seen:
            raise GlossaryError(f"{path}:{e.line}: term {e.terms[0]!r}: defined twice")
        seen.add(e.key)
    return entries


def blank_terms(entry: Entry) -> str:
    """The definition with the entry's own terms blanked (so it does not give the answer)."""
    text = entry.definition
    for term in sorted(entry.terms, key=len, reverse=True):
        text = re.sub(r"(?i)(?<![\w-])" + re.escape(term) + r"(?:s|es)?(?![\w-])", BLANK, text)
    return text


SEED = 2026  # the deck order on the site: shuffled once with this seed, the same for everyone
GAP = 3  # the two cards of one term are at least this many places apart


def deck_order(keys: list[str], seed: int = SEED, gap: int = GAP) -> list[tuple[str, str]]:
    """Both directions of every key, interleaved and shuffled with ``seed``: (key, direction)
    pairs in which the two cards of one key stand at least ``gap`` places apart (when the deck
    is big enough), so neither direction answers the other and neither comes in a block."""
    import random

    rng = random.Random(seed)
    pool = [(k, d) for k in keys for d in ("term", "definition")]
    rng.shuffle(pool)
    out: list[tuple[str, str]] = []
    while pool:  # take the first card whose twin is not among the last `gap - 1` placed
        recent = {k for k, _ in out[-(gap - 1):]} if gap > 1 else set()
        pick = next((i for i, (k, _) in enumerate(pool) if k not in recent), 0)
        out.append(pool.pop(pick))
    return out


def cards(entries: list[Entry] | None = None, seed: int = SEED) -> list[dict[str, str]]:
    """Two cards per entry, HTML rendered safely (raw HTML in the glossary is escaped), in
    `deck_order`: both directions mixed, shuffled with ``seed``."""
    entries = entries if entries is not None else load_glossary()
    by_key = {e.key: e for e in entries}
    out = []
    for key, direction in deck_order([e.key for e in entries], seed):
        e = by_key[key]
        if direction == "term":
            out.append({"id": f"{e.key}:term", "direction": "term",
                        "front": md_inline(f"**{' / '.join(e.terms)}**"),
                        "ask": "What does this term mean?", "back": md_inline(e.definition),
                        "anchor": e.anchor})
        else:
            out.append({"id": f"{e.key}:definition", "direction": "definition",
                        "front": md_inline(blank_terms(e)), "ask": "Which term is this?",
                        "back": md_inline(f"**{' / '.join(e.terms)}**"), "anchor": e.anchor})
    return out
