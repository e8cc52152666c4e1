"""The decision helper: describe your situation, get a recommendation with its reasons.

`recommend` is the one source of truth. It weighs the situation against evidence: the accuracy,
latency and cost of prompting, of fine-tuning and of embeddings + a classifier measured on a task
like yours (the course's sentiment task for general tasks, its bank intents for specialised
ones), and, where nothing was measured here (the model you would prompt is not the small local
one), published figures that match, each labelled "published" with its task and year. Costs come
from `tune_or_prompt.measure.costs` (`costs_for`, the same numbers as `cost_table`). The result is one of
the six `CHOICES`: prompt, fine-tune, embeddings + classifier, prompt + retrieval, hybrid or
measure first.

The rules, in order (see `recommend`):

1. No labelled examples: prompt.
2. Quality, where it was measured (the small local model): fine-tuning at least `CLEAR_GAIN`
   ahead decides for it, `CLEAR_LOSS` or more behind for the prompt; too few labels to fine-tune
   counts as "prompt".
3. Latency, where the prompt's was measured: the prompt misses the p95 budget and the
   fine-tuned model meets it: fine-tune.
4. Cost at the volume: fine-tuning that pays back within `PAYS_BACK_DAYS` wins, beyond
   `NEVER_PAYS_DAYS` the prompt does.
5. Nothing decided: prompt, unless the prompted model was not measured here (and there are
   labels): then **measure first**, since no rule can be applied honestly.
6. Fine-tune chosen, and embeddings + a classifier measured less than `CLEAR_LOSS` behind the
   fine-tuned encoder on the same test rows (and fitting the latency budget wherever the
   fine-tuned encoder does): **embeddings + classifier**, cheaper to train and one frozen
   encoder for many tasks. No embeddings measurement: never. Cost is not weighed again: both
   need the same labels, the bulk of the set-up.
7. Facts that change monthly or faster: prompt becomes **prompt + retrieval**; fine-tune and
   embeddings + classifier become **hybrid** (a trained classifier for the stable task,
   retrieval for the facts); measure first stays **measure first** (measure before choosing
   between prompt + retrieval and hybrid: the facts need retrieval either way).

`DecisionHelper` shows it two ways, like the quizzes: ipywidgets in a live kernel (calling
`recommend` on every change) and a self-contained HTML/JS view for the static site, whose
answers are `recommend`'s own, computed here for every combination of the menu choices.
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import math
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

from tune_or_prompt.measure import costs
from tune_or_prompt.measure.costs import PRICES, Prices

from .html_view import json_for_script

EMBEDDINGS = "embeddings + classifier"
MEASURE_FIRST = "measure first"
CHOICES = ("prompt", "fine-tune", EMBEDDINGS, "prompt + retrieval", "hybrid", MEASURE_FIRST)
SPECIALISATION = ("general", "domain", "in-house")
CHANGES = ("rarely", "monthly", "weekly")
SMALL_LOCAL = "small local"  # the embedded SmolLM2-135M, run on your own server: measured here
PROMPT_MODELS = (SMALL_LOCAL, costs.OPEN_MODEL, costs.FRONTIER_API)
SERVING = (costs.ALWAYS_ON, costs.SERVERLESS)
# The rules' thresholds (the cheat sheet quotes them from here):
CLEAR_GAIN = 0.05  # fine-tuning's measured accuracy gain that decides for it
CLEAR_LOSS = 0.02  # fine-tuning's accuracy shortfall that decides for the prompt (and
# embeddings + a classifier closer than this to the fine-tuned encoder is "as accurate")
PAYS_BACK_DAYS = 90  # fine-tuning that pays for itself within this many days wins on cost
NEVER_PAYS_DAYS = 365  # ... and beyond this many days the prompt wins on cost


@dataclass(frozen=True)
class Situation:
    """What the learner tells the helper."""

    labelled_examples: int  # labelled examples you have (or will pay for)
    queries_per_day: float
    latency_budget_ms: float  # the slowest acceptable answer (p95)
    specialisation: str  # general | domain | in-house (see SPECIALISATION)
    knowledge_changes: str  # rarely | monthly | weekly: how often the facts behind answers change
    prompt_model: str = SMALL_LOCAL  # the model you would prompt (see PROMPT_MODELS)
    serving: str = costs.ALWAYS_ON  # how you would serve a model you run yourself

    def __post_init__(self) -> None:
        if self.prompt_model not in PROMPT_MODELS:
            raise ValueError(f"prompt_model must be one of {PROMPT_MODELS}, "
                             f"not {self.prompt_model!r}")
        if self.serving not in SERVING:
            raise ValueError(f"serving must be one of {SERVING}, not {self.serving!r}")
        if self.specialisation not in SPECIALISATION:
            raise ValueError(f"specialisation must be one of {SPECIALISATION}, "
                             f"not {self.specialisation!r}")
        if self.knowledge_changes not in CHANGES:
            raise ValueError(f"knowledge_changes must be one of {CHANGES}, "
                             f"not {self.knowledge_changes!r}")
        if self.labelled_examples < 0 or self.queries_per_day <= 0 or self.latency_budget_ms <= 0:
            raise ValueError("labelled_examples must be >= 0; queries_per_day and "
                             "latency_budget_ms must be > 0")


@dataclass(frozen=True)
class TaskEvidence:
    """Prompting, fine-tuning and (optionally) embeddings + a classifier measured head to head
    on one task."""

    task: str
    prompt_accuracy: float
    prompt_p95_ms: float
    prompt_tokens: float
    prompt_cpu_s_per_query: float
    finetune_accuracy: float
    finetune_labelled: int
    finetune_p95_ms: float
    finetune_cpu_s_per_query: float
    train_cpu_seconds: float
    curve: tuple[tuple[int, float], ...]  # (labelled examples, mean accuracy) of a cheap fine-tune
    requests_per_item: int = 1  # prompts sent per item (tickets: one for intent, one for urgency)
    # Embeddings + a classifier (frozen encoder, trained linear head) on the same test rows;
    # None where it was not measured (then it is never recommended).
    embeddings_accuracy: float | None = None
    embeddings_labelled: int | None = None
    embeddings_p95_ms: float | None = None
    embeddings_train_cpu_seconds: float | None = None

    def finetune_accuracy_at(self, labelled: int) -> float | None:
        """Expected fine-tuned accuracy with ``labelled`` examples: the measured curve,
        interpolated on a log scale (None below its smallest size)."""
        points = sorted([*self.curve, (self.finetune_labelled, self.finetune_accuracy)])
        if not points or labelled < points[0][0]:
            return None
        best = None
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            if x0 <= labelled <= x1:
                if x1 == x0:
                    best = max(y0, y1)
                else:
                    t = (math.log(labelled) - math.log(x0)) / (math.log(x1) - math.log(x0))
                    best = y0 + t * (y1 - y0)
                break
        if best is None:  # beyond the largest measured size: no extrapolation upwards
            best = max(y for x, y in points if x <= labelled)
        return float(best)


@dataclass(frozen=True)
class Evidence:
    """The measurements behind a recommendation, and where they come from."""

    general: TaskEvidence
    specialised: TaskEvidence
    source: str
    prices: Prices = PRICES

    def for_task(self, specialisation: str) -> TaskEvidence:
        return self.general if specialisation == "general" else self.specialised

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Evidence:
        data = json.loads(text)
        tasks = {key: TaskEvidence(**{**data[key], "curve": tuple(map(tuple, data[key]["curve"]))})
                 for key in ("general", "specialised")}
        return cls(tasks["general"], tasks["specialised"], data["source"],
                   Prices(**data.get("prices", {})))


@functools.cache
def reference_evidence() -> Evidence:
    """The evidence of the course's reference run of Lab 3 (`compare.reference_run`)."""
    from tune_or_prompt.measure.compare import reference_run

    run = reference_run()
    return evidence_from(run.tasks["reviews"].sides, run.tasks["tickets"].sides,
                         run.curve("reviews"), run.curve("tickets"), run.source)


def evidence_from(general: dict, specialised: dict, general_curve: list,
                  specialised_curve: list, source: str, prices: Prices = PRICES) -> Evidence:
    """Evidence from `tune_or_prompt.measure.compare` results: ``general`` and ``specialised`` are
    `head_to_head` sides by approach (a task the model knows, such as reviews, and one with
    in-house labels, such as tickets), the curves `compare.crossover` rows."""
    from tune_or_prompt.ground.registry import dataset
    from tune_or_prompt.measure.compare import EMBEDDINGS as EMB_SIDE
    from tune_or_prompt.measure.compare import FINE_TUNING, PROMPTING, finetune_means

    def one(sides: dict, curve: list) -> TaskEvidence:
        # The numbers of the head-to-head table (`compare.table`): quality on the dataset's main
        # label; tokens, latency, CPU time, labels and training for every question it answers
        # (a ticket gets its intent and its urgency), as a service would pay for them.
        prompt, tuned, emb = sides[PROMPTING], sides[FINE_TUNING], sides.get(EMB_SIDE)
        return TaskEvidence(
            task=dataset(prompt.task).main, prompt_accuracy=prompt.accuracy,
            prompt_p95_ms=1000 * prompt.latency_p95_s, prompt_tokens=prompt.prompt_tokens,
            prompt_cpu_s_per_query=prompt.cpu_s_per_1000 / 1000,
            finetune_accuracy=tuned.accuracy, finetune_labelled=tuned.labelled_examples,
            finetune_p95_ms=1000 * tuned.latency_p95_s,
            finetune_cpu_s_per_query=tuned.cpu_s_per_1000 / 1000,
            train_cpu_seconds=tuned.setup_cpu_seconds,
            curve=tuple(finetune_means(curve).items()),
            requests_per_item=max(len(prompt.details), 1),
            embeddings_accuracy=emb.accuracy if emb else None,
            embeddings_labelled=emb.labelled_examples if emb else None,
            embeddings_p95_ms=1000 * emb.latency_p95_s if emb else None,
            embeddings_train_cpu_seconds=emb.setup_cpu_seconds if emb else None)
    return Evidence(one(general, general_curve), one(specialised, specialised_curve), source,
                    prices)


@dataclass(frozen=True)
class Recommendation:
    """What to do, why, and the numbers it rests on."""

    choice: str
    headline: str
    reasons: tuple[str, ...]
    source: str
    numbers: dict[str, float | None]

    def as_text(self, width: int = 70) -> str:
        """The recommendation as plain text wrapped to ``width`` (for a notebook's output)."""
        import textwrap

        wrap = functools.partial(textwrap.wrap, width=width, break_on_hyphens=False)
        lines = wrap(f"{self.choice.upper()}: {self.headline}")
        for reason in self.reasons:
            lines += wrap(reason, initial_indent="- ", subsequent_indent="  ")
        return "\n".join(lines)


def _pct(x: float) -> str:
    return f"{x:.2f}"


def _days(x: float) -> str:
    if math.isinf(x):
        return "never"
    if x < 1:
        return "within a day"
    return f"after about {x:,.0f} days"


# Published figures the helper may quote, each with its source, task and year (verified in the
# primary source; see book/references.bib). They are quoted only where they match the learner's
# inputs, and they never replace a measurement.
PUBLISHED = {
    "bucher2024": (
        "Published (Bucher & Martini 2024, text classification: sentiment, approval, emotions, "
        "party positions): fine-tuned RoBERTa-class models beat zero-shot GPT-3.5, GPT-4 and "
        "Claude Opus on every task they tested."),
    "zhao2024loraland": (
        "Published (Zhao et al. 2024, LoRA Land, 31 tasks): ten open base models fine-tuned "
        "with 4-bit LoRA beat their own base versions by 34 points and GPT-4 by 10 points on "
        "average."),
    "raft_gpt3": (
        "Published, GPT-3-era (Liu et al. 2022 on RAFT's Banking77, 77 intents, 50 labelled "
        "examples): GPT-3 in-context learning scored 29.9 against 69.5 for a fine-tuned 11B "
        "model; today's frontier models were not in that comparison."),
}


def costs_for(situation: Situation, evidence: Evidence | None = None
              ) -> tuple[costs.CostModel, costs.CostModel, int]:
    """(the prompt's cost model, the fine-tuned model's, the labelled examples it trains on)
    for a situation: the one place the helper and `cost_table` price both options."""
    ev = evidence or reference_evidence()
    task = ev.for_task(situation.specialisation)
    prices, per_day = ev.prices, situation.queries_per_day
    serving = costs.Serving(situation.serving)
    n = situation.labelled_examples
    used = min(n, task.finetune_labelled) if n else 0
    if situation.prompt_model == SMALL_LOCAL:
        prompt = costs.self_hosted("prompt (small local model)", task.prompt_cpu_s_per_query,
                                   per_day, serving=serving, prices=prices)
    else:
        prompt = costs.hosted_prompt(  # each request answers, and thinks, once
            task.prompt_tokens, model=situation.prompt_model,
            output_tokens=task.requests_per_item, prices=prices,
            name=f"prompt ({situation.prompt_model})", requests=task.requests_per_item)
    tuned = costs.finetuning_costs(
        used, task.train_cpu_seconds * used / max(task.finetune_labelled, 1),
        task.finetune_cpu_s_per_query, prices, "fine-tuned encoder", queries_per_day=per_day,
        serving=serving)
    return prompt, tuned, used


def cost_table(evidence: Evidence | None = None, volumes: tuple[float, ...] = (100, 3000, 100_000),
               specialisation: str = "in-house", labelled_examples: int = 200,
               serving: tuple[str, ...] = SERVING) -> list[dict[str, Any]]:
    """The helper's cost numbers as a table: for each volume, way of serving and model you
    would prompt, USD per 1,000 queries of both options and the days until fine-tuning pays
    for itself (`costs_for`, as `recommend` computes them)."""
    rows = []
    for per_day in volumes:
        for how in serving:
            for model in PROMPT_MODELS:
                situation = Situation(labelled_examples, per_day, 3000, specialisation, "rarely",
                                      model, how)
                prompt, tuned, _ = costs_for(situation, evidence)
                rows.append({"requests a day": per_day, "serving": how, "prompt model": model,
                             "prompt USD per 1,000": prompt.usd_per_1000(),
                             "fine-tuned USD per 1,000": tuned.usd_per_1000(),
                             "fine-tuned set-up USD": tuned.setup_usd,
                             "days to break even": costs.days_to_break_even(tuned, prompt,
                                                                           per_day),
                             **costs.price_columns(*(() if model == SMALL_LOCAL else (model,)),
                                                   prices=(evidence or reference_evidence()
                                                           ).prices)})
    return rows


def recommend(situation: Situation, evidence: Evidence | None = None) -> Recommendation:
    """Weigh the situation against the evidence; see the module docstring for the rules.

    Quality decides when it was measured and the gap is clear; otherwise latency (when the
    prompt's latency was measured), then cost; if none decides for an unmeasured prompted
    model, measure first. A fine-tune gives way to embeddings + a classifier measured as
    accurate. Published figures are quoted, never counted."""
    ev = evidence or reference_evidence()
    task = ev.for_task(situation.specialisation)
    prices = ev.prices
    n = situation.labelled_examples
    local = situation.prompt_model == SMALL_LOCAL
    reasons: list[str] = []
    prompt_cost, tuned_cost, used = costs_for(situation, ev)
    tuned_acc = task.finetune_accuracy_at(n) if n else None
    days = (costs.days_to_break_even(tuned_cost, prompt_cost, situation.queries_per_day)
            if n else math.inf)
    like = ("the course's sentiment task (the model already knows it)"
            if situation.specialisation == "general"
            else "the course's eight bank intents (in-house labels)")
    rows = "reviews" if situation.specialisation == "general" else "tickets"  # its validation set
    quality = latency = cost = None  # each: "fine-tune", "prompt" or None (does not decide)

    # Quality: measured for the small local model; published figures otherwise.
    if n == 0:
        reasons.append("With no labelled examples there is nothing to fine-tune on: start with a "
                       "prompt, and label the requests you check by hand. They become your "
                       "evaluation set first and your training set later.")
    elif tuned_acc is None:
        reasons.append(f"{n} labelled examples is below the smallest fine-tune we measured; use "
                       "them as demonstrations and as an evaluation set, and keep labelling.")
        quality = "prompt"
    elif local:
        gap = tuned_acc - task.prompt_accuracy
        measured = (f"Measured on {like}: the small local model (SmolLM2-135M, 4-bit) prompted "
                    f"with examples scored {_pct(task.prompt_accuracy)} accuracy; a small "
                    f"fine-tuned encoder with {n:,} labelled examples is expected to reach about "
                    f"{_pct(tuned_acc)}")
        if gap >= CLEAR_GAIN:
            reasons.append(f"{measured}: fine-tuning is clearly more accurate.")
            quality = "fine-tune"
        elif gap <= -CLEAR_LOSS:
            reasons.append(f"{measured}: the prompt is already better.")
            quality = "prompt"
        else:
            reasons.append(f"{measured}: about the same, so accuracy does not decide it.")
    else:
        reasons.append(
            f"Quality: no {situation.prompt_model} model was measured here, so accuracy cannot "
            f"decide it. The fine-tuned encoder is expected to reach about {_pct(tuned_acc)} on "
            f"{like} with {n:,} labelled examples; prompt your model on the same validation "
            f"{rows} and compare before you choose.")
        if situation.prompt_model == costs.FRONTIER_API:
            reasons.append(PUBLISHED["bucher2024"])
        reasons.append(PUBLISHED["zhao2024loraland"])
        if situation.specialisation == "in-house":
            reasons.append(PUBLISHED["raft_gpt3"])

    # Latency: the measured p95 against the budget.
    budget = situation.latency_budget_ms
    tuned_ok = task.finetune_p95_ms <= budget
    cold = (" Serverless adds cold starts, which were not measured here."
            if situation.serving == costs.SERVERLESS else "")
    if local:
        prompt_ok = task.prompt_p95_ms <= budget
        lat = (f"measured p95 latency: small local prompt {task.prompt_p95_ms:,.0f} ms, "
               f"fine-tuned encoder {task.finetune_p95_ms:,.0f} ms, against your "
               f"{budget:,.0f} ms")
        if not prompt_ok and tuned_ok:
            reasons.append(f"Latency favours fine-tuning: {lat}. A fine-tuned small model reads "
                           f"only the query, not a long prompt of examples.{cold}")
            latency = "fine-tune"
        elif not prompt_ok and not tuned_ok:
            reasons.append(f"Neither fits your budget on this hardware ({lat}): plan for a GPU, "
                           f"a smaller model or batching.{cold}")
        else:
            reasons.append(f"Latency does not decide it ({lat}).{cold}")
    else:
        fits = "fits" if tuned_ok else "does not fit"
        reasons.append(f"Latency: a hosted model's latency was not measured here (it depends on "
                       f"the vendor and the network); the fine-tuned encoder's measured p95 of "
                       f"{task.finetune_p95_ms:,.0f} ms {fits} your {budget:,.0f} ms.{cold}")

    # Cost at this volume, serving included.
    if n:
        per_day = situation.queries_per_day
        how = ("an always-on server, paid every hour whether busy or idle"
               if situation.serving == costs.ALWAYS_ON
               else "a serverless function, paid per second of use and per request")
        prompt_how = ("served the same way" if local
                      else f"at {situation.prompt_model} per-token prices")
        text = (f"Cost at {per_day:,.0f} queries a day: fine-tuning's set-up (labelling {used:,} "
                f"examples at ${prices.usd_per_label:.2f} each, plus training) is "
                f"${tuned_cost.setup_usd:,.2f}. Served on {how}, it costs "
                f"${tuned_cost.usd_per_1000():,.4f} per 1,000 queries; the prompt "
                f"({prompt_how}) costs ${prompt_cost.usd_per_1000():,.4f}. ")
        mine, theirs = tuned_cost.usd_per_1000(), prompt_cost.usd_per_1000()
        if math.isfinite(days):
            text += f"Fine-tuning pays for itself {_days(days)}"
        elif math.isclose(mine, theirs):
            text += ("Fine-tuning never pays for itself: both need the same server, so running "
                     "costs are equal and its set-up is never paid back")
        elif tuned_cost.usd_per_day:
            text += ("Fine-tuning never pays for itself: at this volume the server's daily "
                     "cost, shared over few queries, is more than the prompt costs")
        else:
            text += "Fine-tuning never pays for itself: it is not cheaper per query"
        if not local and task.prompt_tokens < prices.cache_min_tokens:
            text += (f" (the prompt's {task.prompt_tokens:,.0f} tokens are below the "
                     f"{prices.cache_min_tokens:,}-token minimum for cached-input prices)")
        reasons.append(text + ".")
        if days <= PAYS_BACK_DAYS:
            cost = "fine-tune"
        elif days > NEVER_PAYS_DAYS:
            cost = "prompt"

    # Decide: measured quality first, then measured latency, then cost.
    decided = quality or latency or cost
    if not n:
        base = "prompt"
    elif decided is None and not local:
        base = MEASURE_FIRST
        reasons.append(
            f"Measure first: neither quality, latency nor cost decides it, and no "
            f"{situation.prompt_model} model was measured here. Prompt it on your validation "
            f"examples (in this course, the validation {rows}) and score a fine-tuned encoder "
            f"trained on your {n:,} labelled examples on the same rows, with the same metric. "
            f"Fine-tune if it is at least {CLEAR_GAIN * 100:.0f} points of accuracy ahead, "
            f"prompt if it is {CLEAR_LOSS * 100:.0f} points or more behind.")
    else:
        base = decided or "prompt"

    # A fine-tune gives way to embeddings + a classifier when that was measured as accurate.
    emb_acc = task.embeddings_accuracy
    if base == "fine-tune" and emb_acc is not None:
        shortfall = task.finetune_accuracy - emb_acc
        labelled = task.embeddings_labelled or task.finetune_labelled
        emb = (f"Measured on the same test rows of {like}: a linear classifier on the frozen "
               f"encoder's embeddings, trained on {labelled:,} labelled examples, scored "
               f"{_pct(emb_acc)} accuracy; the encoder with every weight fine-tuned on "
               f"{task.finetune_labelled:,} scored {_pct(task.finetune_accuracy)}")
        emb_p95 = task.embeddings_p95_ms
        if shortfall >= CLEAR_LOSS:
            reasons.append(f"{emb}: fine-tuning every weight is clearly more accurate.")
        elif emb_p95 is not None and emb_p95 > budget and tuned_ok:
            reasons.append(f"{emb}, about as accurate, but its measured p95 latency of "
                           f"{emb_p95:,.0f} ms misses your {budget:,.0f} ms, which the fine-tuned "
                           f"encoder's {task.finetune_p95_ms:,.0f} ms meets: fine-tune.")
        else:
            train = (f" It trains in {task.embeddings_train_cpu_seconds:,.0f} CPU seconds "
                     f"against {task.train_cpu_seconds:,.0f}"
                     if task.embeddings_train_cpu_seconds is not None else " It trains faster")
            reasons.append(f"{emb}: about as accurate (less than {CLEAR_LOSS * 100:.0f} points "
                           f"behind), so keep the encoder frozen.{train}, and one frozen "
                           "encoder can serve many tasks, each with its own small classifier.")
            base = EMBEDDINGS

    changing = situation.knowledge_changes != "rarely"
    if changing:
        how_often = "every week" if situation.knowledge_changes == "weekly" else "every month"
        reasons.append(f"The facts change {how_often}: put them in the prompt at request time "
                       "(retrieval) instead of in weights, which stay stale until you retrain.")
    choice = base
    if changing:
        choice = {"prompt": "prompt + retrieval", "fine-tune": "hybrid", EMBEDDINGS: "hybrid",
                  MEASURE_FIRST: MEASURE_FIRST}[base]
    headline = {
        "prompt": "Prompt the model; measure, and keep labelling in case you need to switch.",
        "fine-tune": "Fine-tune a small model on your labelled examples.",
        EMBEDDINGS: "Train a small classifier on a frozen encoder's embeddings of your labelled "
                    "examples.",
        "prompt + retrieval": "Prompt the model and retrieve the current facts for each request.",
        "hybrid": "Combine: a fine-tuned model for the stable task, retrieval for the facts that "
                  "change.",
        MEASURE_FIRST: "Measure your model's accuracy first: prompt it and score a fine-tuned "
                       "encoder on the same validation rows, then decide.",
    }[choice]
    if choice == "hybrid" and base == EMBEDDINGS:
        headline = ("Combine: a classifier on a frozen encoder's embeddings for the stable task, "
                    "retrieval for the facts that change.")
    numbers = {"prompt_accuracy": task.prompt_accuracy if local else None,
               "finetune_accuracy": tuned_acc,
               "prompt_p95_ms": task.prompt_p95_ms if local else None,
               "finetune_p95_ms": task.finetune_p95_ms,
               "embeddings_accuracy": emb_acc, "days_to_break_even": days,
               "setup_usd": tuned_cost.setup_usd,
               "prompt_usd_per_1000": prompt_cost.usd_per_1000(),
               "finetune_usd_per_1000": tuned_cost.usd_per_1000()}
    return Recommendation(choice, headline, tuple(reasons), ev.source, numbers)


def recommendation_html(rec: Recommendation) -> str:
    """A recommendation as an escaped HTML fragment (the live view's rendering)."""
    items = "".join(f"<li>{html.escape(r)}</li>" for r in rec.reasons)
    return (f'<div class="tod-result"><p class="tod-choice">Recommendation: '
            f"<strong>{html.escape(rec.choice)}</strong></p>"
            f'<p class="tod-headline">{html.escape(rec.headline)}</p>'
            f'<ul class="tod-reasons">{items}</ul>'
            f'<p class="tod-source">Numbers: {html.escape(rec.source)}</p></div>')


# The menus both views show: (label, value) pairs; the values feed `Situation`.
MENUS: tuple[tuple[str, str, tuple[tuple[str, Any], ...]], ...] = (
    ("labelled_examples", "Labelled examples you have", (
        ("none yet", 0), ("about 30", 30), ("about 200", 200), ("1,000 or more", 1000))),
    ("queries_per_day", "Queries per day", (
        ("about 100", 100), ("about 1,000", 1000), ("about 10,000", 10_000),
        ("100,000 or more", 100_000))),
    ("latency_budget_ms", "Slowest acceptable answer (p95)", (
        ("a few seconds", 3000), ("300 ms", 300), ("50 ms", 50))),
    ("specialisation", "How specialised is the task?", (
        ("general: the model already knows it (e.g. sentiment)", "general"),
        ("domain wording, a few broad classes", "domain"),
        ("in-house labels, many fine classes (e.g. our 8 intents)", "in-house"))),
    ("knowledge_changes", "How often do the facts behind answers change?", (
        ("rarely", "rarely"), ("every month or so", "monthly"), ("every week or faster", "weekly"))),
    ("prompt_model", "The model you would prompt", (
        ("small, run locally (SmolLM2-135M, measured here)", SMALL_LOCAL),
        ("an open model of 1-8B parameters, hosted", costs.OPEN_MODEL),
        ("a frontier API (GPT-4-class)", costs.FRONTIER_API))),
    ("serving", "How you would serve a model you run", (
        ("an always-on server", costs.ALWAYS_ON),
        ("serverless, per second of use", costs.SERVERLESS))),
)
DEFAULT_SELECTION = (2, 1, 0, 2, 0, 0, 0)


def situation_for(selection: tuple[int, ...]) -> Situation:
    """The situation a tuple of menu indexes stands for."""
    return Situation(**{name: options[i][1]
                        for (name, _, options), i in zip(MENUS, selection, strict=True)})


@functools.cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("decide_assets", name).read_text("utf-8")


class DecisionHelper:
    """The decision helper as a widget (live kernel) and as static HTML (the site)."""

    def __init__(self, evidence: Evidence | None = None):
        self.evidence = evidence or reference_evidence()

    def payload(self) -> dict[str, Any]:
        """Everything the static view needs: the menus and `recommend`'s answer for every
        combination (reason texts stored once, referenced by index)."""
        texts: dict[str, int] = {}

        def ref(text: str) -> int:
            return texts.setdefault(text, len(texts))

        results = {}
        for selection in itertools.product(*(range(len(m[2])) for m in MENUS)):
            rec = recommend(situation_for(selection), self.evidence)
            results["-".join(map(str, selection))] = [
                CHOICES.index(rec.choice), ref(rec.headline), [ref(r) for r in rec.reasons]]
        return {"menus": [{"name": n, "label": lab, "options": [o[0] for o in opts]}
                          for n, lab, opts in MENUS],
                "default": list(DEFAULT_SELECTION), "choices": list(CHOICES),
                "texts": list(texts), "results": results, "source": self.evidence.source}

    def to_html(self) -> str:
        return (f'<div class="tod-helper" data-tod-helper role="region" '
                f'aria-label="Decision helper">'
                f'<script type="application/json">{json_for_script(self.payload())}</script>'
                '<p class="tod-noscript">The decision helper needs JavaScript in your browser; '
                "you can also run this page as a notebook.</p></div>"
                f"<style>{_asset('decide.css')}</style><script>{_asset('decide.js')}</script>")

    def widget(self) -> Any:
        import ipywidgets as w

        menus = [w.Dropdown(options=[(label, i) for i, (label, _) in enumerate(opts)],
                            value=DEFAULT_SELECTION[j], description=title,
                            style={"description_width": "initial"},
                            layout=w.Layout(width="auto"))
                 for j, (_, title, opts) in enumerate(MENUS)]
        out = w.HTML()

        def update(_: Any = None) -> None:
            rec = recommend(situation_for(tuple(m.value for m in menus)), self.evidence)
            out.value = f"<style>{_asset('decide.css')}</style>" + recommendation_html(rec)

        for menu in menus:
            menu.observe(update, names="value")
        update()
        self._menus, self._out = menus, out
        return w.VBox([*menus, out])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # Built by hand (like the quizzes): ipywidgets 7 has no _repr_mimebundle_.
        return {"application/vnd.jupyter.widget-view+json": {
                    "version_major": 2, "version_minor": 0, "model_id": self.widget().model_id},
                "text/html": self.to_html(),
                "text/plain": "Decision helper (run in Jupyter, or open the built site)"}

