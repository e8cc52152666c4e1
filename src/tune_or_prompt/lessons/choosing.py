"""Lesson 5 (Choosing): the cost crossover between few-shot prompting and fine-tuning.

Token counts are measured with a real tokenizer on the Quillfield tickets; prices come from
`tune_or_prompt.metrics.PRICES`. The arithmetic is deliberately simple:

    total cost = set-up cost + requests x cost per request

and the break-even point is where two options' totals are equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import costs
from ..data import load
from ..metrics import PRICES, Prices, cpu_cost_per_1000, token_cost_per_1000
from ..plots import COLOURS, MARKERS, _figure
from ..prompting import TASKS, plain_prompt


class TokenCounter:
    """Counts tokens with a generative model's tokenizer (default: the embedded SmolLM2-135M),
    without loading the model's weights: counting tokens is all the cost arithmetic needs.

    The embedded model's tokenizer is read straight from its ``tokenizer.json`` with the light
    ``tokenizers`` library; a hub model's goes through transformers."""

    def __init__(self, name: str | None = None, source: str | None = None):
        from ..models import embedded_dir, fast_tokenizer, get_spec, quiet_transformers
        from ..settings import model_source

        spec = get_spec(name, "generative")
        self.name = spec.name
        if model_source(source) == "hub":
            from transformers import AutoTokenizer

            with quiet_transformers():
                self._hf = AutoTokenizer.from_pretrained(spec.hub_id)
            self._fast = None
        else:
            embedded_dir(spec)  # a clear error for a model that is not embedded
            self._fast = fast_tokenizer("generative")  # the one embedded generative model
            self._hf = None

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each text, special tokens not added (as the prompting code counts them)."""
        if self._fast is not None:
            return [len(e.ids) for e in self._fast.encode_batch(list(texts),
                                                                add_special_tokens=False)]
        return [len(ids) for ids in self._hf(list(texts), add_special_tokens=False)["input_ids"]]


@dataclass(frozen=True)
class PromptSize:
    """Mean token counts of the parts of a k-shot classification prompt."""

    header: float  # instruction and label descriptions, sent with every request
    per_demo: float  # what one demonstration adds
    query: float  # the message to classify, with its "Message: ... Answer:" framing

    def tokens(self, k: int) -> float:
        """Input tokens of one request with k demonstrations."""
        return self.header + k * self.per_demo + self.query

    def times_query(self, k: int) -> float:
        """How many times the query alone one k-shot request is (the (k+1)x rule, header
        included)."""
        return self.tokens(k) / self.query


def measure_prompt_size(counter: TokenCounter, task_name: str = "intent",
                        demos: Sequence[dict[str, Any]] | None = None,
                        queries: Sequence[dict[str, Any]] | None = None) -> PromptSize:
    """Token counts of the course's plain k-shot prompt, measured on real rows.

    Demonstrations default to the task's training split, queries to its test split. Each
    demonstration is measured as the difference it makes to a prompt, so the count is exactly
    what the model reads."""
    task = TASKS[task_name]
    demos = list(demos if demos is not None else load(task.dataset, "train"))
    queries = list(queries if queries is not None else load(task.dataset, "test"))
    probe = queries[0]["text"]
    header, bare = counter.count([plain_prompt(task, [], "").split("Message: ")[0],
                                  plain_prompt(task, [], probe)])
    with_demo = counter.count([plain_prompt(task, [d], probe) for d in demos])
    queried = counter.count([plain_prompt(task, [], q["text"]) for q in queries])
    return PromptSize(float(header), float(np.mean(with_demo)) - bare,
                      float(np.mean(queried)) - header)


@dataclass(frozen=True)
class Option:
    """One way to serve the task: what it costs once, and per 1,000 requests (USD)."""

    name: str
    setup_usd: float
    usd_per_1000: float

    def total(self, requests: float | np.ndarray) -> float | np.ndarray:
        """Total cost after ``requests`` requests."""
        return self.setup_usd + np.asarray(requests) / 1000 * self.usd_per_1000


def prompted(size: PromptSize, k: int, output_tokens: float = 1,
             prices: Prices = PRICES) -> Option:
    """A hosted model prompted with k demonstrations, paid per token; nothing to set up."""
    return Option(f"prompt, k={k}", 0.0,
                  token_cost_per_1000(size.tokens(k), output_tokens, prices))


def finetuned(labels: int, cpu_s_per_1000: float, train_cpu_seconds: float = 0.0,
              extra_setup_usd: float = 0.0, prices: Prices = PRICES) -> Option:
    """A small fine-tuned model on your own CPU: labelling and training once, CPU per request.

    ``labels`` counts only the extra labelled examples training needs (an evaluation set is
    needed by every option, so it is not charged here)."""
    setup = (labels * prices.usd_per_label + train_cpu_seconds / 3600 * prices.usd_per_cpu_hour
             + extra_setup_usd)
    return Option("fine-tuned", setup, cpu_cost_per_1000(cpu_s_per_1000 / 1000, prices))


def break_even(a: Option, b: Option) -> float | None:
    """Requests after which the two options have cost the same; None if they never cross
    (`tune_or_prompt.costs.break_even` on the same numbers)."""
    n = costs.break_even(*(costs.CostModel(o.name, o.setup_usd, o.usd_per_1000 / 1000)
                           for o in (a, b)))
    return None if math.isinf(n) else n


def cost_table(size: PromptSize, tuned: Option, shots: Sequence[int] = (0, 1, 2, 4, 8, 16),
               per_day: float | None = None, prices: Prices = PRICES) -> list[dict[str, Any]]:
    """One row per k: tokens per request, times the query alone, USD per 1,000 requests, and
    the break-even against the fine-tuned option (in requests, and in days at ``per_day``)."""
    rows = []
    for k in shots:
        option = prompted(size, k, prices=prices)
        n = break_even(option, tuned)
        row = {"k": k, "tokens per request": round(size.tokens(k)),
               "× query alone": round(size.times_query(k), 1),
               "USD per 1,000": round(option.usd_per_1000, 4),
               "break-even (requests)": "never" if n is None else f"{n:,.0f}"}
        if per_day:
            row["break-even (days)"] = "never" if n is None else f"{n / per_day:,.0f}"
        rows.append(row)
    return rows


def crossover_figure(options: Sequence[Option], tuned: Option, max_requests: float,
                     per_day: float | None = None):
    """Total cost against the number of requests: one line per prompted option and one for the
    fine-tuned option, with each break-even point marked (and a top axis in days at
    ``per_day`` requests a day)."""
    fig, (ax,) = _figure(1, width=7.0, height=4.0)
    n = np.linspace(0, max_requests, 200)
    millions = n / 1e6
    for i, option in enumerate(options):
        colour = COLOURS[i % len(COLOURS)]
        ax.plot(millions, option.total(n), color=colour, label=option.name)
        crossing = break_even(option, tuned)
        if crossing is not None and crossing <= max_requests:
            ax.plot(crossing / 1e6, option.total(crossing), marker=MARKERS[i % len(MARKERS)],
                    color=colour, markersize=8, zorder=3)
            ax.annotate(f"{crossing / 1e3:,.0f}k", (crossing / 1e6, option.total(crossing)),
                        textcoords="offset points", xytext=(6, -13), fontsize=8, color=colour)
    ax.plot(millions, tuned.total(n), color="black", linewidth=2.2, linestyle="--",
            label=f"{tuned.name} (set-up ${tuned.setup_usd:,.0f})")
    ax.set(xlabel="requests (millions)", ylabel="total cost (USD)", xlim=(0, max_requests / 1e6),
           ylim=(0, None), title="Total cost: prompting vs fine-tuning")
    ax.legend(fontsize=8, loc="upper left")
    if per_day:
        top = ax.secondary_xaxis("top", functions=(lambda m: m * 1e6 / per_day,
                                                   lambda d: d * per_day / 1e6))
        top.set_xlabel(f"days at {per_day:,.0f} requests a day", fontsize=9)
    return fig
