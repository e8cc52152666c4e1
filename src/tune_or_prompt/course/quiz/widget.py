"""The live-kernel view: ipywidgets (Jupyter, VS Code, Colab), graded by grading.grade()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from .grading import NUMBER_HELP, NUMBER_PLACEHOLDER, Result, grade, revisit_order, shuffled_order
from .render import md_block, md_inline
from .schema import Question

TYPE_LABEL = {
    "single": "Choose one answer",
    "multiple": "Select all that apply",
    "numeric": "Enter a number",
    "ordering": "Put in order (select an item, then move it)",
}


def _result_html(q: Question, result: Result) -> str:
    if not result.answered:
        return f"<p>{md_inline(result.message)}</p>"
    verdict = "&#10004; <strong>Correct.</strong>" if result.correct else (
        "&#10008; <strong>Not quite.</strong>"
    )
    colour = "#14692e" if result.correct else "#a4161a"
    parts = [f'<p style="color:{colour}">{verdict} {md_inline(result.message)}</p>']
    for index, feedback in result.option_feedback:
        mark = "&#10004; Right choice" if q.options[index].correct else "&#10008; Wrong choice"
        parts.append(f"<p><em>{md_inline(q.options[index].text)}</em> &mdash; {mark}: "
                     f"{md_inline(feedback)}</p>")
    return "".join(parts)


def _solution_html(q: Question) -> str:
    steps = "".join(f"<li>{md_inline(s)}</li>" for s in q.solution.steps)
    mistakes = "".join(f"<li>{md_inline(m)}</li>" for m in q.mistakes)
    return (
        f"<h3>Solution</h3><ol>{steps}</ol>"
        f"<p><strong>Answer:</strong> {md_inline(q.solution.answer)}</p>"
        f"<p><strong>Quick check:</strong> {md_inline(q.solution.check)}</p>"
        f"<p>Common mistakes:</p><ul>{mistakes}</ul>"
    )


# Long answer options wrap inside the output area (the widgets' own CSS keeps a label on one
# line and cuts it off at the right edge, in JupyterLab and in Colab alike).
WRAP_STYLE = ("<style>.tq-options label, .tq-options .widget-label { white-space: normal "
              "!important; overflow: visible !important; height: auto !important; "
              "line-height: 1.4 !important; }</style>")


class QuestionWidget:
    """One question with Check, Hint, Show solution and Try again."""

    def __init__(self, q: Question, number: int, total: int,
                 on_change: Callable[[], None] | None = None, sequential: bool = False):
        self.question = q
        self.sequential = sequential
        self.result: Result | None = None
        self.attempts = 0
        self._on_change = on_change or (lambda: None)
        header = w.HTML(f"<strong>Question {number} of {total}</strong> &middot; "
                        f"{q.difficulty} &middot; {TYPE_LABEL[q.type]}")
        prompt = w.HTML(md_block(q.prompt))
        self.input = self._make_input()
        self.check_button = w.Button(description="Check", button_style="primary")
        self.hint_button = w.Button(description="Hint")
        self.solution_button = w.Button(description="Show solution")
        self.again_button = w.Button(description="Try again")
        self.feedback = w.HTML()
        self.hint_box = w.HTML()
        self.solution_box = w.HTML()
        self.check_button.on_click(lambda _: self.check())
        self.hint_button.on_click(lambda _: self._toggle(self.hint_box, self.hint_button, "Hint",
                                                         "Hide hint", self._hint_html()))
        self.solution_button.on_click(lambda _: self._toggle(
            self.solution_box, self.solution_button, "Show solution", "Hide solution",
            _solution_html(q)))
        self.again_button.on_click(lambda _: self.reset())
        buttons = w.HBox([self.check_button, self.hint_button, self.solution_button]
                         + ([] if sequential else [self.again_button]))
        self.input.add_class("tq-options")
        self.box = w.VBox([header, prompt, self.input, buttons, self.feedback, self.hint_box,
                           self.solution_box, w.HTML(WRAP_STYLE)],
                          layout=w.Layout(border="1px solid #c9ced6", padding="8px",
                                          margin="8px 0"))

    def _hint_html(self) -> str:
        return f"<p><strong>Hint:</strong> {md_inline(self.question.hint)}</p>"

    def _make_input(self) -> w.Widget:
        q = self.question
        if q.type == "single":
            self._radio = w.RadioButtons(options=[(o.text, i) for i, o in enumerate(q.options)],
                                         value=None, layout=w.Layout(width="auto"))
            return self._radio
        if q.type == "multiple":
            self._checks = [w.Checkbox(description=o.text, value=False, indent=False)
                            for o in q.options]
            return w.VBox(self._checks)
        if q.type == "numeric":
            self._number = w.Text(placeholder=NUMBER_PLACEHOLDER, description="Answer:")
            return w.VBox([w.HBox([self._number, w.Label(q.unit)]), w.Label(NUMBER_HELP)])
        self._order = list(shuffled_order(q))
        self._select = w.Select(rows=len(q.items), layout=w.Layout(width="auto"))
        up, down = w.Button(description="Move up"), w.Button(description="Move down")
        up.on_click(lambda _: self.move(-1))
        down.on_click(lambda _: self.move(1))
        self._refresh_order()
        return w.VBox([self._select, w.HBox([up, down])])

    def _refresh_order(self, selected: int | None = None) -> None:
        q = self.question
        self._select.options = [(f"{pos + 1}. {q.items[item]}", pos)
                                for pos, item in enumerate(self._order)]
        self._select.value = selected

    def move(self, direction: int) -> None:
        """Move the selected ordering item up (-1) or down (+1)."""
        pos = self._select.value
        if pos is None or not 0 <= pos + direction < len(self._order):
            return
        o = self._order
        o[pos], o[pos + direction] = o[pos + direction], o[pos]
        self._refresh_order(pos + direction)

    def response(self) -> Any:
        """The learner's current response, in grading.grade()'s format."""
        q = self.question
        if q.type == "single":
            return self._radio.value
        if q.type == "multiple":
            return [i for i, box in enumerate(self._checks) if box.value]
        if q.type == "numeric":
            return self._number.value
        return list(self._order)

    def set_response(self, response: Any) -> None:
        """Fill the inputs as a learner would (used by tests and demos)."""
        q = self.question
        if q.type == "single":
            self._radio.value = response
        elif q.type == "multiple":
            for i, box in enumerate(self._checks):
                box.value = i in response
        elif q.type == "numeric":
            self._number.value = str(response)
        else:
            self._order = list(response)
            self._refresh_order()

    def check(self) -> Result:
        if self.sequential and self.result is not None:
            return self.result  # in a test, the first answer counts
        result = grade(self.question, self.response())
        if result.answered:
            self.attempts += 1
            self.result = result
            if self.sequential:
                self.lock()
        self.feedback.value = _result_html(self.question, result)
        self._on_change()
        return result

    def lock(self) -> None:
        """Disable answering (used once a test question is answered)."""
        self.check_button.disabled = True
        for child in [self.input, *getattr(self.input, "children", ())]:
            for widget in [child, *getattr(child, "children", ())]:
                if hasattr(widget, "disabled"):
                    widget.disabled = True

    def reset(self) -> None:
        q = self.question
        if q.type == "single":
            self._radio.value = None
        elif q.type == "multiple":
            for box in self._checks:
                box.value = False
        elif q.type == "numeric":
            self._number.value = ""
        else:
            self._order = list(shuffled_order(q))
            self._refresh_order()
        self.result = None
        self.feedback.value = ""
        # A fresh start: close the hint and the solution as well.
        self.hint_box.value = self.solution_box.value = ""
        self.hint_button.description = "Hint"
        self.solution_button.description = "Show solution"
        self._on_change()

    @staticmethod
    def _toggle(box: w.HTML, button: w.Button, show: str, hide: str, content: str) -> None:
        opening = not box.value
        box.value = content if opening else ""
        button.description = hide if opening else show


class QuizWidget:
    """A whole quiz: the questions, a running score and Reset."""

    def __init__(self, questions: list[Question], title: str):
        self.views = [QuestionWidget(q, i + 1, len(questions), self._update)
                      for i, q in enumerate(questions)]
        self.score_label = w.HTML()
        reset = w.Button(description="Reset quiz")
        reset.on_click(lambda _: self.reset())
        self.reset_button = reset
        self.box = w.VBox([w.HTML(f"<strong>{md_inline(title)}</strong>"),
                           w.HBox([self.score_label, reset]),
                           *[v.box for v in self.views]])
        self._update()

    @property
    def score(self) -> int:
        return sum(1 for v in self.views if v.result is not None and v.result.correct)

    @property
    def answered(self) -> int:
        return sum(1 for v in self.views if v.result is not None)

    def _update(self) -> None:
        self.score_label.value = (f"<strong>Score: {self.score} of {len(self.views)} correct "
                                  f"({self.answered} answered)</strong>")

    def reset(self) -> None:
        for view in self.views:
            view.reset()
        self._update()


class SequentialQuizWidget:
    """A test: one question at a time, the first answer counts, then a score by difficulty."""

    def __init__(self, questions: list[Question], title: str, lessons: dict[str, dict[str, str]]):
        self.questions = questions
        self.lessons = lessons
        self.views: list[QuestionWidget] = []
        self.score_label = w.HTML()
        self.next_button = w.Button(description="Next question", button_style="primary")
        self.next_button.on_click(lambda _: self.next())
        self.stage = w.VBox()
        self.summary = w.HTML()
        self.box = w.VBox([w.HTML(f"<strong>{md_inline(title)}</strong>"), self.score_label,
                           self.stage])
        self._show(0)

    @property
    def score(self) -> int:
        return sum(1 for v in self.views if v.result is not None and v.result.correct)

    @property
    def finished(self) -> bool:
        return bool(self.summary.value)

    def _update(self) -> None:
        n = len(self.questions)
        self.score_label.value = f"<strong>Score: {self.score} of {n} correct</strong>"
        current = self.views[-1]
        self.next_button.layout.visibility = "visible" if current.result else "hidden"
        if len(self.views) == n:
            self.next_button.description = "See my results"

    def _show(self, index: int) -> None:
        view = QuestionWidget(self.questions[index], index + 1, len(self.questions),
                              self._update, sequential=True)
        self.views.append(view)
        self.stage.children = [view.box, self.next_button]
        self._update()

    def next(self) -> None:
        """Go on to the next question, or to the summary after the last one."""
        if not self.views[-1].result:
            return
        if len(self.views) < len(self.questions):
            self._show(len(self.views))
        else:
            self.summary.value = self.summary_html()
            self.stage.children = [self.summary]

    def summary_html(self) -> str:
        rows = []
        for difficulty in ("easy", "medium", "hard"):
            views = [v for v in self.views if v.question.difficulty == difficulty]
            if views:
                right = sum(1 for v in views if v.result and v.result.correct)
                rows.append(f"<tr><th>{difficulty}</th><td>{right}</td><td>{len(views)}</td></tr>")
        missed = revisit_order(v.question.lesson for v in self.views
                               if not (v.result and v.result.correct))
        revisit = "".join(f"<li>{md_inline(self.lessons[slug]['title'])}</li>" for slug in missed
                          if slug in self.lessons)
        advice = (f"<p>Lessons to revisit:</p><ul>{revisit}</ul>" if missed
                  else "<p>Every answer right: well done.</p>")
        return (f"<h2>Your result: {self.score} of {len(self.questions)}</h2>"
                "<table><tr><th>Difficulty</th><th>Correct</th><th>Questions</th></tr>"
                f"{''.join(rows)}</table>{advice}")
