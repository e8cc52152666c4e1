"""The live-kernel views of the study modes (ipywidgets)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from tune_or_prompt.course import decide
from tune_or_prompt.course.pages import BY_SLUG
from tune_or_prompt.course.quiz.grading import NUMBER_HELP, NUMBER_PLACEHOLDER, Result
from tune_or_prompt.course.quiz.widget import WRAP_STYLE, QuestionWidget

from . import scheduler

if TYPE_CHECKING:
    from . import Drill, DrillResult, ExplainItBack, Flashcards, Mixed, Review, WorkedExamples


class ReviewWidget:
    """The questions due today, one at a time; each answer moves its card (scheduler.answer)."""

    def __init__(self, review: Review):
        self.review = review
        self.status = w.HTML()
        self.area = w.VBox()
        self.next_button = w.Button(description="Next question", button_style="primary")
        self.next_button.on_click(lambda _: self.show_next())
        self.box = w.VBox([self.status, self.area])
        self.current: QuestionWidget | None = None
        self.show_next()

    def show_next(self) -> None:
        due = self.review.due()
        if not due:
            nxt = self.review.deck.next_due()
            self.current = None
            self.status.value = ("<p><strong>Nothing due today.</strong> "
                                 + (f"Next review: {nxt}.</p>" if nxt else "</p>"))
            self.area.children = ()
            return
        q = self.review.by_id[due[0]]
        self.status.value = f"<p>{len(due)} question{'s' if len(due) != 1 else ''} due today.</p>"
        self.current = QuestionWidget(q, 1, 1, on_change=self._answered, sequential=True)
        self.area.children = (self.current.box,)

    def _answered(self) -> None:
        current = self.current
        if current is None or current.result is None or not current.result.answered:
            return
        card = self.review.deck.record(current.question.id, current.result.correct,
                                       self.review.current_day())
        self.status.value = (f"<p>Box {card.box} of {len(scheduler.INTERVALS)}: "
                             f"this question comes back on {card.due}.</p>")
        self.area.children = (current.box, self.next_button)

    def answer(self, response: Any) -> scheduler.Card | None:
        """Answer the question on screen (as a learner would); returns its new card."""
        if self.current is None:
            return None
        qid = self.current.question.id
        self.current.set_response(response)
        self.current.check()
        return self.review.deck.cards.get(qid)


class DrillWidget:
    """One situation at a time, a button per choice, graded by `decide.recommend`."""

    def __init__(self, drill: Drill):
        self.drill = drill
        self.answered = self.correct = 0
        self.situation = w.HTML()
        self.buttons = [w.Button(description=c, layout=w.Layout(width="auto"))
                        for c in decide.CHOICES]
        for b in self.buttons:
            b.on_click(lambda b: self.choose(b.description))
        self.feedback = w.HTML()
        self.score = w.HTML()
        self.next_button = w.Button(description="Next situation", button_style="primary")
        self.next_button.on_click(lambda _: self.next())
        choices = w.HBox(self.buttons, layout=w.Layout(flex_flow="row wrap"))  # six: may wrap
        self.box = w.VBox([self.score, self.situation, choices, self.feedback, self.next_button])
        self.result: DrillResult | None = None
        self._show()

    def _show(self) -> None:
        items = "".join(f"<li>{html.escape(label)}: <strong>{html.escape(value)}</strong></li>"
                        for label, value in self._describe())
        self.situation.value = (f"<p>Situation {self.drill.position + 1}:</p><ul>{items}</ul>"
                                "<p>What would you do?</p>")
        self.feedback.value = ""
        self.result = None
        for b in self.buttons:
            b.disabled = False
        self.score.value = f"<p>{self.correct} right of {self.answered}</p>"

    def _describe(self) -> list[tuple[str, str]]:
        return self.drill.describe()

    def choose(self, choice: str) -> DrillResult:
        if self.result is not None:
            return self.result
        result = self.drill.grade(choice)
        self.result = result
        self.answered += 1
        self.correct += result.correct
        rec = result.recommendation
        verdict = "&#10004; <strong>Right.</strong>" if result.correct else (
            f"&#10008; <strong>Not this time:</strong> the course's rules say "
            f"<strong>{html.escape(rec.choice)}</strong>.")
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in rec.reasons)
        self.feedback.value = (f"<p>{verdict} {html.escape(rec.headline)}</p><ul>{reasons}</ul>")
        for b in self.buttons:
            b.disabled = True
        self.score.value = f"<p>{self.correct} right of {self.answered}</p>"
        return result

    def next(self) -> None:
        self.drill.position += 1
        self._show()


class MixedWidget:
    """Mixed practice: one question at a time from `interleave`'s order, with a running score."""

    def __init__(self, mixed: Mixed):
        self.mixed = mixed
        self.answered = self.correct = 0
        self.score = w.HTML()
        self.area = w.VBox()
        self.next_button = w.Button(description="Next question", button_style="primary")
        self.next_button.on_click(lambda _: self.next())
        self.box = w.VBox([self.score, self.area])
        self.current: QuestionWidget | None = None
        self._show()

    def _show(self) -> None:
        q = self.mixed.question()
        self.current = QuestionWidget(q, self.mixed.position + 1, self.mixed.position + 1,
                                      on_change=self._answered, sequential=True)
        header = self.current.box.children[0]  # "Question n of n" would suggest an end
        header.value = (f"<strong>Question {self.mixed.position + 1}</strong> &middot; "
                        f"{q.difficulty} &middot; from {html.escape(BY_SLUG[q.lesson].title)}")
        self.area.children = (self.current.box,)
        self.score.value = f"<p>{self.correct} right of {self.answered}</p>"

    def _answered(self) -> None:
        current = self.current
        if current is None or current.result is None or not current.result.answered:
            return
        if len(self.area.children) == 1:  # count each question once
            self.answered += 1
            self.correct += current.result.correct
            self.area.children = (current.box, self.next_button)
        self.score.value = f"<p>{self.correct} right of {self.answered}</p>"

    def answer(self, response: Any) -> Any:
        """Answer the question on screen (as a learner would)."""
        assert self.current is not None
        self.current.set_response(response)
        return self.current.check()

    def next(self) -> None:
        self.mixed.position += 1
        self._show()


class FlashcardsWidget:
    """The cards due today: front, Show answer, then rate it (scheduler.answer files it)."""

    def __init__(self, flashcards: Flashcards):
        self.flashcards = flashcards
        self.status = w.HTML()
        self.front = w.HTML()
        self.back = w.HTML()
        self.show_button = w.Button(description="Show answer", button_style="primary")
        self.knew_button = w.Button(description="I knew it")
        self.not_yet_button = w.Button(description="Not yet")
        self.show_button.on_click(lambda _: self.show_answer())
        self.knew_button.on_click(lambda _: self.rate(True))
        self.not_yet_button.on_click(lambda _: self.rate(False))
        self.rating = w.HBox([self.knew_button, self.not_yet_button])
        self.box = w.VBox([self.status, self.front, self.show_button, self.back, self.rating])
        self.current: str | None = None
        self.last = ""
        self.show_next()

    def show_next(self) -> None:
        due = self.flashcards.due()
        self.back.value = ""
        self.rating.layout.display = "none"
        if not due:
            self.current = None
            nxt = self.flashcards.deck.next_due()
            self.status.value = (f"<p>{self.last}<strong>No cards due today.</strong> "
                                 + (f"Next: {nxt}.</p>" if nxt else "</p>"))
            self.front.value = ""
            self.show_button.layout.display = "none"
            return
        self.current = due[0]
        card = self.flashcards.by_id[self.current]
        self.status.value = f"<p>{self.last}{len(due)} card{'s' if len(due) != 1 else ''} due.</p>"
        self.front.value = f"<p>{card['front']}</p><p><em>{card['ask']}</em></p>"
        self.show_button.layout.display = None

    def show_answer(self) -> None:
        if self.current is None:
            return
        self.back.value = f"<p>{self.flashcards.by_id[self.current]['back']}</p>"
        self.rating.layout.display = None

    def rate(self, knew_it: bool) -> scheduler.Card | None:
        if self.current is None:
            return None
        card = self.flashcards.rate(self.current, knew_it)
        self.last = f"Box {card.box}: that card comes back on {card.due}. "
        self.show_next()
        return card


class WorkedWidget:
    """Worked examples, faded: each problem's worked steps shown, its hidden steps asked, each
    graded by `quiz.grading.grade` (through `WorkedProblem.grade`)."""

    def __init__(self, worked: WorkedExamples):
        from tune_or_prompt.course.quiz.render import md_block, md_inline

        self.worked = worked
        self.inputs: dict[tuple[int, int], w.Text] = {}
        self.feedback: dict[tuple[int, int], w.HTML] = {}
        self.results: dict[tuple[int, int], Result] = {}
        self.score = w.HTML()
        rows: list[Any] = [self.score]
        for n, problem in enumerate(worked.problems):
            asked = problem.hidden
            title = (f"Problem {problem.number}: fully worked" if not asked else
                     f"Problem {problem.number}: {asked} step{'s' if asked != 1 else ''} "
                     "for you")
            rows.append(w.HTML(f"<h3>{html.escape(title)}</h3>{md_block(problem.givens)}"))
            for i, step in enumerate(problem.steps):
                label = f"Step {i + 1}. <strong>{html.escape(step.name)}</strong> = " \
                        f"{md_inline(step.formula)}"
                if i not in problem.hidden_steps:
                    rows.append(w.HTML(f"<p>{label} = {md_inline(step.working)} = "
                                       f"<strong>{step.shown()}</strong></p>"))
                    continue
                box = w.Text(placeholder=NUMBER_PLACEHOLDER, tooltip=NUMBER_HELP, description="",
                             continuous_update=False)
                check = w.Button(description="Check")
                feedback = w.HTML()
                check.on_click(lambda _, key=(n, i): self.check(*key))
                self.inputs[(n, i)], self.feedback[(n, i)] = box, feedback
                rows.append(w.VBox([w.HTML(f"<p>{label} = ?</p>"), w.HBox([box, check]),
                                    feedback]))
        self.box = w.VBox(rows)
        self._score()

    def _score(self) -> None:
        right = sum(r.correct for r in self.results.values())
        self.score.value = f"<p>Steps right: {right} of {len(self.inputs)}</p>"

    def check(self, problem: int, step: int) -> Result:
        """Grade what is in the box of ``step`` of ``problem`` and show the feedback."""
        from tune_or_prompt.course.quiz.render import md_inline

        result = self.worked.problems[problem].grade(step, self.inputs[(problem, step)].value)
        if result.answered:
            self.results[(problem, step)] = result
            verdict = "&#10004; <strong>Right.</strong>" if result.correct else \
                "&#10008; <strong>Not yet.</strong>"
            self.feedback[(problem, step)].value = f"<p>{verdict} {md_inline(result.message)}</p>"
        else:
            self.feedback[(problem, step)].value = f"<p>{md_inline(result.message)}</p>"
        self._score()
        return result

    def answer(self, problem: int, step: int, response: Any) -> Result:
        """Type ``response`` into a step's box and check it (as a learner would)."""
        self.inputs[(problem, step)].value = str(response)
        return self.check(problem, step)


class ExplainWidget:
    """Explain it back: a text box per prompt, then the model answer and a checklist to tick."""

    def __init__(self, explain: ExplainItBack):
        from tune_or_prompt.course.quiz.render import md_block, md_inline

        self.explain = explain
        self.texts: list[w.Textarea] = []
        self.answers: list[w.HTML] = []
        self.checklists: list[list[w.Checkbox]] = []
        self.panels: list[w.VBox] = []
        self.tallies: list[w.HTML] = []
        rows: list[Any] = []
        for n, p in enumerate(explain.prompts):
            text = w.Textarea(placeholder="Your explanation, in your own words",
                              layout=w.Layout(width="100%", height="8em"))
            reveal = w.Button(description="Show model answer", button_style="primary")
            boxes = [w.Checkbox(description=c, value=False, indent=False,
                                layout=w.Layout(width="100%")) for c in p.checklist]
            tally = w.HTML()
            for box in boxes:
                box.observe(lambda _, n=n: self._tally(n), names="value")
            panel = w.VBox([w.HTML(f"<p><strong>A model answer</strong></p>"
                                   f"{md_block(p.model_answer)}"
                                   "<p><strong>Grade yourself: tick each point your explanation made</strong></p>"),
                            *boxes, tally])
            panel.layout.display = "none"
            panel.add_class("tq-options")  # long checklist points wrap (WRAP_STYLE)
            reveal.on_click(lambda _, n=n: self.reveal(n))
            self.texts.append(text)
            self.checklists.append(boxes)
            self.panels.append(panel)
            self.tallies.append(tally)
            rows.append(w.VBox([w.HTML(f"<h3>{html.escape(p.title)}</h3>{md_block(p.prompt)}"
                                       f"<p><em>{md_inline('From ' + BY_SLUG[p.lesson].title)}"
                                       "</em></p>"), text, reveal, panel]))
            self._tally(n)
        self.box = w.VBox([*rows, w.HTML(WRAP_STYLE)])

    def reveal(self, n: int) -> None:
        self.panels[n].layout.display = None

    def tick(self, n: int, point: int, value: bool = True) -> int:
        """Tick (or untick) a checklist point; returns how many points are ticked."""
        self.checklists[n][point].value = value
        return self.points(n)

    def points(self, n: int) -> int:
        return sum(box.value for box in self.checklists[n])

    def _tally(self, n: int) -> None:
        self.tallies[n].value = (f"<p>Your explanation covers {self.points(n)} of "
                                 f"{len(self.checklists[n])} points.</p>")
