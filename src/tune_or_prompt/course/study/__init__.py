"""Ways to study: spaced review, the decision drill, mistakes to retry, worked examples,
explain it back, the quick path, and study progress.

Like the quizzes, each mode is one object shown two ways: ipywidgets in a live kernel, and a
self-contained HTML/JS fragment on the static site that works with no kernel and no network.
Questions are graded by `quiz.grading` (the browser by quiz.js, from the same answer data);
reviews are scheduled by `study.scheduler` (the browser from the same rules, sent as data);
the drill is graded against `decide.recommend` (the browser from its precomputed answers);
worked examples' steps are numeric questions whose answers `study.worked` computes with the
package's own formulas (graded by `quiz.grading` too); explain-it-back prompts come from
``study/explain-it-back.yaml`` (`study.explain`); the quick path is a `quiz.Quiz` of bank questions.

>>> from tune_or_prompt.course.study import review, drill
>>> review()          # in a notebook: the questions due today
"""

from __future__ import annotations

import datetime as dt
import html
import random
from typing import Any

from tune_or_prompt.course import decide
from tune_or_prompt.course.html_view import asset, json_for_script
from tune_or_prompt.course.pages import LESSONS
from tune_or_prompt.course.quiz import STORAGE_PREFIX, load_bank
from tune_or_prompt.course.quiz.payload import lesson_links, question_payload
from tune_or_prompt.course.quiz.schema import Bank

from . import scheduler

# The glossary's cards come from the submodule `study.flashcards`; importing it here, before the
# function `flashcards` below is defined, keeps that name the function: a submodule imported
# later (by any code) would otherwise replace it, and a rerun of
# `from tune_or_prompt.course.study import flashcards` in a notebook would get the module.
from .flashcards import cards as _glossary_cards

__all__ = ["Drill", "ExplainItBack", "Flashcards", "Mistakes", "Mixed", "Review", "StudyProgress",
           "WorkedExamples", "drill", "explain_it_back", "flashcards", "interleave", "mistakes",
           "mixed", "print_style", "quick_path", "review", "study_progress", "worked_examples"]

STUDY_PREFIX = "top-study:v1:"
REVIEW_KEY = STUDY_PREFIX + "review"
DRILL_KEY = STUDY_PREFIX + "drill"
MIXED_KEY = STUDY_PREFIX + "mixed"
FLASHCARDS_KEY = STUDY_PREFIX + "flashcards"
WORKED_KEY = STUDY_PREFIX + "worked"
EXPLAIN_KEY = STUDY_PREFIX + "explain"
ANSWERS_KEY = STUDY_PREFIX + "answers"  # quiz.js's ledger: the latest verdict on every question
QUICK_PATH_ID = "quick-path"  # a quiz: its answers are kept under the quiz prefix
WORKED_SEED = 2026  # the seed of the worked-examples page (My progress counts its steps)
# The quick path's five questions: one idea each from the decision's core (bank ids).
QUICK_QUESTIONS: tuple[str, ...] = ("two-ways/main-difference", "prompting/product-facts",
                                    "measuring/matrix-precision", "choosing/break-even",
                                    "choosing/measure-first")
EXPORT_FORMAT = "tune-or-prompt-progress"
EXPORT_VERSION = 1


def render(config: dict[str, Any], label: str) -> str:
    """A study fragment: its JSON, the quiz view (for its questions and grader), the study view."""
    return (
        f'<div class="top-quiz top-study" data-top-study role="region" aria-label="{html.escape(label)}">'
        f'<script type="application/json">{json_for_script(config)}</script>'
        '<p class="ts-noscript">This page needs JavaScript in your browser. You can also run it '
        "as a notebook (Jupyter or Colab) to use it there.</p></div>"
        f"<style>{asset('quiz.css')}</style>"
        f"<style>{asset('study.css', __package__)}</style>"
        f"<script>{asset('quiz.js')}</script>"
        f"<script>{asset('study.js', __package__)}</script>"
    )


def _quiz_keys() -> dict[str, str]:
    """Each lesson quiz's storage key (where quiz.js keeps its answers), by lesson slug."""
    return {lesson.slug: STORAGE_PREFIX + lesson.slug for lesson in LESSONS}


def _common(bank: Bank) -> dict[str, Any]:
    return {"rules": scheduler.rules(), "quizKeys": _quiz_keys(),
            "questions": [question_payload(q) for q in bank.questions],
            "lessons": lesson_links("../"), "reviewKey": REVIEW_KEY,
            "quizLinks": {lesson.slug: {"title": f"Quiz {lesson.number}: {lesson.title}",
                                        "href": f"../{lesson.quiz_page}.html"}
                          for lesson in LESSONS if bank.by_lesson(lesson.slug)}}


class _Mode:
    """Shared display plumbing: the widget in a kernel, the HTML fragment on the site."""

    label = ""
    widget_class = ""  # the ipywidgets view's class in `.widget`; none: the HTML view only
    _widget: Any = None

    def config(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_html(self) -> str:
        return render(self.config(), self.label)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = {"text/html": self.to_html(), "text/plain": repr(self)}
        box = self.widget_box()
        if box is not None:
            bundle["application/vnd.jupyter.widget-view+json"] = {
                "version_major": 2, "version_minor": 0, "model_id": box.model_id}
        return bundle

    def widget(self) -> Any:
        """The ipywidgets view, made once (None for a mode with only the HTML view)."""
        if self._widget is None and self.widget_class:
            from . import widget

            self._widget = getattr(widget, self.widget_class)(self)
        return self._widget

    def widget_box(self) -> Any:
        view = self.widget()
        return None if view is None else view.box


class Review(_Mode):
    """Spaced review of the bank's questions (Leitner boxes, `scheduler`).

    On the site it reads the answers the lesson quizzes keep in the browser: a question missed
    there is due now; one answered right is first due a day later. In a kernel, where no quiz
    answers are stored, every question starts due and the deck lives in this object.
    """

    label = "Review"
    widget_class = "ReviewWidget"  # in .widget

    def __init__(self, bank: Bank | None = None, today: dt.date | str | None = None):
        self.bank = bank or load_bank()
        self.by_id = {q.id: q for q in self.bank.questions}
        self.deck = scheduler.Deck([q.id for q in self.bank.questions])
        self.today = dt.date.fromisoformat(today) if isinstance(today, str) else today

    def config(self) -> dict[str, Any]:
        return {"mode": "review", **_common(self.bank)}

    def current_day(self) -> dt.date:
        return self.today or dt.date.today()

    def due(self) -> list[str]:
        return self.deck.due(self.current_day())


    def __repr__(self) -> str:
        return f"<Review: {len(self.due())} of {len(self.by_id)} questions due>"


class Mistakes(_Mode):
    """Every question answered wrong in the lesson quizzes, with its feedback, to retry.
    It reads the browser's quiz answers, so it shows on the course site only."""

    label = "Mistakes"

    def __init__(self, bank: Bank | None = None):
        self.bank = bank or load_bank()

    def config(self) -> dict[str, Any]:
        return {"mode": "mistakes", **_common(self.bank)}

    def __repr__(self) -> str:
        return "<Mistakes: shown on the course site, where quiz answers are kept>"


class Flashcards(_Mode):
    """Every glossary term, both directions, self-rated and scheduled like Review (the same
    `scheduler`). On the site the schedule is kept in the browser; in a kernel, in this object."""

    label = "Flashcards"
    widget_class = "FlashcardsWidget"  # in .widget

    def __init__(self, today: dt.date | str | None = None, entries: list[Any] | None = None):
        self.cards = _glossary_cards(entries)
        self.by_id = {c["id"]: c for c in self.cards}
        self.deck = scheduler.Deck([c["id"] for c in self.cards],
                                   new_per_day=scheduler.NEW_PER_DAY)
        self.today = dt.date.fromisoformat(today) if isinstance(today, str) else today

    def current_day(self) -> dt.date:
        return self.today or dt.date.today()

    def due(self) -> list[str]:
        return self.deck.due(self.current_day())

    def rate(self, card_id: str, knew_it: bool) -> scheduler.Card:
        """The learner's own rating: knew it (a hit) or not yet (a miss)."""
        return self.deck.record(card_id, knew_it, self.current_day())

    def config(self) -> dict[str, Any]:
        return {"mode": "flashcards", "rules": scheduler.rules(), "cards": self.cards,
                "newPerDay": scheduler.NEW_PER_DAY,
                "storageKey": FLASHCARDS_KEY, "glossary": "../book/glossary.html"}


    def __repr__(self) -> str:
        return f"<Flashcards: {len(self.due())} of {len(self.cards)} cards due>"


# --- Mixed practice ------------------------------------------------------------------------

def interleave(bank: Bank, seed: int = 0, rounds: int = 10) -> list[str]:
    """Question ids for mixed practice: every question once per round, each round shuffled by
    ``seed``, and never two questions from the same lesson in a row (when another is left), so
    each question makes you work out which lesson's idea it needs. Easy, medium and hard come
    mixed because the draw ignores difficulty."""
    rng = random.Random(seed)
    out: list[str] = []
    last = None
    for _ in range(rounds):
        pools = {}
        for q in bank.questions:
            pools.setdefault(q.lesson, []).append(q)
        for pool in pools.values():
            rng.shuffle(pool)
        while any(pools.values()):
            # the lesson with most questions left goes next (ties broken at random), but never
            # the lesson just asked
            lessons = sorted((s for s in pools if pools[s]), key=lambda s: (-len(pools[s]), rng.random()))
            pick = next((s for s in lessons if s != last), lessons[0])
            q = pools[pick].pop()
            out.append(q.id)
            last = q.lesson
    return out


class Mixed(_Mode):
    """Mixed practice: unlimited questions from every lesson and difficulty, interleaved.
    (Test yourself stays the fixed ten-question check.)"""

    label = "Mixed practice"
    widget_class = "MixedWidget"  # in .widget

    def __init__(self, seed: int = 0, bank: Bank | None = None):
        self.seed = seed
        self.bank = bank or load_bank()
        self.by_id = {q.id: q for q in self.bank.questions}
        self.order = interleave(self.bank, seed)
        self.position = 0

    def question(self, position: int | None = None) -> Any:
        p = self.position if position is None else position
        return self.by_id[self.order[p % len(self.order)]]

    def config(self) -> dict[str, Any]:
        return {"mode": "mixed", **_common(self.bank), "seed": self.seed, "order": self.order,
                "storageKey": MIXED_KEY}


    def __repr__(self) -> str:
        return f"<Mixed practice, seed {self.seed}: {len(self.by_id)} questions, interleaved>"


# --- The decision drill -------------------------------------------------------------------

def situations() -> list[tuple[int, ...]]:
    """Every situation the drill can set: one option from each of `decide.MENUS`."""
    import itertools

    return list(itertools.product(*(range(len(m[2])) for m in decide.MENUS)))


def drill_order(seed: int, evidence: decide.Evidence | None = None) -> list[int]:
    """The order the drill visits the situations in: a permutation of `situations()`, the same
    for the same seed (so a drill can be replayed), cycling when it runs out. The situations
    are dealt round the verdicts `decide.recommend` gives them (each verdict's own shuffled with
    the seed), so no one answer dominates the drill: most of the menus' combinations are
    "measure first", and a drill that asked them in that share would teach guessing."""
    evidence = evidence or decide.reference_evidence()
    groups: dict[str, list[int]] = {}
    for i, selection in enumerate(situations()):
        choice = decide.recommend(decide.situation_for(selection), evidence).choice
        groups.setdefault(choice, []).append(i)
    rng = random.Random(seed)
    names = sorted(groups)
    rng.shuffle(names)
    for name in names:
        rng.shuffle(groups[name])
    order: list[int] = []
    while any(groups.values()):
        order.extend(groups[name].pop() for name in names if groups[name])
    return order


def describe(selection: tuple[int, ...]) -> list[tuple[str, str]]:
    """The situation in words: (menu label, option label) for each menu."""
    return [(label, options[i][0])
            for (_, label, options), i in zip(decide.MENUS, selection, strict=True)]


class DrillResult:
    """The verdict on one drill answer: right when it is `decide.recommend`'s choice."""

    def __init__(self, chosen: str, rec: decide.Recommendation):
        self.chosen, self.recommendation = chosen, rec
        self.correct = chosen == rec.choice

    def __repr__(self) -> str:
        return f"<DrillResult {'right' if self.correct else 'wrong'}: {self.recommendation.choice}>"


def grade_drill(selection: tuple[int, ...], chosen: str,
                evidence: decide.Evidence | None = None) -> DrillResult:
    """Grade a drill answer against the course's decision function."""
    if chosen not in decide.CHOICES:
        raise ValueError(f"choose one of {decide.CHOICES}, not {chosen!r}")
    return DrillResult(chosen, decide.recommend(decide.situation_for(selection), evidence))


class Drill(_Mode):
    """Decision drill: a situation, your choice, graded against `decide.recommend` with its
    reasons. Unlimited (it cycles through every situation) and reproducible by ``seed``."""

    label = "Decision drill"
    widget_class = "DrillWidget"  # in .widget

    def __init__(self, seed: int = 0, evidence: decide.Evidence | None = None):
        self.seed = seed
        self.evidence = evidence or decide.reference_evidence()
        self.order = drill_order(seed, self.evidence)
        self.all = situations()
        self.position = 0

    def situation(self, position: int | None = None) -> tuple[int, ...]:
        p = self.position if position is None else position
        return self.all[self.order[p % len(self.order)]]

    def describe(self, position: int | None = None) -> list[tuple[str, str]]:
        """The situation at ``position`` (default: the current one) in words."""
        return describe(self.situation(position))

    def grade(self, chosen: str, position: int | None = None) -> DrillResult:
        return grade_drill(self.situation(position), chosen, self.evidence)

    def config(self) -> dict[str, Any]:
        helper = decide.DecisionHelper(self.evidence).payload()
        return {"mode": "drill", "seed": self.seed, "storageKey": DRILL_KEY,
                "menus": helper["menus"], "choices": helper["choices"], "texts": helper["texts"],
                "results": helper["results"], "source": helper["source"],
                "situations": ["-".join(map(str, s)) for s in self.all], "order": self.order}


    def __repr__(self) -> str:
        return f"<Decision drill, seed {self.seed}: {len(self.order)} situations>"


# --- Worked examples, faded ---------------------------------------------------------------

class WorkedExamples(_Mode):
    """Worked examples of one kind (`worked.KINDS`), faded: the first fully worked, each next
    one hiding one more step. Reproducible by ``seed``; every answer from the package's
    formulas (`worked`), every step graded by `quiz.grading`."""

    label = "Worked examples"
    widget_class = "WorkedWidget"  # in .widget

    def __init__(self, kind: str = "metrics", seed: int = WORKED_SEED):
        from .worked import KINDS, TITLES, problems

        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}: choose from {', '.join(KINDS)}")
        self.kind, self.seed = kind, seed
        self.problems = problems(kind, seed)
        self.label = f"Worked examples: {TITLES[kind]}"  # one region per kind, each named

    def config(self) -> dict[str, Any]:
        from tune_or_prompt.course.quiz.render import md_block, md_inline

        items = []
        for p in self.problems:
            steps = []
            for i, step in enumerate(p.steps):
                entry: dict[str, Any] = {"name": step.name, "formula": md_inline(step.formula)}
                if i in p.hidden_steps:
                    entry["question"] = question_payload(p.question(i))
                else:
                    entry["working"] = md_inline(step.working)
                    entry["answer"] = step.shown()
                    entry["unit"] = step.unit
                steps.append(entry)
            items.append({"id": p.id, "number": p.number, "hidden": p.hidden,
                          "givens": md_block(p.givens), "steps": steps})
        return {"mode": "worked", "kind": self.kind, "seed": self.seed, "storageKey": WORKED_KEY,
                "problems": items}


    def __repr__(self) -> str:
        asked = sum(p.hidden for p in self.problems)
        return (f"<Worked examples ({self.kind}), seed {self.seed}: {len(self.problems)} "
                f"problems, {asked} steps to fill in>")


def worked_examples(kind: str = "metrics", seed: int = WORKED_SEED) -> WorkedExamples:
    return WorkedExamples(kind, seed)


def faded_steps(seed: int = WORKED_SEED) -> int:
    """How many steps the worked-examples page leaves to the learner, all kinds together."""
    from .worked import KINDS, problems

    return sum(p.hidden for kind in KINDS for p in problems(kind, seed))


# --- Explain it back -------------------------------------------------------------------------

class ExplainItBack(_Mode):
    """Prompts to explain an idea in your own words, then a model answer and a checklist to
    grade yourself (`explain`). On the site the self-grade is kept in the browser."""

    label = "Explain it back"
    widget_class = "ExplainWidget"  # in .widget

    def __init__(self, path: Any = None):
        from .explain import load_prompts

        self.prompts = load_prompts(path)

    def config(self) -> dict[str, Any]:
        from .explain import payload

        return {"mode": "explain", "storageKey": EXPLAIN_KEY, "lessons": lesson_links("../"),
                "prompts": [payload(p) for p in self.prompts]}


    def __repr__(self) -> str:
        return f"<Explain it back: {len(self.prompts)} prompts>"


def explain_it_back(path: Any = None) -> ExplainItBack:
    return ExplainItBack(path)


# --- The quick path --------------------------------------------------------------------------

def quick_path(bank: Bank | None = None) -> Any:
    """The quick path's five questions (`QUICK_QUESTIONS`), as a quiz: the quiz's own view and
    grader, its answers kept like a lesson quiz's."""
    from tune_or_prompt.course.quiz import Quiz

    bank = bank or load_bank()
    return Quiz([bank.get(i) for i in QUICK_QUESTIONS], QUICK_PATH_ID,
                "Quick path: five questions")


class StudyProgress(_Mode):
    """Study modes on My progress, with export and import of all progress (site only)."""

    label = "Study progress and backup"

    def __init__(self, bank: Bank | None = None):
        self.bank = bank or load_bank()

    def config(self) -> dict[str, Any]:
        return {"mode": "progress", **_common(self.bank), "drillKey": DRILL_KEY,
                "mixedKey": MIXED_KEY, "flashKey": FLASHCARDS_KEY,
                "flashTotal": len(Flashcards().cards),
                "workedKey": WORKED_KEY, "workedTotal": faded_steps(),
                "explainKey": EXPLAIN_KEY, "explainTotal": len(ExplainItBack().prompts),
                "quickKey": STORAGE_PREFIX + QUICK_PATH_ID, "quickTotal": len(QUICK_QUESTIONS),
                "prefixes": [STORAGE_PREFIX, STUDY_PREFIX],
                "format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                "pages": {"review": "../study/review.html", "mistakes": "../study/mistakes.html",
                          "drill": "../study/decision-drill.html",
                          "mixed": "../study/mixed-practice.html",
                          "flashcards": "../study/flashcards.html",
                          "worked": "../study/worked-examples.html",
                          "explain": "../study/explain-it-back.html",
                          "quick": "../study/quick-path.html"}}

    def __repr__(self) -> str:
        return "<Study progress: shown on the course site, where answers are kept>"


class PrintStyle:
    """The cheat sheet's print stylesheet, as a page output (site only: a notebook prints as is)."""

    def _repr_html_(self) -> str:
        return f"<style>{asset('print.css', __package__)}</style>"

    def __repr__(self) -> str:
        return "<print stylesheet for the cheat sheet>"


def print_style() -> PrintStyle:
    return PrintStyle()


def review(today: dt.date | str | None = None, bank: Bank | None = None) -> Review:
    return Review(bank, today)


def mistakes(bank: Bank | None = None) -> Mistakes:
    return Mistakes(bank)


def flashcards(today: dt.date | str | None = None) -> Flashcards:
    return Flashcards(today)


def mixed(seed: int = 0, bank: Bank | None = None) -> Mixed:
    return Mixed(seed, bank)


def drill(seed: int = 0) -> Drill:
    return Drill(seed)


def study_progress(bank: Bank | None = None) -> StudyProgress:
    return StudyProgress(bank)
