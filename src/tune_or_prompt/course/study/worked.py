"""Worked examples, faded: multi-step problems whose steps are handed over one by one.

Three kinds of problem, each drawn reproducibly from a seed:

- ``metrics``: precision, recall and F1 of the "yes" class from a confusion matrix
  (`metrics.classification_report`, on the counts laid out by `lessons.measuring.from_matrix`);
- ``break-even``: the set-up gap, the saving per 1,000 queries and the break-even between a
  prompt and a fine-tuned model (`costs.CostModel`, `costs.labelling_usd`, `costs.break_even`);
- ``budget``: the tokens of a k-shot request (`costs.PromptSize`), what 1,000 such requests cost
  (`costs.token_cost_per_1000`) and the most demonstrations that fit a context.

The first problem of a kind is fully worked; each next one hides one more step, from the last
backwards, for the learner to fill in. Every answer is computed here with the package's own
functions; each step is a numeric `quiz.schema.Question`, so a step is graded by
`quiz.grading.grade` in a kernel and by quiz.js's `grade` in the browser, from the same data.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass
from typing import Any

from tune_or_prompt.course.quiz.grading import Result, grade
from tune_or_prompt.course.quiz.schema import NearMiss, Question, Solution
from tune_or_prompt.measure import costs

KINDS: tuple[str, ...] = ("metrics", "break-even", "budget")
LESSON = {"metrics": "measuring", "break-even": "choosing", "budget": "measuring"}
TITLES = {"metrics": "precision, recall and F1", "break-even": "the break-even",
          "budget": "a prompt's token budget"}
RELATIVE_TOLERANCE = 0.01  # a step is right within 1% (rounded intermediate values still pass)


@dataclass(frozen=True)
class Step:
    """One step of a problem: what to compute, how, and its answer."""

    name: str  # "Precision"
    formula: str  # Markdown: "TP / (TP + FP)"
    working: str  # Markdown: "80 / (80 + 15)"
    answer: float
    decimals: int  # how the answer is written out
    unit: str = ""
    near: tuple[NearMiss, ...] = ()
    hint: str = ""
    exact: bool = False  # a count (tokens, demonstrations): right only when exactly right

    @property
    def tolerance(self) -> float:
        """How far from the answer a response may be: half a unit of the last digit shown for a
        count, else 1% (so that rounded intermediate values still pass)."""
        last_digit = 0.5 * 10 ** -self.decimals
        return last_digit if self.exact else max(abs(self.answer) * RELATIVE_TOLERANCE, last_digit)

    def shown(self) -> str:
        """The answer as the worked step writes it."""
        return f"{self.answer:.{self.decimals}f}"  # no separator: it is what a learner types


@dataclass(frozen=True)
class WorkedProblem:
    """A problem with its steps; the last ``hidden`` steps are left to the learner."""

    id: str  # "<kind>-<seed>-<number>", unique on a page and across seeds
    kind: str
    number: int  # 1-based, within its kind
    givens: str  # Markdown: the situation and its numbers
    steps: tuple[Step, ...]
    hidden: int
    inputs: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)  # its numbers

    @property
    def hidden_steps(self) -> tuple[int, ...]:
        """Indices of the steps the learner fills in (the last ``hidden`` ones)."""
        return tuple(range(len(self.steps) - self.hidden, len(self.steps)))

    def question(self, index: int) -> Question:
        """Step ``index`` as a numeric question, for the one grader and the browser payload."""
        step = self.steps[index]
        near = step.near
        kept: dict[float, NearMiss] = {}  # one per value: the first wins, as the grader reads them
        for miss in near:
            if abs(miss.value - step.answer) > step.tolerance + miss.tolerance:
                kept.setdefault(miss.value, miss)
        near = tuple(kept.values())
        return Question(
            id=f"worked/{self.id}-{index + 1}", lesson=LESSON[self.kind], difficulty="medium",
            type="numeric", prompt=f"**{step.name}** = {step.formula}", hint=step.hint,
            solution=Solution((f"{step.formula} = {step.working}",), step.shown(), ""),
            mistakes=(), answer=step.answer, tolerance=step.tolerance, unit=step.unit,
            near_misses=near,
            feedback_correct=f"{step.formula} = {step.working} = {step.shown()}.",
            feedback_incorrect=f"Work it from the formula, {step.formula}, with this "
                               "problem's numbers; check each number you put in.")

    def grade(self, index: int, response: Any) -> Result:
        """Grade the learner's number for step ``index`` (quiz.grading.grade)."""
        if index not in self.hidden_steps:
            raise ValueError(f"step {index + 1} of {self.id} is worked, not asked")
        return grade(self.question(index), response)


def _miss(value: float, feedback: str, tolerance: float = 0.0) -> NearMiss:
    return NearMiss(float(value), tolerance, feedback)


# --- The three kinds ------------------------------------------------------------------------

def metrics_steps(tp: int, fn: int, fp: int, tn: int) -> tuple[str, tuple[Step, ...]]:
    """Precision, recall and F1 of "yes", computed by `metrics.classification_report`."""
    from tune_or_prompt.course.lessons.measuring import from_matrix
    from tune_or_prompt.ground.scores import classification_report

    labels = ["yes", "no"]
    yes = classification_report(*from_matrix([[tp, fn], [fp, tn]], labels), labels)[
        "per_class"]["yes"]
    p, r, f1 = yes["precision"], yes["recall"], yes["f1"]
    givens = ("A classifier flags refund requests (yes/no). On held-out messages:\n\n"
              "| | Predicted yes | Predicted no |\n|---|---|---|\n"
              f"| **Actually yes** | {tp} (TP) | {fn} (FN) |\n"
              f"| **Actually no** | {fp} (FP) | {tn} (TN) |")
    steps = (
        Step("Precision", "TP / (TP + FP)", f"{tp} / ({tp} + {fp})", p, 3,
             near=(_miss(r, "That is the recall: precision reads down the *predicted yes* "
                            "column, TP over everything flagged yes.", 0.002),
                   _miss((tp + tn) / (tp + fn + fp + tn), "That is the accuracy: precision "
                         "looks only at the messages flagged yes.", 0.002)),
             hint="Of everything the classifier flagged yes, what share really was yes?"),
        Step("Recall", "TP / (TP + FN)", f"{tp} / ({tp} + {fn})", r, 3,
             near=(_miss(p, "That is the precision: recall reads along the *actually yes* "
                            "row, TP over every real yes.", 0.002),),
             hint="Of the real refund requests, what share did it catch?"),
        Step("F1", "2PR / (P + R)", f"2 × {p:.3f} × {r:.3f} / ({p:.3f} + {r:.3f})", f1, 3,
             near=(_miss((p + r) / 2, "That is the plain average of P and R; F1 is their "
                                      "harmonic mean, 2PR / (P + R).", 0.002),),
             hint="The harmonic mean of the precision and the recall you found."),
    )
    return givens, steps


def break_even_steps(n_prompt: int, n_finetune: int, usd_per_label: float, training_usd: float,
                     prompt_per_1000: float, tuned_per_1000: float) -> tuple[str, tuple[Step, ...]]:
    """The set-up gap, the saving per 1,000 queries and the break-even, with `costs`."""
    prices = dataclasses.replace(costs.PRICES, usd_per_label=usd_per_label)
    prompt = costs.CostModel("prompting", costs.labelling_usd(n_prompt, prices),
                             prompt_per_1000 / 1000)
    tuned = costs.CostModel("fine-tuning", costs.labelling_usd(n_finetune, prices)
                            + training_usd, tuned_per_1000 / 1000)
    gap = tuned.setup_usd - prompt.setup_usd
    saving = prompt.usd_per_1000() - tuned.usd_per_1000()
    queries = costs.break_even(tuned, prompt)
    givens = (f"Labelling costs **${usd_per_label:.2f} per example**.\n\n"
              f"- **Prompting:** {n_prompt} labelled demonstrations; each 1,000 queries cost "
              f"**${prompt_per_1000:.2f}** in tokens.\n"
              f"- **Fine-tuning:** {n_finetune:,} labelled examples and a training run of "
              f"**${training_usd:.2f}**; each 1,000 queries then cost "
              f"**${tuned_per_1000:.2f}**.")
    steps = (
        Step("Extra set-up cost of fine-tuning (USD)",
             "(fine-tuning labels − prompting labels) × price per label + training",
             f"({n_finetune:,} − {n_prompt}) × {usd_per_label:.2f} + {training_usd:.2f}", gap, 2,
             near=(_miss(tuned.setup_usd, "That is fine-tuning's whole set-up cost: take away "
                         "what prompting's demonstrations cost to label too."),
                   _miss(gap - training_usd, "Add the training run: it is paid once, at set-up, "
                         "like the labels.")),
             hint="What fine-tuning pays before its first query, minus what prompting pays."),
        Step("Saving per 1,000 queries (USD)", "prompting per 1,000 − fine-tuned per 1,000",
             f"{prompt_per_1000:.2f} − {tuned_per_1000:.2f}", saving, 2,
             hint="How much less each 1,000 queries cost once the model is fine-tuned."),
        Step("Break-even (queries)", "set-up gap ÷ (saving per 1,000 ÷ 1,000)",
             f"{gap:,.2f} ÷ ({saving:.2f} ÷ 1,000)", queries, 0,
             near=(_miss(gap / saving, "That is the break-even in *thousands* of queries: "
                         "give the whole number of queries.", abs(gap / saving) * RELATIVE_TOLERANCE),),
             hint="How many queries' savings add up to the set-up gap?"),
    )
    return givens, steps


def max_demonstrations(size: costs.PromptSize, context: int, output_tokens: int) -> int:
    """The most demonstrations whose k-shot request, and its answer, fit a ``context``."""
    room = context - output_tokens - size.tokens(0)
    return max(0, math.floor(room / size.per_demo))


def budget_steps(header: int, per_demo: int, query: int, k: int, context: int,
                 output_tokens: int, model: str) -> tuple[str, tuple[Step, ...]]:
    """A k-shot request's tokens and price (`costs.PromptSize`, `costs.token_cost_per_1000`),
    then the most demonstrations that fit the context."""
    size = costs.PromptSize(header, per_demo, query)
    tokens = size.tokens(k)
    in_price, out_price = costs.PRICES.token_prices(model)
    per_1000 = costs.token_cost_per_1000(tokens, output_tokens, costs.PRICES, model,
                                         reasoning_tokens=0)  # thinking turned off
    most = max_demonstrations(size, context, output_tokens)
    givens = (f"A {k}-shot prompt: an instruction of **{header} tokens**, **{per_demo} tokens "
              f"per demonstration** and a message of **{query} tokens**. The answer is "
              f"**{output_tokens} token{'s' if output_tokens != 1 else ''}**, with the "
              f"model's thinking turned off. The model ({costs.priced_as(model)}) reads at most **{context:,} tokens** (prompt and answer together) and "
              f"costs **${in_price:.2f} per million input tokens** and **${out_price:.2f} per "
              "million output tokens**.")
    steps = (
        Step("Input tokens of one request", "instruction + k × per demonstration + message",
             f"{header} + {k} × {per_demo} + {query}", tokens, 0, exact=True,
             near=(_miss(header + k * per_demo, "Add the message itself: every request sends "
                                                "it after the demonstrations."),
                   _miss(k * per_demo, "Add the instruction and the message: they are sent "
                                       "with every request too.")),
             hint="Everything the prompt sends, once per request."),
        Step("Cost of 1,000 requests (USD)",
             "1,000 × (input tokens × input price + output tokens × output price) ÷ 1,000,000",
             f"1,000 × ({tokens:,.0f} × {in_price:.2f} + {output_tokens} × {out_price:.2f}) "
             "÷ 1,000,000", per_1000, 4,
             near=(_miss(per_1000 / 1000, "That is the cost of one request: multiply by 1,000.",
                         per_1000 / 1000 * RELATIVE_TOLERANCE),),
             hint="Prices are per million tokens; there are 1,000 requests."),
        Step("Most demonstrations that fit", "⌊(context − answer − instruction − message) "
             "÷ per demonstration⌋",
             f"⌊({context:,} − {output_tokens} − {header} − {query}) ÷ {per_demo}⌋", most, 0,
             exact=True,
             near=(_miss(math.floor((context - header - query) / per_demo),
                         "Leave room for the answer: it shares the context with the prompt."),),
             hint="Round down: a demonstration that does not fit whole cannot be sent."),
    )
    return givens, steps


def _inputs(kind: str, rng: random.Random) -> dict[str, Any]:
    """The numbers of one problem of ``kind``, drawn from ``rng``."""
    if kind == "metrics":
        return {"tp": rng.randint(40, 120), "fn": rng.randint(5, 40), "fp": rng.randint(5, 40),
                "tn": rng.randint(50, 200)}
    if kind == "break-even":
        return {"n_prompt": rng.choice([8, 16, 24, 32]),
                "n_finetune": rng.choice([500, 1000, 1500, 2000, 3000]),
                "usd_per_label": rng.choice([0.20, 0.25, 0.40, 0.50]),
                "training_usd": rng.choice([5.0, 12.0, 20.0, 40.0]),
                "prompt_per_1000": round(rng.randint(6, 40) * 0.05, 2),
                "tuned_per_1000": round(rng.randint(1, 5) * 0.02, 2)}
    if kind == "budget":
        model = rng.choice([costs.SMALL_API, costs.OPEN_MODEL, costs.FRONTIER_API])
        header, per_demo, query = rng.randint(60, 200), rng.randint(30, 90), rng.randint(30, 120)
        k, output_tokens = rng.randint(4, 16), rng.choice([1, 3, 5])
        needed = costs.PromptSize(header, per_demo, query).tokens(k) + output_tokens
        context = rng.choice([c for c in (1024, 2048, 4096) if c >= needed])
        return {"header": header, "per_demo": per_demo, "query": query, "k": k,
                "context": context, "output_tokens": output_tokens, "model": model}
    raise ValueError(f"unknown kind {kind!r}: choose from {', '.join(KINDS)}")


STEPS = {"metrics": metrics_steps, "break-even": break_even_steps, "budget": budget_steps}


def problems(kind: str, seed: int = 0) -> list[WorkedProblem]:
    """The problems of one kind for ``seed``: as many as there are steps, plus one; the first
    fully worked, each next one hiding one more step (the same seed gives the same problems)."""
    rng = random.Random(f"{kind}:{seed}")
    if kind not in STEPS:
        raise ValueError(f"unknown kind {kind!r}: choose from {', '.join(KINDS)}")
    out: list[WorkedProblem] = []
    n = None
    while n is None or len(out) < n + 1:
        inputs = _inputs(kind, rng)
        givens, steps = STEPS[kind](**inputs)
        n = len(steps)
        out.append(WorkedProblem(f"{kind}-{seed}-{len(out) + 1}", kind, len(out) + 1, givens,
                                 steps, hidden=len(out), inputs=inputs))
    return out
