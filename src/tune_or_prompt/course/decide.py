"""The decision helper: describe your situation, get a recommendation with its reasons.

`recommend` is the one source of truth. It weighs a `Situation` against `Evidence`: prompting,
fine-tuning and embeddings + a classifier measured head to head on the same test rows of a task
like yours (the course's reviews for general tasks, its bank tickets for specialised ones), with
the rows each approach alone got right, so that the course's sign test can say whether one is
more accurate. Where nothing was measured here (the model you would prompt is not the small
local one), published figures are quoted, each labelled with its source and year, and the
answer is to measure. The result is one of the six `CHOICES`: prompt, fine-tune, embeddings +
classifier, prompt + retrieval, hybrid or measure first.

The rules are `RULES`, applied in this order; each is a named function below, and each reason
says which rule it comes from. The first reason names the rule that decided.

1. **Where the data may go** (`rule_data`): text that may not leave your machines rules out a
   hosted model; the prompt candidate becomes a model you run yourself (the small local one,
   measured here). Text sent to a vendor is named as a cost of its own.
2. **What can be trained** (`rule_trainable`): no labels, fewer than the smallest training set
   measured, or labels applied unevenly: no trained option. Fewer labels than a trained
   option was measured with, where even then the sign test did not put it ahead of the
   measured prompt: that option is not expected to be ahead, and is left out.
3. **Quality** (`rule_quality`): one option beats another only when the sign test on the rows
   exactly one of them got right says so (p < `LEVEL`, `scores.sign_test`); otherwise they
   are tied. Tests that go round in a circle (A ahead of B, B of C, C of A) decide nothing:
   the quality of all three is unknown. A trained option's measurement counts for your labels
   when you have at least as many as it was trained on; with fewer, where it was ahead, its
   quality is unknown.
4. **Unknown quality is never decided by cost** (`rule_unknown_quality`): when an option's
   quality on your task is unknown (a prompted model not measured here; a trained model with
   fewer labels than were measured, where it was ahead; sign tests that contradict each
   other), the answer is **measure first**, with
   the command that measures it and what each result would mean.
5. **Latency** (`rule_latency`): a hard constraint on the measured p95 (your own figure for a
   hosted model). An unmeasured hosted model against a budget under `TIGHT_BUDGET_MS` is
   measure first, not a pass.
6. **Cost** (`rule_cost`): among the options left, the total cost of ownership over your
   horizon (`Costing`: labels still to make, engineering hours to build and to run, training
   and re-training, serving, prompt tokens). A difference below the materiality (a share of
   the total and an absolute floor) is a tie, and a tie goes to the simpler option
   (`SIMPLER`: prompt, then embeddings + classifier, then fine-tune).
7. **Facts that change** (`rule_changing_facts`): monthly or faster, a prompt becomes **prompt
   + retrieval** and a trained option **hybrid** (a trained classifier for the stable task,
   retrieval for the facts).

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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from typing import Any

from tune_or_prompt.ground.scores import sign_test
from tune_or_prompt.measure import costs
from tune_or_prompt.measure.costs import PRICES, Prices

from .html_view import json_for_script

PROMPT, FINE_TUNE = "prompt", "fine-tune"
EMBEDDINGS = "embeddings + classifier"
MEASURE_FIRST = "measure first"
CHOICES = (PROMPT, FINE_TUNE, EMBEDDINGS, "prompt + retrieval", "hybrid", MEASURE_FIRST)
OPTIONS = (PROMPT, FINE_TUNE, EMBEDDINGS)  # what can be built; the other choices combine them
SIMPLER = (PROMPT, EMBEDDINGS, FINE_TUNE)  # a tie goes to the first of these
SPECIALISATION = ("general", "domain", "in-house")
CHANGES = ("rarely", "monthly", "weekly")
SMALL_LOCAL = "small local"  # the embedded SmolLM2-135M, run on your own server: measured here
PROMPT_MODELS = (SMALL_LOCAL, costs.OPEN_MODEL, costs.FRONTIER_API)  # the helper's menu
HOSTED_MODELS = (costs.SMALL_API, costs.OPEN_MODEL, costs.FRONTIER_API)
SERVING = (costs.ALWAYS_ON, costs.SERVERLESS)
LEVEL = 0.05  # the sign test's p-value below which one option is more accurate than another
# Below this p95 budget an unmeasured hosted model is not assumed to fit (a round trip to a
# vendor plus its queue): measure it. An assumption of the course, not a vendor's figure.
TIGHT_BUDGET_MS = 1000.0


@dataclass(frozen=True)
class Costing:
    """The cost rule's editable assumptions: a horizon, engineering time and materiality.
    They are the course's round defaults, not measurements: put in your own."""

    horizon_months: float = 12.0
    usd_per_engineering_hour: float = 100.0
    # Hours to build each option once (write and validate a prompt; train, evaluate and ship
    # a classifier) and to keep it running each month (re-evaluate, retrain, follow vendors).
    prompt_build_hours: float = 4.0
    embeddings_build_hours: float = 8.0
    finetune_build_hours: float = 16.0
    prompt_upkeep_hours_per_month: float = 1.0
    trained_upkeep_hours_per_month: float = 2.0
    self_hosting_hours_per_month: float = 2.0  # a server or function of your own, any option
    retrain_every_months: float | None = 6.0  # a trained option is retrained this often
    materiality_share: float = 0.10  # a cost difference below this share of the dearer total
    materiality_floor_usd: float = 1000.0  # ... or below this many USD is a tie

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and (not math.isfinite(value) or value < 0):
                raise ValueError(f"{f.name} must be a finite number >= 0, not {value!r}")
        if self.horizon_months <= 0:
            raise ValueError("horizon_months must be > 0")

    @property
    def days(self) -> float:
        return self.horizon_months * 365.25 / 12

    def build_hours(self, option: str) -> float:
        return {PROMPT: self.prompt_build_hours, EMBEDDINGS: self.embeddings_build_hours,
                FINE_TUNE: self.finetune_build_hours}[option]

    def upkeep_hours_per_month(self, option: str, self_hosted: bool) -> float:
        own = self.self_hosting_hours_per_month if self_hosted else 0.0
        base = (self.prompt_upkeep_hours_per_month if option == PROMPT
                else self.trained_upkeep_hours_per_month)
        return base + own

    def material(self, cheaper: float, dearer: float) -> bool:
        """Whether ``dearer`` costs materially more than ``cheaper``."""
        gap = dearer - cheaper
        return gap > 0 and gap >= max(self.materiality_share * dearer,
                                      self.materiality_floor_usd)


@dataclass(frozen=True)
class Situation:
    """What the learner tells the helper."""

    labelled_examples: int  # labelled examples you hold (they cost nothing more)
    queries_per_day: float
    latency_budget_ms: float  # the slowest acceptable answer (p95)
    specialisation: str  # general | domain | in-house (see SPECIALISATION)
    knowledge_changes: str  # rarely | monthly | weekly: how often the facts behind answers change
    prompt_model: str = SMALL_LOCAL  # the model you would prompt (PROMPT_MODELS, HOSTED_MODELS)
    serving: str = costs.ALWAYS_ON  # how you would serve a model you run yourself
    data_may_leave: bool = True  # False: privacy, residency or a contract keeps text on your side
    labels_consistent: bool = True  # False: the labels were applied unevenly
    labels_to_make: int = 0  # labels you would still have to make (and pay for) to train
    hosted_p95_ms: float | None = None  # your own measured p95 of the hosted model, if any
    prompt_tokens: float | None = None  # your prompt's input tokens per query (None: the course's)
    cached_prompt_tokens: float = 0.0  # of those, a prefix the vendor may cache
    costing: Costing = field(default_factory=Costing)

    def __post_init__(self) -> None:
        if self.prompt_model not in (*PROMPT_MODELS, *HOSTED_MODELS):
            raise ValueError(f"prompt_model must be one of {(SMALL_LOCAL, *HOSTED_MODELS)}, "
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
        if self.labels_to_make < 0 or self.cached_prompt_tokens < 0:
            raise ValueError("labels_to_make and cached_prompt_tokens must be >= 0")
        for name in ("hosted_p95_ms", "prompt_tokens"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a number > 0 or None, not {value!r}")

    @property
    def hosted(self) -> bool:
        """Whether the model you would prompt runs at a vendor."""
        return self.prompt_model != SMALL_LOCAL

    @property
    def labels(self) -> int:
        """Labels a trained option would learn from: those you hold and those you would make."""
        return self.labelled_examples + self.labels_to_make


Detail = tuple[tuple[str, int, float], ...]  # (target, labelled examples, training CPU seconds)


@dataclass(frozen=True)
class TaskEvidence:
    """Prompting, fine-tuning and (optionally) embeddings + a classifier measured head to head
    on one task. Accuracies are on the dataset's main label (``task``) over ``test_rows``
    rows; ``paired`` holds, for pairs of `OPTIONS`, the rows only the first got right and the
    rows only the second got right (what the sign test reads). Latency, CPU time and tokens
    are per query, every question it answers included (a ticket: intent and urgency)."""

    task: str
    prompt_accuracy: float
    prompt_p95_ms: float
    prompt_tokens: float
    prompt_cpu_s_per_query: float
    finetune_accuracy: float
    finetune_labelled: int  # labelled examples the main target's model trained on
    finetune_p95_ms: float
    finetune_cpu_s_per_query: float
    train_cpu_seconds: float  # every target's training together
    # Embeddings + a classifier's mean validation accuracy by labelled examples (the crossover
    # of `compare.crossover`, several seeds): quoted, never a paired test.
    curve: tuple[tuple[int, float], ...]
    requests_per_item: int = 1  # prompts sent per item (tickets: one for intent, one for urgency)
    # Embeddings + a classifier (frozen encoder, trained linear head) on the same test rows;
    # None where it was not measured (then it is never recommended).
    embeddings_accuracy: float | None = None
    embeddings_labelled: int | None = None
    embeddings_p95_ms: float | None = None
    embeddings_train_cpu_seconds: float | None = None
    embeddings_cpu_s_per_query: float | None = None
    dataset: str = ""  # the rows' dataset (tickets, reviews, yours)
    test_rows: int = 0
    paired: tuple[tuple[str, str, int, int], ...] = ()
    finetune_detail: Detail = ()  # training per target
    embeddings_detail: Detail = ()

    def paired_counts(self, a: str, b: str) -> tuple[int, int] | None:
        """(rows only ``a`` got right, rows only ``b`` got right), or None if not measured."""
        for x, y, only_x, only_y in self.paired:
            if (x, y) == (a, b):
                return only_x, only_y
            if (x, y) == (b, a):
                return only_y, only_x
        return None

    def curve_at(self, labelled: int) -> tuple[int, float] | None:
        """The largest measured point of the embeddings curve at or below ``labelled``."""
        below = [(x, y) for x, y in self.curve if x <= labelled]
        return max(below) if below else None

    def smallest_trained(self) -> int:
        """The fewest labelled examples any trained model here was measured with."""
        sizes = [x for x, _ in self.curve] + [self.finetune_labelled]
        return min(sizes)


_TUPLES = ("curve", "paired", "finetune_detail", "embeddings_detail")


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


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
        tasks = {key: TaskEvidence(**{k: _tuples(v) if k in _TUPLES else v
                                      for k, v in data[key].items()})
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
    from tune_or_prompt.measure.compare import FINE_TUNING, PROMPTING, finetune_means, paired

    names = {PROMPTING: PROMPT, FINE_TUNING: FINE_TUNE, EMB_SIDE: EMBEDDINGS}

    def detail(side) -> Detail:
        return tuple((t, part.train_size or 0, part.setup_cpu_seconds)
                     for t, part in side.details.items())

    def one(sides: dict, curve: list) -> TaskEvidence:
        # Quality on the dataset's main label, with the paired counts of every pair measured;
        # tokens, latency and CPU time for every question it answers (a ticket gets its intent
        # and its urgency), as a service would pay for them; labels: the main target's.
        prompt, tuned, emb = sides[PROMPTING], sides[FINE_TUNING], sides.get(EMB_SIDE)
        main = dataset(prompt.task).main
        measured = [a for a in (PROMPTING, FINE_TUNING, EMB_SIDE) if a in sides]
        pairs = tuple((names[a], names[b], *paired(sides, a, b)[:2])
                      for a, b in itertools.combinations(measured, 2))

        def labelled(side) -> int:
            return side.details[main].train_size or side.labelled_examples

        return TaskEvidence(
            task=main, prompt_accuracy=prompt.accuracy,
            prompt_p95_ms=1000 * prompt.latency_p95_s, prompt_tokens=prompt.prompt_tokens,
            prompt_cpu_s_per_query=prompt.cpu_s_per_1000 / 1000,
            finetune_accuracy=tuned.accuracy, finetune_labelled=labelled(tuned),
            finetune_p95_ms=1000 * tuned.latency_p95_s,
            finetune_cpu_s_per_query=tuned.cpu_s_per_1000 / 1000,
            train_cpu_seconds=tuned.setup_cpu_seconds,
            curve=tuple(finetune_means(curve).items()),
            requests_per_item=max(len(prompt.details), 1),
            embeddings_accuracy=emb.accuracy if emb else None,
            embeddings_labelled=labelled(emb) if emb else None,
            embeddings_p95_ms=1000 * emb.latency_p95_s if emb else None,
            embeddings_train_cpu_seconds=emb.setup_cpu_seconds if emb else None,
            embeddings_cpu_s_per_query=emb.cpu_s_per_1000 / 1000 if emb else None,
            dataset=prompt.task, test_rows=len(prompt.details[main].answers), paired=pairs,
            finetune_detail=detail(tuned), embeddings_detail=detail(emb) if emb else ())
    return Evidence(one(general, general_curve), one(specialised, specialised_curve), source,
                    prices)


@dataclass(frozen=True)
class Recommendation:
    """What to do, why, the rule that decided, and the numbers it rests on."""

    choice: str
    headline: str
    reasons: tuple[str, ...]
    source: str
    numbers: dict[str, float | None]
    rule: str = ""  # the name of the rule that decided (see `RULES`)

    def as_text(self, width: int = 70) -> str:
        """The recommendation as plain text wrapped to ``width`` (for a notebook's output)."""
        import textwrap

        wrap = functools.partial(textwrap.wrap, width=width, break_on_hyphens=False)
        lines = wrap(f"{self.choice.upper()}: {self.headline}")
        for reason in self.reasons:
            lines += wrap(reason, initial_indent="- ", subsequent_indent="  ")
        return "\n".join(lines)


# Published figures the helper quotes, each with its source, task and year (verified in the
# primary source; see book/references.bib). None of them settles quality for the learner's
# task, so none decides: Bucher & Martini compared zero-shot prompts, not prompts with
# demonstrations chosen on validation; LoRA Land averages 31 tasks and compares fine-tuned
# open models with GPT-4, not encoders with today's prompted models; the RAFT figure is of the
# GPT-3 era. They say what to expect, and the answer stays "measure first".
PUBLISHED = {
    "bucher2024": (
        "Published (Bucher & Martini 2024, text classification: sentiment, approval, emotions, "
        "party positions): fine-tuned RoBERTa-class models beat zero-shot GPT-3.5, GPT-4 and "
        "Claude Opus on every task they tested. Zero-shot prompts only, so it does not settle "
        "a prompt with demonstrations."),
    "zhao2024loraland": (
        "Published (Zhao et al. 2024, LoRA Land, 31 tasks): ten open base models fine-tuned "
        "with 4-bit LoRA beat their own base versions by 34 points and GPT-4 by 10 points on "
        "average. An average over other tasks and models, so it does not settle yours."),
    "raft_gpt3": (
        "Published, GPT-3-era (Liu et al. 2022 on RAFT's Banking77, 77 intents, 50 labelled "
        "examples): GPT-3 in-context learning scored 29.9 against 69.5 for a fine-tuned 11B "
        "model; today's frontier models were not in that comparison, so it does not settle "
        "them."),
}


def costs_for(situation: Situation, evidence: Evidence | None = None
              ) -> tuple[costs.CostModel, costs.CostModel, int]:
    """(the prompt's cost model, the fine-tuned model's, the labelled examples it trains on)
    for a situation, at its volume and way of serving: the one place the prompt's tokens or
    server and the fine-tuned model's serving are priced (`cost_table` and the cost rule use
    it). Labels held cost nothing; ``labels_to_make`` are paid for; training is priced for the
    labels used, at most as many as were measured."""
    ev = evidence or reference_evidence()
    task = ev.for_task(situation.specialisation)
    prices, per_day = ev.prices, situation.queries_per_day
    serving = costs.Serving(situation.serving)
    used = min(situation.labels, task.finetune_labelled)
    if not situation.hosted:
        prompt = costs.self_hosted("prompt (small local model)", task.prompt_cpu_s_per_query,
                                   per_day, serving=serving, prices=prices)
    else:
        prompt = costs.hosted_prompt(  # each request answers, and thinks, once
            situation.prompt_tokens or task.prompt_tokens, model=situation.prompt_model,
            output_tokens=task.requests_per_item, prices=prices,
            cached_tokens=situation.cached_prompt_tokens,
            name=f"prompt ({situation.prompt_model})", requests=task.requests_per_item)
    tuned = costs.finetuning_costs(
        0, task.train_cpu_seconds * used / max(task.finetune_labelled, 1),
        task.finetune_cpu_s_per_query, prices, "fine-tuned encoder", queries_per_day=per_day,
        serving=serving, extra_setup_usd=costs.labelling_usd(situation.labels_to_make, prices))
    return prompt, tuned, used


def cost_table(evidence: Evidence | None = None, volumes: tuple[float, ...] = (100, 3000, 100_000),
               specialisation: str = "in-house", labelled_examples: int = 200,
               serving: tuple[str, ...] = SERVING) -> list[dict[str, Any]]:
    """Fine-tuning against a prompt when the ``labelled_examples`` must still be made: for
    each volume, way of serving and model you would prompt, USD per 1,000 queries of both
    options and the days until fine-tuning's set-up (labels and training) pays for itself
    (`costs_for`)."""
    rows = []
    for per_day in volumes:
        for how in serving:
            for model in PROMPT_MODELS:
                situation = Situation(0, per_day, 3000, specialisation, "rarely", model, how,
                                      labels_to_make=labelled_examples)
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


# ---------------------------------------------------------------------------------------------
# The total cost of ownership of one option over the horizon
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tco:
    """One option's total cost over the horizon, by part (USD)."""

    option: str
    parts: tuple[tuple[str, float], ...]

    @property
    def total(self) -> float:
        return sum(usd for _, usd in self.parts)

    def describe(self) -> str:
        items = ", ".join(f"{what} ${usd:,.0f}" for what, usd in self.parts if usd >= 0.5)
        return f"{self.option} ${self.total:,.0f} ({items or 'nothing to pay'})"


def tco(option: str, situation: Situation, evidence: Evidence) -> Tco:
    """What ``option`` costs over ``situation.costing.horizon_months``: labels still to make,
    engineering (build once, run every month), training and re-training, serving (a server or
    function of your own) and prompt tokens (a hosted model)."""
    c, prices = situation.costing, evidence.prices
    task = evidence.for_task(situation.specialisation)
    days, per_day = c.days, situation.queries_per_day
    serving = costs.Serving(situation.serving)
    self_hosted = option != PROMPT or not situation.hosted
    hours = c.build_hours(option) + c.horizon_months * c.upkeep_hours_per_month(option,
                                                                                self_hosted)
    parts: list[tuple[str, float]] = []
    if option == PROMPT:
        model, _, _ = costs_for(situation, evidence)
        key = "prompt tokens" if situation.hosted else "serving"
        parts.append((key, days * per_day * model.effective_per_query_usd))
    else:
        cpu_s = (task.finetune_cpu_s_per_query if option == FINE_TUNE
                 else task.embeddings_cpu_s_per_query or task.finetune_cpu_s_per_query)
        train_s = (task.train_cpu_seconds if option == FINE_TUNE
                   else task.embeddings_train_cpu_seconds or 0.0)
        measured = (task.finetune_labelled if option == FINE_TUNE
                    else task.embeddings_labelled or task.finetune_labelled)
        train_usd = costs.cpu_usd(train_s * min(situation.labels, measured) / max(measured, 1),
                                  prices)
        runs = 1 + (math.floor(c.horizon_months / c.retrain_every_months)
                    if c.retrain_every_months else 0)
        model = costs.self_hosted(option, cpu_s, per_day, serving=serving, prices=prices)
        parts += [("labels to make", costs.labelling_usd(situation.labels_to_make, prices)),
                  ("training", runs * train_usd),
                  ("serving", days * per_day * model.effective_per_query_usd)]
    parts.append(("engineering", hours * c.usd_per_engineering_hour))
    return Tco(option, tuple(parts))


def cost_choice(options: list[str], situation: Situation, evidence: Evidence
                ) -> tuple[str, bool, dict[str, Tco]]:
    """(the option the cost rule picks, whether it was a tie, every option's `Tco`): the
    simplest option that is not materially dearer than the cheapest."""
    totals = {o: tco(o, situation, evidence) for o in options}
    cheapest = min(totals[o].total for o in options)
    close = [o for o in SIMPLER if o in totals
             and not situation.costing.material(cheapest, totals[o].total)]
    return close[0], len(close) > 1, totals


# ---------------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    """The working state of one recommendation: the options still open, the rule that ruled
    out each of the others, the reasons so far, and a verdict once a rule gives one."""

    situation: Situation
    evidence: Evidence
    task: TaskEvidence
    prompt_model: str  # the model prompted (rule 1 may replace a hosted one)
    open: list[str]
    out: dict[str, str] = field(default_factory=dict)  # option -> the rule that ruled it out
    unknown: dict[str, str] = field(default_factory=dict)  # option -> why its quality is unknown
    reasons: list[str] = field(default_factory=list)
    verdict: str | None = None
    decided_by: str | None = None
    tco: dict[str, Tco] = field(default_factory=dict)

    @property
    def local(self) -> bool:
        return self.prompt_model == SMALL_LOCAL

    @property
    def effective(self) -> Situation:
        """The situation with the prompt candidate rule 1 left."""
        return replace(self.situation, prompt_model=self.prompt_model)

    def rule_out(self, option: str, rule: str) -> None:
        if option in self.open:
            self.open.remove(option)
            self.out[option] = rule

    def say(self, rule: Rule, text: str) -> None:
        self.reasons.append(f"{rule.title}: {text}")

    def decide(self, verdict: str, rule: Rule) -> None:
        self.verdict, self.decided_by = verdict, rule.name


@dataclass(frozen=True)
class Rule:
    """One step of `recommend`: a number, a name, what it does in a sentence, and the function
    that applies it to a `Case`."""

    number: int
    name: str
    summary: str
    apply: Callable[[Case, Rule], None]

    @property
    def title(self) -> str:
        return f"Rule {self.number} ({self.name})"


def _prompt_name(case: Case) -> str:
    if case.local:
        return "the small local prompt (SmolLM2-135M, measured here)"
    return f"the {case.prompt_model} prompt ({costs.model_name(case.prompt_model)})"


def _name(case: Case, option: str) -> str:
    """How the reasons call an option (embeddings + classifier by that name)."""
    return {PROMPT: _prompt_name(case), FINE_TUNE: "the fine-tuned encoder",
            EMBEDDINGS: "embeddings + classifier"}[option]


def _rows(task: TaskEvidence) -> str:
    return f"{task.test_rows:,} test rows of {task.dataset or 'the task'} ({task.task})"


def _trained_on(task: TaskEvidence, option: str) -> int:
    if option == FINE_TUNE:
        return task.finetune_labelled
    return task.embeddings_labelled or task.finetune_labelled


def _accuracy(task: TaskEvidence, option: str) -> float | None:
    return {PROMPT: task.prompt_accuracy, FINE_TUNE: task.finetune_accuracy,
            EMBEDDINGS: task.embeddings_accuracy}[option]


def _p95(case: Case, option: str) -> float | None:
    task = case.task
    if option == PROMPT:
        return task.prompt_p95_ms if case.local else case.situation.hosted_p95_ms
    return task.finetune_p95_ms if option == FINE_TUNE else task.embeddings_p95_ms


def _seconds(detail: Detail, total: float | None) -> str:
    if total is None:
        return "not measured"
    if len(detail) <= 1:
        return f"{total:,.1f} CPU s"
    parts = "; ".join(f"{t}: {s:,.1f} s on {n:,} labels" for t, n, s in detail)
    return f"{total:,.1f} CPU s for its {len(detail)} models together ({parts})"


def rule_data(case: Case, rule: Rule) -> None:
    """A hosted model cannot be used when the text may not leave your machines: the prompt
    candidate becomes the small local model, which you run yourself. Otherwise, text sent to a
    vendor is named as a cost of its own."""
    s = case.situation
    if not s.hosted:
        return
    if not s.data_may_leave:
        case.prompt_model = SMALL_LOCAL
        case.say(rule, f"your text may not leave your machines, so the {s.prompt_model} prompt "
                 "and any vendor's fine-tuning are ruled out. The candidates are models you "
                 "run yourself: the small local model prompted (measured here), the fine-tuned "
                 "encoder and embeddings + classifier (a serverless function counts only if it "
                 "runs where your contract allows).")
    else:
        case.say(rule, f"every request sends its text to the vendor of "
                 f"{costs.model_name(s.prompt_model)}. If it holds personal data, that needs a "
                 "lawful basis and a data-processing agreement with the vendor: a cost of its "
                 "own, not priced here.")


def rule_trainable(case: Case, rule: Rule) -> None:
    """Trained options need labels: none, fewer than the smallest training set measured, or
    labels applied unevenly leave only the prompt."""
    s, task = case.situation, case.task
    trained = [o for o in (FINE_TUNE, EMBEDDINGS) if o in case.open]
    if task.embeddings_accuracy is None and EMBEDDINGS in case.open:
        case.rule_out(EMBEDDINGS, rule.name)  # not measured: never recommended
        trained.remove(EMBEDDINGS)
    why = None
    if s.labels == 0:
        why = ("with no labelled examples there is nothing to train: start with a prompt and "
               "label the requests you check by hand. They become your evaluation set first "
               "and your training set later.")
    elif not s.labels_consistent:
        why = ("your labels were applied unevenly: a model trained on them learns the "
               "disagreement, and a score measured on them measures it. Write the labelling "
               "rules down, label a sample twice and check that the two agree before you train "
               "or trust any score.")
    elif s.labels < task.smallest_trained():
        why = (f"{s.labels:,} labelled examples is below the smallest training set measured "
               f"here ({task.smallest_trained():,}): use them as demonstrations and as an "
               "evaluation set, and keep labelling.")
    if why:
        for option in trained:
            case.rule_out(option, rule.name)
        case.say(rule, why)
        return
    # Fewer labels than a trained option was measured with, where even then it was not ahead
    # of the (measured) prompt: it is not expected to be ahead with fewer.
    texts = []
    for option in trained:
        measured = _trained_on(task, option)
        counts = task.paired_counts(PROMPT, option)
        if not case.local or s.labels >= measured or counts is None or _ahead(*counts[::-1]):
            continue
        case.rule_out(option, rule.name)
        texts.append(f"with {measured:,} labelled examples {_name(case, option)} was not ahead "
                     f"of the prompt by the sign test ({counts[1]} rows right alone against "
                     f"{counts[0]}), so with your {s.labels:,} it is not expected to be")
    if texts:
        case.say(rule, "; ".join(texts) + ".")


def _ahead(wins: int, losses: int) -> bool:
    """Whether ``wins`` against ``losses`` rows right alone is ahead by the sign test."""
    return wins > losses and sign_test(wins, losses) < LEVEL


def rule_quality(case: Case, rule: Rule) -> None:
    """An option is ruled out when another is more accurate by the sign test on the same rows
    (p < `LEVEL`); otherwise the two are tied. The prompt is compared with each trained option
    and the trained options with each other; tests that contradict each other (A ahead of B, B
    of C, C of A) decide nothing, and all three are left with unknown quality (rule 4: measure
    on more rows). A trained option's measurement counts for your labels when you have at
    least as many as it was trained on; with fewer (rule 2 has left out those that were not
    ahead even then), its quality is unknown."""
    s, task = case.situation, case.task
    if not case.local and PROMPT in case.open:
        case.unknown[PROMPT] = f"no {case.prompt_model} model was measured here"
    carried = {o: s.labels >= _trained_on(task, o) for o in (FINE_TUNE, EMBEDDINGS)}
    texts: list[str] = []

    def known() -> list[str]:
        return [o for o in OPTIONS if o in case.open and o not in case.unknown]

    def ahead(a: str, b: str) -> str | None:
        """The sign test's winner of ``a`` against ``b`` (None: tied), said in ``texts``."""
        counts = task.paired_counts(a, b)
        if counts is None:
            texts.append(f"{_name(case, a)} and {_name(case, b)} were not compared on the same "
                         "rows: tied on quality")
            return None
        only_a, only_b = counts
        p = sign_test(only_a, only_b)
        test = (f"on the same {_rows(task)}, {_name(case, a)} alone got {only_a} right and "
                f"{_name(case, b)} (trained on {_trained_on(task, b):,} labelled examples) "
                f"alone got {only_b} right: sign test {_p_text(p)}")
        if not (_ahead(only_a, only_b) or _ahead(only_b, only_a)):
            texts.append(f"{test}, not below {LEVEL}: tied on quality (accuracy "
                         f"{_accuracy(task, a):.2f} and {_accuracy(task, b):.2f}, a difference "
                         "the test does not confirm)")
            return None
        winner, loser = (a, b) if only_a > only_b else (b, a)
        texts.append(f"{test} < {LEVEL}: {_name(case, winner)} is more accurate (accuracy "
                     f"{_accuracy(task, winner):.2f} against {_accuracy(task, loser):.2f})")
        return winner

    # 1. The (measured) prompt against each trained option.
    out: set[str] = set()
    if PROMPT in known():
        for option in [o for o in known() if o != PROMPT]:
            winner = ahead(PROMPT, option)
            measured = _trained_on(task, option)
            if winner == option and not carried[option]:  # ahead, but with more labels
                case.unknown[option] = (f"it was ahead with {measured:,} labelled examples; "
                                        f"with your {s.labels:,} it was not measured")
            elif winner is not None:
                out.add(PROMPT if winner == option else option)
            elif not carried[option] and task.paired_counts(PROMPT, option) is None:
                case.unknown[option] = (f"it was not compared with the prompt, and was "
                                        f"measured with {measured:,} labelled examples, not "
                                        f"your {s.labels:,}")
    for option in (FINE_TUNE, EMBEDDINGS):
        if option in known() and PROMPT not in known() and not carried[option]:
            case.unknown[option] = (f"it was measured with {_trained_on(task, option):,} "
                                    f"labelled examples, not with your {s.labels:,}")
    # 2. The trained options, with each other (both measured for your labels).
    trained = [o for o in known() if o != PROMPT and carried[o]]
    if len(trained) == 2:
        winner = ahead(*trained)
        if winner in out and PROMPT in out:
            # 3. Tests that contradict each other: the prompt ahead of the winner, the winner
            #    ahead of the other, and the other ahead of the prompt. No honest answer on
            #    quality: all three stay open, their quality unknown (rule 4: measure first).
            for option in (PROMPT, *trained):
                case.unknown[option] = ("the sign tests on the same rows contradict each other "
                                        "(each option is behind another): measure on more rows")
            out = set()
        elif winner is not None:
            out.add(next(o for o in trained if o != winner))
    for option in out:
        case.rule_out(option, rule.name)
    if texts:
        case.say(rule, "; ".join(texts) + ".")


def _command(case: Case) -> str:
    s = case.situation
    api = "" if case.local else " --base-url YOUR_ENDPOINT --model YOUR_MODEL_ID"
    return (f"tune-or-prompt compare --data YOUR_FILE.csv --text-field TEXT_FIELD "
            f"--label-field LABEL_FIELD --train-size {max(s.labels, 2)}{api} --out "
            "compare-out")


def rule_unknown_quality(case: Case, rule: Rule) -> None:
    """When an option still open has unknown quality and there is another to choose, cost may
    not choose between them: measure first, on your own rows."""
    unknown = [o for o in case.open if o in case.unknown]
    if not unknown or len(case.open) < 2:
        return
    s, task = case.situation, case.task
    why = "; ".join(f"for {_name(case, o)}, {case.unknown[o]}" for o in unknown)
    # What cost would say if they tie, among the options whose measured p95 fits the budget.
    fits = [o for o in case.open if (_p95(case, o) or 0) <= s.latency_budget_ms]
    if_tied = ""
    if len(fits) > 1:
        pick, tie, totals = cost_choice(fits, case.effective, case.evidence)
        case.tco = totals
        if_tied = (f" If they tie, cost decides (rule 6): over {s.costing.horizon_months:g} "
                   f"months at {s.queries_per_day:,.0f} a day, {_name(case, pick)}"
                   + (" (the simplest of those within the materiality of the cheapest)" if tie
                      else "")
                   + f": {'; '.join(t.describe() for t in totals.values())}.")
    missed = [_name(case, o) for o in case.open if o not in fits]
    if missed:
        if_tied += (f" ({', '.join(missed)} already misses your "
                    f"{s.latency_budget_ms:,.0f} ms p95 budget.)")
    case.say(rule, f"quality is unknown ({why}), and cost never decides between options of "
             f"unknown quality. Measure on your own labelled rows: `{_command(case)}`"
             + ("" if case.local else " (the key is read from OPENAI_API_KEY)")
             + ". It answers the same test rows with every approach; read them with the sign "
             f"test (`compare.verdict`): a trained approach ahead (p < {LEVEL}): train it; the "
             f"prompt ahead: prompt.{if_tied}")
    if PROMPT in unknown and not case.local:
        if case.prompt_model == costs.FRONTIER_API:
            case.reasons.append(PUBLISHED["bucher2024"])
        case.reasons.append(PUBLISHED["zhao2024loraland"])
        if s.specialisation == "in-house":
            case.reasons.append(PUBLISHED["raft_gpt3"])
    point = task.curve_at(s.labels)
    if any(o != PROMPT for o in unknown) and point:
        case.reasons.append(
            f"Learning curve (quoted, not a paired test): on validation rows of "
            f"{task.dataset or 'the task'}, embeddings + classifier averaged {point[1]:.2f} "
            f"accuracy with {point[0]:,} labelled examples.")
    case.decide(MEASURE_FIRST, rule)


def rule_latency(case: Case, rule: Rule) -> None:
    """Options whose measured p95 misses the budget are ruled out; a hosted model's p95 is
    yours to give, and without it a budget under `TIGHT_BUDGET_MS` is measure first."""
    s = case.situation
    budget = s.latency_budget_ms
    cold = (" Serverless adds cold starts, which were not measured here."
            if s.serving == costs.SERVERLESS else "")
    if PROMPT in case.open and not case.local and s.hosted_p95_ms is None:
        if budget < TIGHT_BUDGET_MS:
            case.say(rule, f"the {case.prompt_model} model's p95 latency was not measured, and "
                     f"your budget of {budget:,.0f} ms is under {TIGHT_BUDGET_MS:,.0f} ms (the "
                     "course's assumed threshold, editable), where a hosted model cannot be "
                     "assumed to fit: measure its p95 from "
                     f"where you will call it (`{_command(case)}` times it too).")
            case.decide(MEASURE_FIRST, rule)
            return
        case.say(rule, f"the {case.prompt_model} model's p95 was not measured; your budget of "
                 f"{budget:,.0f} ms is at least {TIGHT_BUDGET_MS:,.0f} ms, so it is assumed to "
                 "fit (check it when you measure).")
    shown, missed = [], []
    for option in list(case.open):
        p95 = _p95(case, option)
        if p95 is None:
            continue
        source = "your figure" if option == PROMPT and not case.local else "measured"
        shown.append(f"{_name(case, option)} {p95:,.0f} ms ({source})")
        if p95 > budget:
            missed.append(option)
    if not shown:
        return
    text = f"p95 latency per query: {', '.join(shown)}, against your {budget:,.0f} ms"
    if missed and len(missed) == len(case.open):
        case.say(rule, f"{text}: none fits on the hardware measured. Measure on the hardware "
                 f"you would serve with (a GPU, a smaller model, batching).{cold}")
        case.decide(MEASURE_FIRST, rule)
        return
    for option in missed:
        case.rule_out(option, rule.name)
    ruled = (f": {', '.join(_name(case, o) for o in missed)} "
             f"{'is' if len(missed) == 1 else 'are'} ruled out" if missed else ": all fit")
    case.say(rule, f"{text}{ruled}.{cold}")


def _p_text(p: float) -> str:
    """A p-value as the reasons print it ("p < 0.001" rather than "p = 0.000")."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def rule_cost(case: Case, rule: Rule) -> None:
    """Among the options left, the lowest total cost of ownership over the horizon; a
    difference below the materiality is a tie, and a tie goes to the simpler option."""
    s = case.situation
    if len(case.open) == 1:
        only = case.open[0]
        last = max(case.out.values(), key=lambda name: RULE_NUMBER[name], default=None)
        case.decided_by = last
        case.verdict = only
        return
    pick, tie, totals = cost_choice(case.open, case.effective, case.evidence)
    case.tco = totals
    c = s.costing
    basis = (f"total cost over {c.horizon_months:g} months at {s.queries_per_day:,.0f} queries "
             f"a day ({'; '.join(totals[o].describe() for o in case.open)}; engineering hours "
             f"and ${c.usd_per_engineering_hour:,.0f} an hour are the course's assumptions "
             "(`Costing`, editable), labels you hold cost $0)")
    material = (f"the larger of {c.materiality_share:.0%} of the dearer total and "
                f"${c.materiality_floor_usd:,.0f}, an editable assumption")
    if tie:
        case.say(rule, f"{basis}. The differences are below the materiality ({material}): a "
                 f"tie, which goes to the simpler option, {_name(case, pick)}.")
    else:
        case.say(rule, f"{basis}: {_name(case, pick)} is cheaper by more than the "
                 f"materiality ({material}).")
    training = {FINE_TUNE: _seconds(case.task.finetune_detail, case.task.train_cpu_seconds),
                EMBEDDINGS: _seconds(case.task.embeddings_detail,
                                     case.task.embeddings_train_cpu_seconds)}
    trained = [o for o in case.open if o in training]
    if trained:
        case.reasons.append("Training measured here: " + "; ".join(
            f"{o} {training[o]}" for o in trained) + ".")
    case.decide(pick, rule)


def rule_changing_facts(case: Case, rule: Rule) -> None:
    """Facts that change monthly or faster go in the prompt at request time: a prompt becomes
    prompt + retrieval, a trained option hybrid; measure first stays measure first."""
    s = case.situation
    if s.knowledge_changes == "rarely":
        return
    how_often = "every week" if s.knowledge_changes == "weekly" else "every month"
    case.say(rule, f"the facts change {how_often}: put them in the prompt at request time "
             "(retrieval) instead of in weights, which stay stale until you retrain.")


RULES = (
    Rule(1, "where the data may go",
         "Text that may not leave your machines rules out hosted models and vendor "
         "fine-tuning.", rule_data),
    Rule(2, "what can be trained",
         "No labels, too few, or labels applied unevenly: nothing to train; fewer labels "
         "than a trained option was measured with, where even then it was not ahead of the "
         "prompt: not that option.", rule_trainable),
    Rule(3, "quality",
         f"One option beats another only when the sign test on the same rows says so "
         f"(p < {LEVEL}); otherwise they are tied.", rule_quality),
    Rule(4, "unknown quality",
         "An option whose quality on your task is unknown is measured, never chosen or "
         "dropped on cost: measure first.", rule_unknown_quality),
    Rule(5, "latency",
         "A hard constraint on the measured p95; an unmeasured hosted model against a tight "
         "budget is measure first.", rule_latency),
    Rule(6, "cost",
         "Among the options left, the lowest total cost over your horizon; a difference "
         "below the materiality is a tie, and a tie goes to the simpler option.", rule_cost),
    Rule(7, "facts that change",
         "Facts that change monthly or faster go in the prompt at request time: prompt + "
         "retrieval, or a hybrid.", rule_changing_facts),
)
RULE_NUMBER = {r.name: r.number for r in RULES}
HEADLINES = {
    PROMPT: "Prompt the model; measure, and keep labelling in case you need to switch.",
    FINE_TUNE: "Fine-tune a small model on your labelled examples.",
    EMBEDDINGS: "Train a small classifier on a frozen encoder's embeddings of your labelled "
                "examples.",
    "prompt + retrieval": "Prompt the model and retrieve the current facts for each request.",
    "hybrid": "Combine: a fine-tuned model for the stable task, retrieval for the facts that "
              "change.",
    MEASURE_FIRST: "Measure first: score the options on your own labelled rows, then decide.",
}


def recommend(situation: Situation, evidence: Evidence | None = None) -> Recommendation:
    """Apply `RULES` in order to the situation and the evidence (see the module docstring).
    The first reason names the rule that decided; the others follow the rules' order."""
    ev = evidence or reference_evidence()
    task = ev.for_task(situation.specialisation)
    case = Case(situation, ev, task, situation.prompt_model, list(OPTIONS))
    changing = RULES[-1]
    for rule in RULES[:-1]:
        rule.apply(case, rule)
        if case.verdict:
            break
    changing.apply(case, changing)
    base = case.verdict or PROMPT
    choice = base
    if situation.knowledge_changes != "rarely":
        choice = {PROMPT: "prompt + retrieval", FINE_TUNE: "hybrid", EMBEDDINGS: "hybrid",
                  MEASURE_FIRST: MEASURE_FIRST}[base]
    decider = next(r for r in RULES if r.name == case.decided_by) if case.decided_by else None
    first = (f"Decided by {decider.title}: {decider.summary}" if decider
             else "Decided by no rule: prompt, the simplest option.")
    if choice != base:
        first += f" Then {changing.title}: {base} becomes {choice}."
    headline = HEADLINES[choice]
    if choice == "hybrid" and base == EMBEDDINGS:
        headline = ("Combine: a classifier on a frozen encoder's embeddings for the stable task, "
                    "retrieval for the facts that change.")
    prompt_cost, tuned_cost, _ = costs_for(case.effective, ev)
    days = costs.days_to_break_even(tuned_cost, prompt_cost, situation.queries_per_day)
    numbers = {"prompt_accuracy": task.prompt_accuracy if case.local else None,
               "finetune_accuracy": task.finetune_accuracy,
               "prompt_p95_ms": _p95(case, PROMPT),
               "finetune_p95_ms": task.finetune_p95_ms,
               "embeddings_accuracy": task.embeddings_accuracy,
               "days_to_break_even": days, "setup_usd": tuned_cost.setup_usd,
               "prompt_usd_per_1000": prompt_cost.usd_per_1000(),
               "finetune_usd_per_1000": tuned_cost.usd_per_1000(),
               **{f"tco_{o.split()[0].replace('-', '_')}_usd": t.total
                  for o, t in case.tco.items()}}
    return Recommendation(choice, headline, (first, *case.reasons), ev.source, numbers,
                          case.decided_by or "")


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

