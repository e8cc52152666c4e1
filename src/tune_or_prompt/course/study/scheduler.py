"""The one spaced-review scheduler: Leitner boxes, for Review and for Flashcards.

A card sits in a box; box ``b`` comes back ``INTERVALS[b - 1]`` days after it was last answered.
A hit moves the card up one box (at most the last); a miss sends it back to box 1. A card never
answered before sits in box 1 (``NEW_BOX``), so the first rating already counts: a first hit
("I knew it") moves it up to box 2, back in 2 days; a first miss ("Not yet") keeps it in box 1,
back tomorrow. A deck may cap how many new cards it offers a day (``NEW_PER_DAY`` for the
flashcards): cards already scheduled are always offered.

These rules live here only. The browser view receives them as data (`rules()`, in each study
page's payload) and applies them with the few lines of `study.js` that read that data; a browser
test replays the same answers and dates through both and checks they agree.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

INTERVALS: tuple[int, ...] = (1, 2, 4, 8, 16)  # days until a card in box 1, 2, ... is due again
MISS_BOX = 1  # where a missed card goes back to
NEW_BOX = 1  # where a card never answered sits: a first hit moves it up from here
NEW_PER_DAY = 10  # new flashcards offered a day (120 on the first day was a wall, not a deck)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Card:
    """Where one question or flashcard stands: its box and the day it is next due."""

    box: int
    due: str  # ISO date, YYYY-MM-DD

    def to_json(self) -> dict[str, Any]:
        return {"box": self.box, "due": self.due}


def _day(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def answer(card: Card | None, correct: bool, today: dt.date | str) -> Card:
    """The card after one answer on ``today``: a hit moves up a box, a miss goes to box 1; a new
    card starts from box 1 (a first hit: box 2)."""
    box = min((card.box if card else NEW_BOX) + 1, len(INTERVALS)) if correct else MISS_BOX
    return Card(box, (_day(today) + dt.timedelta(days=INTERVALS[box - 1])).isoformat())


def is_due(card: Card | None, today: dt.date | str) -> bool:
    """A card is due on or after its date; a card never answered is due now."""
    return card is None or _day(card.due) <= _day(today)


def rules() -> dict[str, Any]:
    """The rules as data, for the browser view."""
    return {"intervals": list(INTERVALS), "missBox": MISS_BOX, "newBox": NEW_BOX}


def card_from_json(data: Any) -> Card:
    """A stored card, checked: box within the boxes, due a real ISO date."""
    if not isinstance(data, dict):
        raise ValueError("a card must be an object with 'box' and 'due'")
    box, due = data.get("box"), data.get("due")
    if not isinstance(box, int) or isinstance(box, bool) or not 1 <= box <= len(INTERVALS):
        raise ValueError(f"box must be a whole number from 1 to {len(INTERVALS)}, not {box!r}")
    if not isinstance(due, str) or not DATE.match(due):
        raise ValueError(f"due must be a date like 2026-01-31, not {due!r}")
    dt.date.fromisoformat(due)
    return Card(box, due)


class Deck:
    """Cards by id, scheduled with `answer` (the live view's memory of Review or Flashcards)."""

    def __init__(self, ids: list[str], cards: dict[str, Card] | None = None,
                 new_per_day: int | None = None):
        self.ids = list(ids)
        self.cards: dict[str, Card] = dict(cards or {})
        self.new_per_day = new_per_day  # None: every new card is offered at once
        self.new_seen: dict[str, int] = {}  # ISO day -> new cards answered that day

    def new_left(self, today: dt.date | str) -> int | None:
        """How many more new cards may be offered on ``today`` (None: no cap)."""
        if self.new_per_day is None:
            return None
        return max(self.new_per_day - self.new_seen.get(_day(today).isoformat(), 0), 0)

    def due(self, today: dt.date | str) -> list[str]:
        """Ids due on ``today``: cards already scheduled first (lowest box, then earliest date),
        then cards never answered, in deck order, at most `new_left` of them. (study.js sorts
        and caps the same way.)"""
        due = [i for i in self.ids if is_due(self.cards.get(i), today)]
        ordered = sorted(due, key=lambda i: (0, self.cards[i].box, self.cards[i].due)
                         if i in self.cards else (1, 0, ""))
        left = self.new_left(today)
        if left is None:
            return ordered
        seen = [i for i in ordered if i in self.cards]
        return seen + [i for i in ordered if i not in self.cards][:left]

    def record(self, card_id: str, correct: bool, today: dt.date | str) -> Card:
        if card_id not in self.cards:
            day = _day(today).isoformat()
            self.new_seen[day] = self.new_seen.get(day, 0) + 1
        self.cards[card_id] = answer(self.cards.get(card_id), correct, today)
        return self.cards[card_id]

    def boxes(self) -> list[int]:
        """How many cards are in each box (cards never answered are not counted)."""
        counts = [0] * len(INTERVALS)
        for card in self.cards.values():
            counts[card.box - 1] += 1
        return counts

    def next_due(self) -> str | None:
        return min((c.due for c in self.cards.values()), default=None)
