"""Lesson 1 (Two ways to adapt a model): the five-stage pipeline with the shape of the course's
real data at each stage, drawn as a figure, and the prediction trace of the same tickets through
a prompted base model and a fine-tuned one.

The answers come from the course's reference run of Lab 3 (`compare.reference_run`), which
stores every test ticket's answer from both systems; tokens and weights are counted here with
the `tokenizers` and `safetensors` libraries, so the lesson loads no model and runs in seconds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tune_or_prompt.approaches import prompting as P
from tune_or_prompt.ground.data import label_of, load
from tune_or_prompt.ground.registry import TARGETS
from tune_or_prompt.measure.compare import FINE_TUNING, PROMPTING

from .prompting import wrap  # re-exported: Lesson 1 wraps its prompt for display too

MARK = {True: "✓", False: "✗"}
ROUTE_COLOURS = {  # edge, fill
    "shared": ("#4b5563", "#f3f4f6"),
    "prompting": ("#1f5fad", "#e8f0fb"),
    "fine-tuning": ("#c2410c", "#fdf0e7"),
}


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline: what happens, and the shape of what comes out of it."""

    name: str
    action: str
    shape: str
    example: str
    route: str  # "shared", "prompting" or "fine-tuning"


def jsonl_pair(row: dict[str, Any], target: str = "intent") -> str:
    """One training example as a JSON Lines record: the ticket as prompt, its label as response."""
    return json.dumps({"prompt": row["text"], "response": label_of(row, target)},
                      ensure_ascii=False)


def encoder_pair(row: dict[str, Any], target: str = "intent") -> str:
    """One training example as the fine-tuned encoder reads it: the ticket's text and its class
    number (the label's position in the task's label list), with the label's name after it."""
    labels = TARGETS[target].labels
    label = label_of(row, target)
    pair = json.dumps({"text": row["text"], "label": labels.index(label)}, ensure_ascii=False)
    return f"{pair}   # {labels.index(label)} = {label}"


def prompt_tokens(text: str, demos: Sequence[dict[str, Any]], target: str = "intent") -> int:
    """Tokens SmolLM2 reads for ``text`` in the k-shot plain prompt with ``demos``, counted as
    `prompting.run` counts them (the shared prefix, then the query with the answer cue)."""
    from tune_or_prompt.ground.models import fast_tokenizer
    from tune_or_prompt.ground.tokens import count

    parts = P.split_prompt(None, TARGETS[target], demos)  # the plain style needs no model
    return sum(count(fast_tokenizer("generative"), [parts.prefix, text + parts.suffix]))


def encoder_tokens(text: str) -> int:
    """Tokens the fine-tuned encoder reads for ``text``: [CLS], the text, [SEP], cut at the
    fine-tuning length limit."""
    from tune_or_prompt.approaches.finetuning import MAX_LENGTH
    from tune_or_prompt.ground.tokens import encoder_tokens as count_encoder_tokens

    return count_encoder_tokens(text, MAX_LENGTH)


def reference_demos(target: str = "intent", run=None):
    """The demonstrations the reference run's prompt showed for ``target``, and its setting."""
    from tune_or_prompt.measure.compare import prompt_demos, reference_run

    run = run or reference_run()
    choice = run.choices[target]
    return prompt_demos(target, choice.k, run.settings["seed"]), choice


def prediction_trace(ids: Sequence[str], target: str = "intent",
                     run=None) -> list[dict[str, Any]]:
    """The same test tickets through both systems of the reference run: for each, the true
    label, each system's answer and the tokens each read for it. `trace_table` formats it."""
    from tune_or_prompt.measure.compare import reference_run

    run = run or reference_run()
    prompted, tuned = run.side("tickets", PROMPTING), run.side("tickets", FINE_TUNING)
    by_id = {str(r["id"]): r for r in load("tickets", "test")}
    demos, _ = reference_demos(target, run)
    trace = []
    for ticket_id in ids:
        if ticket_id not in prompted.details[target].answers:
            raise ValueError(f"ticket {ticket_id!r} is not among the reference run's test rows")
        row = by_id[ticket_id]
        trace.append({
            "id": ticket_id, "ticket": row["text"], "true label": label_of(row, target),
            "prompted answer": prompted.details[target].answers[ticket_id],
            "prompted tokens": prompt_tokens(row["text"], demos, target),
            "fine-tuned answer": tuned.details[target].answers[ticket_id],
            "fine-tuned tokens": encoder_tokens(row["text"])})
    return trace


def score(target: str = "intent", run=None) -> dict[str, tuple[int, int]]:
    """(right, answered) for each system of the reference run on its test tickets."""
    from tune_or_prompt.measure.compare import reference_run

    run = run or reference_run()
    gold = {str(r["id"]): label_of(r, target) for r in load("tickets", "test")}
    out = {}
    for side in run.tasks["tickets"].sides.values():
        answers = side.details[target].answers
        out[side.approach] = (sum(gold[i] == a for i, a in answers.items()), len(answers))
    return out


def _answer(row: dict[str, Any], side: str) -> str:
    label = row[f"{side} answer"]
    return f"{label} {MARK[label == row['true label']]}"


def trace_table(trace: Sequence[dict[str, Any]]):
    """The prediction trace as a DataFrame: per ticket, each model's answer (✓ right, ✗ wrong)
    and the tokens it read."""
    import pandas as pd

    return pd.DataFrame([{
        "ticket": row["ticket"],
        "true label": row["true label"],
        "prompted base model": f"{_answer(row, 'prompted')}, read {row['prompted tokens']} "
                               "tokens",
        "fine-tuned model": f"{_answer(row, 'fine-tuned')}, read {row['fine-tuned tokens']} "
                            "tokens",
    } for row in trace])


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def pipeline_stages(trace_row: dict[str, Any], target: str = "intent",
                    run=None) -> list[Stage]:
    """The five stages, each with the shape of the real data that comes out of it, following
    the ticket of ``trace_row`` (a row of `prediction_trace`) through the reference run.
    Stage 2 is the prompting route's own; stages 3 and 4 are the fine-tuning route's (the
    encoder reads a text and a class number, never a prompt)."""
    from tune_or_prompt.ground.models import weight_count
    from tune_or_prompt.measure.compare import reference_run

    run = run or reference_run()
    tuned = run.side("tickets", FINE_TUNING).details[target]
    rows = load("tickets")
    train = load("tickets", "train")
    fields = list(rows[0])
    task = TARGETS[target]
    demos, choice = reference_demos(target, run)
    parts = P.split_prompt(None, task, demos)
    answers = (f"fine-tuned: {_answer(trace_row, 'fine-tuned')}   "
               f"prompted: {_answer(trace_row, 'prompted')}")
    first = train[0]
    pair_example = json.dumps({"text": _short(first["text"], 18),
                               "label": task.labels.index(label_of(first, target))},
                              ensure_ascii=False)
    weights = weight_count("encoder", head_labels=len(task.labels))
    return [
        Stage("Input data", "collect real examples of the task",
              f"{len(rows):,} ticket rows × {len(fields)} fields ({', '.join(fields)})",
              f"“{trace_row['ticket']}”", "shared"),
        Stage("Prompt engineering", "wrap each ticket in instructions and examples",
              f"1 prompt string per ticket: {trace_row['prompted tokens']} tokens "
              f"({choice.k}-shot, with the {len(task.labels)} label rules)",
              f"{_short(parts.prefix.splitlines()[0], 9)} […] Message: "
              f"{_short(trace_row['ticket'], 10)} Answer:", "prompting"),
        Stage("Training data", "each labelled ticket becomes a text and a class number",
              f"{len(train)} (text, class) pairs, one per training ticket "
              f"({tuned.train_size} used here); no prompt", pair_example, "fine-tuning"),
        Stage("Fine-tuning", "training updates the weights",
              f"all {weights:,} weights of the encoder and its new {len(task.labels)}-intent "
              f"head, {tuned.train_size} tickets, {tuned.setup_seconds:.0f} s",
              "all-MiniLM-L6-v2 + a linear head", "fine-tuning"),
        Stage("Prediction", "the base model (prompted) or the fine-tuned one answers",
              f"1 ticket in, 1 label out of {len(task.labels)}",
              answers, "shared"),
    ]


def pipeline_figure(stages: Sequence[Stage], width: float = 7.4):
    """The pipeline as boxes and arrows: input data on top, then two separate routes side by
    side, prompting (stage 2) on the left and fine-tuning (stages 3 and 4) on the right, both
    ending in prediction. Each box holds its stage's output shape and an example.

    Sized to display near 1:1 in a book column (``width`` inches at 100 dpi)."""
    import textwrap

    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if len(stages) != 5:
        raise ValueError(f"the pipeline has five stages, not {len(stages)}")
    full_h, column_h, gap = 1.3, 2.15, 0.6
    height = 2 * full_h + 2 * column_h + 3 * gap
    fig = plt.figure(figsize=(width, 0.8 * height + 0.2), facecolor="white")
    ax = fig.add_axes([0.005, 0.005, 0.99, 0.99])
    ax.set_xlim(0, 10.1)
    ax.set_ylim(-0.05, height + 0.05)
    ax.axis("off")
    left, right, split = 0.05, 10.05, 5.05
    columns = {"full": (left, right), "left": (left, split - 0.1), "right": (split + 0.1, right)}
    row_tops = [height, height - full_h - gap, height - full_h - column_h - 2 * gap,
                full_h]
    # stage index -> (column, top, box height)
    places = [("full", row_tops[0], full_h), ("left", row_tops[1], column_h),
              ("right", row_tops[1], column_h), ("right", row_tops[2], column_h),
              ("full", row_tops[3], full_h)]

    def arrow(start, end, colour, **kwargs):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14,
                                     linewidth=1.6, color=colour, **kwargs))

    for i, (stage, (column, top, box_h)) in enumerate(zip(stages, places, strict=True)):
        x0, x1 = columns[column]
        edge, fill = ROUTE_COLOURS[stage.route]
        ax.add_patch(FancyBboxPatch((x0, top - box_h), x1 - x0, box_h,
                                    boxstyle="round,pad=0,rounding_size=0.12",
                                    facecolor=fill, edgecolor=edge, linewidth=1.5))
        ax.text(x0 + 0.3, top - 0.38, str(i + 1), ha="center", va="center", fontsize=15,
                fontweight="bold", color=edge)
        x = x0 + 0.62
        chars = 78 if column == "full" else 44
        title = ax.text(x, top - 0.18, stage.name, ha="left", va="top", fontsize=10.5,
                        fontweight="bold", color="#111111")
        if column == "full":
            ax.annotate(f"  {stage.action}", xycoords=title, xy=(1, 1), ha="left", va="top",
                        fontsize=9.5, color="#374151")
            lines = [(top - 0.55, stage.shape)]
        else:
            lines = [(top - 0.5, textwrap.fill(stage.action, chars))]
        y = lines[0][0]
        if column != "full":
            ax.text(x, y, lines[0][1], ha="left", va="top", fontsize=9, color="#374151",
                    style="italic")
            y -= 0.3 * (lines[0][1].count("\n") + 1) + 0.05
            shape = textwrap.fill(stage.shape, chars)
            ax.text(x, y, shape, ha="left", va="top", fontsize=9.2, color="#111111")
            y -= 0.3 * (shape.count("\n") + 1) + 0.05
        else:
            ax.text(x, y, stage.shape, ha="left", va="top", fontsize=9.5, color="#111111")
            y = top - 0.9
        ax.text(x, y, _short(stage.example, 80 if column == "full" else 44), ha="left",
                va="top", fontsize=8.2, family="monospace", color="#374151")

    blue = ROUTE_COLOURS["prompting"][0]
    orange = ROUTE_COLOURS["fine-tuning"][0]
    left_mid = (columns["left"][0] + columns["left"][1]) / 2
    right_mid = (columns["right"][0] + columns["right"][1]) / 2
    below_input = row_tops[0] - full_h
    arrow((left_mid, below_input), (left_mid, row_tops[1]), blue)
    arrow((right_mid, below_input), (right_mid, row_tops[1]), orange)
    ax.text(left_mid + 0.12, below_input - gap / 2, "prompting route", ha="left",
            va="center", fontsize=8.5, color=blue, fontweight="bold")
    ax.text(right_mid + 0.12, below_input - gap / 2, "fine-tuning route", ha="left",
            va="center", fontsize=8.5, color=orange, fontweight="bold")
    arrow((right_mid, row_tops[1] - column_h), (right_mid, row_tops[2]), orange)
    arrow((right_mid, row_tops[2] - column_h), (right_mid, row_tops[3]), orange)
    # The prompting route goes from the prompt straight to prediction: no training data, no
    # training, the weights never change.
    arrow((left_mid, row_tops[1] - column_h), (left_mid, row_tops[3]), blue)
    ax.text(left_mid - 0.15, row_tops[2] - column_h / 2,
            "no training data,\nno training:\nthe base model's\nweights never change",
            ha="right", va="center", fontsize=8.5, color=blue)
    return fig


__all__ = ["Stage", "encoder_pair", "encoder_tokens", "jsonl_pair", "pipeline_figure", "pipeline_stages",
           "prediction_trace", "prompt_tokens", "reference_demos", "score", "trace_table", "wrap"]
