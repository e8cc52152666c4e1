"""The head-to-head: three approaches measured on the same test rows.

*Prompting* (a k-shot prompt to the generative model), *fine-tuning* (every weight of the
encoder trains) and *embeddings + a classifier* (the encoder stays frozen; a logistic regression
learns from its sentence embeddings). `head_to_head` runs them on one registered dataset (the
bundled ``tickets``: intent + urgent, ``reviews``: sentiment, or a learner's own, see
`data.from_file`) and returns one `Side` per approach, by name, with every number of the
comparison table; `crossover` measures accuracy against labelled examples; `write_report` saves
the table (CSV and Markdown) and the figures (PNG), which is what ``tune-or-prompt compare`` does.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from tune_or_prompt.ground import files, registry
from tune_or_prompt.ground.data import FOLDER, load
from tune_or_prompt.ground.registry import Dataset, Target, bundled, dataset
from tune_or_prompt.ground.scores import classification_report

from . import costs
from .costs import PRICES, Prices

PROMPTING, FINE_TUNING, EMBEDDINGS = "prompting", "fine-tuning", "embeddings + classifier"
APPROACHES = (PROMPTING, FINE_TUNING, EMBEDDINGS)
API = "prompting via API"  # the same prompt sent to an OpenAI-compatible endpoint (optional)


@dataclass(frozen=True)
class Settings:
    """What the head-to-head runs. The prompt's k and calibration are chosen per target on the
    validation split (`choose`), never on the test rows; ``shots`` fixes them instead."""

    n_test: int = 80  # test rows every approach answers (the same rows)
    n_validation: int = 32  # validation rows for choosing the prompt and drawing the curves
    candidate_shots: dict[str, tuple[int, ...]] = field(default_factory=lambda: {
        "intent": (0, 1, 4), "urgent": (0, 4), "sentiment": (0, 1, 4)})  # k tried on validation
    shots: dict[str, int] | None = None  # fixed k per target (then calibration is used)
    train_size: int = 200  # labelled examples per trained target (rare-class targets: below)
    rare_train_size: int = 96  # as in Lab 2: class weights make up for the rare class
    epochs: int = 4
    latency_queries: int = 8  # queries answered one at a time to time each approach
    seed: int = 0
    # Further seeds run on the same test rows to show the spread: each draws other
    # demonstrations for the prompt and trains with another seed (examples, order, start).
    repeat_seeds: tuple[int, ...] = ()
    approaches: tuple[str, ...] = APPROACHES

    def shots_for(self, target_name: str) -> tuple[int, ...]:
        """The k tried on validation for a target (a learner's target: 0, 1 and 4)."""
        return self.candidate_shots.get(target_name, (0, 1, 4))


@dataclass(frozen=True)
class PromptChoice:
    """The prompt setting used for one target, and the validation score that chose it."""

    k: int
    calibrated: bool
    validation_macro_f1: float | None = None


@dataclass
class Part:
    """One target's measurements within a side."""

    report: dict[str, Any]  # metrics.classification_report on the test rows
    answers: dict[str, str]  # test row id -> this approach's answer
    setup_seconds: float = 0.0  # training wall seconds (0 for prompting)
    setup_cpu_seconds: float = 0.0
    prompt_tokens: float = 0.0  # tokens the model reads per query
    latency_median_s: float = 0.0
    latency_p95_s: float = 0.0
    cpu_s_per_1000: float = 0.0
    k: int | None = None  # prompting: the demonstrations shown
    calibrated: bool | None = None
    train_size: int | None = None  # trained approaches: labelled examples learned from
    trainable_parameters: int | None = None
    # Measured from an endpoint's usage (prompting via API; None: not measured): tokens the
    # model generated per query, thinking included, and how many of them were thinking.
    output_tokens: float | None = None
    reasoning_tokens: float | None = None


@dataclass
class Side:
    """One approach on one dataset: quality, data, set-up and per-query costs."""

    approach: str
    task: str
    accuracy: float
    macro_f1: float
    rare_recall: float | None  # of the dataset's rare-class target (tickets: urgent), if any
    rare_precision: float | None
    labelled_examples: int
    setup_seconds: float  # training wall seconds (0 for prompting)
    setup_cpu_seconds: float
    prompt_tokens: float  # tokens the model reads per query (all targets together)
    latency_median_s: float
    latency_p95_s: float
    cpu_s_per_1000: float
    details: dict[str, Part] = field(default_factory=dict, repr=False)  # by target
    rare_label: str | None = None
    output_tokens: float | None = None  # measured per query, thinking included (API only)
    reasoning_tokens: float | None = None  # of which thinking (API only; None: not reported)

    def usd_per_1000_cpu(self, prices: Prices = PRICES) -> float:
        """The busy CPU time of 1,000 queries at the vCPU price: the compute alone, not what
        serving costs (an idle server is paid for too; see `cost_model`)."""
        return 1000 * costs.cpu_usd(self.cpu_s_per_1000 / 1000, prices)

    @property
    def requests(self) -> int:
        """Requests one query makes: one per target (a ticket's intent and its urgency)."""
        return max(len(self.details), 1)

    def _output(self) -> tuple[float, float | None]:
        """Output tokens per query and the thinking to add (None: the price file's
        assumption): measured where an endpoint reported them (its completion tokens already
        hold its thinking, billed as output), else one answer token per request."""
        if self.output_tokens is not None:
            return self.output_tokens, 0.0
        return float(self.requests), None

    def hosted_usd(self, prices: Prices = PRICES, model: str = costs.SMALL_API) -> float:
        """USD for one query of this prompt at a hosted ``model``'s token prices: its prompt
        tokens and its output: the tokens an endpoint reported (thinking included), else one
        answer token per request and (for a model that bills its thinking) one answer's
        thinking per request."""
        output, thinking = self._output()
        return costs.token_usd(self.prompt_tokens, output, prices, model,
                               reasoning_tokens=thinking, requests=self.requests)

    def cost_model(self, prices: Prices = PRICES, hosted_prompt: bool = False, *,
                   queries_per_day: float = 1000, serving: costs.Serving = costs.DEFAULT_SERVING,
                   model: str = costs.SMALL_API, batch: bool = False,
                   retrain_every_months: float | None = None) -> costs.CostModel:
        """This side's set-up and serving costs at ``queries_per_day`` (`tune_or_prompt.measure.costs`).

        A model we run (the prompted SmolLM2, the trained encoders) is paid for by ``serving``:
        an always-on instance costs its hourly price busy or idle, serverless costs per second
        of use. ``hosted_prompt`` prices the same prompt at a hosted ``model``'s per-token
        rate instead (one answer token and one answer's thinking per target; an endpoint's
        measured output, thinking included, where it reported it). Re-training every
        ``retrain_every_months`` repeats a trained side's training run."""
        requests = self.requests  # one request per target (intent and urgency)
        if self.approach == API or (self.approach == PROMPTING and hosted_prompt):
            name = API if self.approach == API else f"prompting (hosted, {model})"
            output, thinking = self._output()
            return costs.prompting_costs(
                self.labelled_examples, prompt_tokens=self.prompt_tokens, prices=prices,
                name=name, model=model, output_tokens=output, batch=batch, requests=requests,
                reasoning_tokens=thinking)
        if self.approach == PROMPTING:
            return costs.prompting_costs(self.labelled_examples,
                                         cpu_seconds_per_query=self.cpu_s_per_1000 / 1000,
                                         prices=prices, name="prompting (our server)",
                                         queries_per_day=queries_per_day, serving=serving)
        return costs.finetuning_costs(self.labelled_examples, self.setup_cpu_seconds,
                                      self.cpu_s_per_1000 / 1000, prices, self.approach,
                                      queries_per_day=queries_per_day, serving=serving,
                                      retrain_every_months=retrain_every_months)


Sides = dict[str, Side]  # approach -> its side, in the order of APPROACHES


def rows_of(task_set: str | Dataset, split: str, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` rows of a split, stratified by the dataset's main label (intent, sentiment), so
    every class is present; tickets keep their natural share of urgent ones."""
    ds = dataset(task_set)
    rows = load(ds, split)
    if n >= len(rows):
        return rows
    main = ds.specs()[0]
    by_label: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_label.setdefault(main.gold(row), []).append(row)
    rng = random.Random(seed)
    picked: list[dict[str, Any]] = []
    labels = sorted(by_label)
    for i, label in enumerate(labels):
        share = n // len(labels) + (1 if i < n % len(labels) else 0)
        picked.extend(rng.sample(by_label[label], min(share, len(by_label[label]))))
    return picked


def test_rows(task_set: str | Dataset, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`rows_of` the test split."""
    return rows_of(task_set, "test", n, seed)


def prompt_curve(target: str | Target, rows: Sequence[dict[str, Any]], shots: Sequence[int], llm=None,
                 seed: int = 0, progress: bool = True) -> list[dict[str, Any]]:
    """One balanced k-shot run per k on ``rows`` (use validation rows): accuracy and macro-F1,
    raw and with contextual calibration. Rows: target, k, accuracy, macro_f1,
    accuracy_calibrated, macro_f1_calibrated."""
    from tqdm.auto import tqdm

    from tune_or_prompt.approaches import prompting as P
    from tune_or_prompt.ground.models import load_generative

    spec = registry.target(target)
    llm = llm or load_generative()
    out = []
    for k in tqdm(shots, desc=f"{spec.name}: prompts on validation", disable=not progress):
        s = P.run(llm, spec, rows, k=k, seed=seed).summary()
        out.append({"target": spec.name, "k": k, **{m: s[m] for m in (
            "accuracy", "macro_f1", "accuracy_calibrated", "macro_f1_calibrated")}})
    return out


def choose(curve: Sequence[dict[str, Any]]) -> PromptChoice:
    """The prompt setting with the best validation macro-F1 (ties: fewer examples, then raw)."""
    options = [(r["macro_f1" + ("_calibrated" if cal else "")], -r["k"], not cal, r["k"], cal)
               for r in curve for cal in (False, True)]
    best = max(options)
    return PromptChoice(k=best[3], calibrated=best[4], validation_macro_f1=float(best[0]))


def _merge(approach: str, ds: Dataset, parts: dict[str, Part], labelled: int) -> Side:
    """One row of the table from the per-target measurements (costs add up: each ticket is
    classified for intent and for urgency)."""
    main = parts[ds.main]
    rare = next((t for t in ds.specs() if t.rare and t.name in parts), None)
    rare_label = rare.rare if rare else None
    rare_row = parts[rare.name].report["per_class"][rare_label] if rare else None
    return Side(
        approach=approach, task=ds.name,
        accuracy=main.report["accuracy"], macro_f1=main.report["macro_f1"],
        rare_recall=rare_row["recall"] if rare_row else None,
        rare_precision=rare_row["precision"] if rare_row else None,
        labelled_examples=labelled,
        setup_seconds=sum(p.setup_seconds for p in parts.values()),
        setup_cpu_seconds=sum(p.setup_cpu_seconds for p in parts.values()),
        prompt_tokens=sum(p.prompt_tokens for p in parts.values()),
        latency_median_s=sum(p.latency_median_s for p in parts.values()),
        latency_p95_s=sum(p.latency_p95_s for p in parts.values()),
        cpu_s_per_1000=sum(p.cpu_s_per_1000 for p in parts.values()),
        details=parts, rare_label=rare_label,
        output_tokens=_total(p.output_tokens for p in parts.values()),
        reasoning_tokens=_total(p.reasoning_tokens for p in parts.values()))


def _total(values: Iterable[float | None]) -> float | None:
    """The sum, or None when any part did not measure it."""
    known = list(values)
    return None if not known or any(v is None for v in known) else float(sum(known))


def prompt_demos(target_name: str | Target, k: int, seed: int = 0) -> list[dict[str, Any]]:
    """The ``k`` class-balanced training examples the head-to-head's prompt shows for
    ``target_name``."""
    from tune_or_prompt.approaches import prompting as P

    return P.choose_demos(registry.target(target_name), k, "balanced", seed)


def run_prompting(ds: str | Dataset, rows: Sequence[dict[str, Any]], settings: Settings = Settings(),
                  llm=None, progress: bool = True,
                  choices: dict[str, PromptChoice] | None = None) -> Side:
    """Few-shot prompting with the embedded generative model: accuracy on ``rows`` (batched),
    latency and CPU time from queries answered one at a time. ``choices`` gives each target's
    k and calibration (default: ``settings.shots`` with calibration)."""
    ds = dataset(ds)  # a name is looked up here; a Dataset passes through
    from tune_or_prompt.approaches import prompting as P
    from tune_or_prompt.ground.models import load_generative

    llm = llm or load_generative()
    parts: dict[str, Part] = {}
    demo_ids: set[str] = set()
    for spec in ds.specs():
        name = spec.name
        if choices and name in choices:
            choice = choices[name]
        elif settings.shots and name in settings.shots:
            choice = PromptChoice(settings.shots[name], True)
        else:
            raise ValueError(f"no prompt setting for {name!r}: pass choices or Settings.shots")
        k = choice.k
        demos = prompt_demos(spec, k, settings.seed)
        demo_ids.update(str(d["id"]) for d in demos)
        batched = P.run(llm, spec, rows, k=k, demos=demos)
        timed = P.run(llm, spec, rows[:settings.latency_queries], k=k, demos=demos,
                      batch_size=1).summary()
        parts[name] = Part(
            report=batched.report(choice.calibrated),
            answers=dict(zip([str(r["id"]) for r in rows], batched.predictions(choice.calibrated),
                             strict=True)),
            prompt_tokens=batched.summary()["prompt_tokens"],
            latency_median_s=timed["latency_median_s"], latency_p95_s=timed["latency_p95_s"],
            cpu_s_per_1000=timed["cpu_s_per_1000"], k=k, calibrated=choice.calibrated)
        if progress:
            mode = f"k={k}" + (" calibrated" if choice.calibrated else "")
            print(f"{PROMPTING}, {name}, {mode}: accuracy "
                  f"{parts[name].report['accuracy']:.3f} "
                  f"({batched.wall_seconds:.1f} s for {len(rows)} rows)")
    return _merge(PROMPTING, ds, parts, len(demo_ids))


def run_api(ds: str | Dataset, rows: Sequence[dict[str, Any]], config,
            choices: dict[str, PromptChoice], settings: Settings = Settings(),
            progress: bool = True) -> Side:
    """The same prompts (each target's chosen k and demonstrations) sent to an OpenAI-compatible
    endpoint (`api.ApiConfig`): quality, tokens from the response's ``usage``, latency per
    request. An answer that names no label counts as wrong. CPU cost is not ours to measure."""
    ds = dataset(ds)  # a name is looked up here; a Dataset passes through
    from tune_or_prompt.approaches import api

    parts: dict[str, Part] = {}
    demo_ids: set[str] = set()
    for spec in ds.specs():
        name = spec.name
        k = choices[name].k if name in choices else 0
        demos = prompt_demos(spec, k, settings.seed)
        demo_ids.update(str(d["id"]) for d in demos)
        run = api.classify(config, spec, rows, demos=demos)
        s = run.summary()
        predicted = [p if p is not None else api.UNPARSED for p in run.predictions]
        parts[name] = Part(
            report=run.report(), answers=dict(zip([str(r["id"]) for r in rows], predicted,
                                                  strict=True)),
            prompt_tokens=s["prompt_tokens"] or 0.0, latency_median_s=s["latency_median_s"],
            latency_p95_s=s["latency_p95_s"], cpu_s_per_1000=float("nan"), k=k,
            output_tokens=s["completion_tokens"], reasoning_tokens=s["reasoning_tokens"])
        if progress:
            thinking = (f", {s['reasoning_tokens']:.0f} thinking tokens per answer"
                        if s["reasoning_tokens"] else "")
            print(f"{API}, {name}, k={k}: accuracy {parts[name].report['accuracy']:.3f} "
                  f"({run.unparsed} unparsed, {s['from_cache']} from the cache{thinking})")
    return _merge(API, ds, parts, len(demo_ids))


def run_trained(ds: str | Dataset, rows: Sequence[dict[str, Any]], settings: Settings = Settings(),
                progress: bool = True, method: str = "full") -> Side:
    """Train the embedded encoder once per target on ``settings.train_size`` examples
    (rare-class targets: ``rare_train_size``, class-weighted): ``method="full"`` fine-tunes
    every weight, ``"head"`` trains embeddings + a classifier."""
    ds = dataset(ds)  # a name is looked up here; a Dataset passes through
    from tune_or_prompt.approaches import finetuning as F

    approach = FINE_TUNING if method == "full" else EMBEDDINGS
    parts: dict[str, Part] = {}
    used: set[str] = set()
    validation = load(ds, "validation")[::3]  # a third: quicker epochs (Lab 2)
    for spec in ds.specs():
        name = spec.name
        rare = spec.rare is not None
        size = settings.rare_train_size if rare else settings.train_size
        result = F.finetune(spec, train_size=size, epochs=settings.epochs, seed=settings.seed,
                            class_weights=rare, val_rows=validation, progress=False,
                            method=method)
        used.update(result.train_ids)
        lat = F.measure_latency(result, [r["text"] for r in rows[:settings.latency_queries]])
        predicted = F.predict(result, [r["text"] for r in rows])
        parts[name] = Part(
            report=classification_report([spec.gold(r) for r in rows], predicted,
                                         result.labels),
            answers=dict(zip([str(r["id"]) for r in rows], predicted, strict=True)),
            setup_seconds=result.train_seconds, setup_cpu_seconds=result.train_cpu_seconds,
            train_size=result.train_size, trainable_parameters=result.trainable_parameters,
            **lat)
        if progress:
            print(f"{approach}, {name}, n={result.train_size}: accuracy "
                  f"{parts[name].report['accuracy']:.3f} ({result.train_seconds:.1f} s training)")
    return _merge(approach, ds, parts, len(used))


def run_finetuning(ds: str | Dataset, rows: Sequence[dict[str, Any]], settings: Settings = Settings(),
                   progress: bool = True) -> Side:
    """Fine-tune the embedded encoder once per target (see `run_trained`)."""
    return run_trained(ds, rows, settings, progress, "full")


def run_embeddings(ds: str | Dataset, rows: Sequence[dict[str, Any]],
                   settings: Settings = Settings(), progress: bool = True) -> Side:
    """Embeddings + a classifier once per target (see `run_trained`)."""
    return run_trained(ds, rows, settings, progress, "head")


def head_to_head(task_set: str | Dataset = "tickets", settings: Settings = Settings(), llm=None,
                 progress: bool = True, choices: dict[str, PromptChoice] | None = None,
                 api_config=None, rows: Sequence[dict[str, Any]] | None = None) -> Sides:
    """Every approach in ``settings.approaches`` on the same ``settings.n_test`` test rows (or
    the given ``rows``); with ``api_config`` (an `api.ApiConfig`), the same prompts sent to
    that endpoint too."""
    ds = dataset(task_set)  # looked up once; an unknown name fails here, naming the registered ones
    unknown = sorted(set(settings.approaches) - set(APPROACHES))
    if unknown:
        raise ValueError(f"unknown approach(es) {unknown}: choose from {', '.join(APPROACHES)}")
    rows = list(rows) if rows is not None else test_rows(ds, settings.n_test, settings.seed)
    runs = {PROMPTING: lambda: run_prompting(ds, rows, settings, llm, progress, choices),
            FINE_TUNING: lambda: run_finetuning(ds, rows, settings, progress),
            EMBEDDINGS: lambda: run_embeddings(ds, rows, settings, progress)}
    sides = {name: runs[name]() for name in APPROACHES if name in settings.approaches}
    if api_config is not None:
        sides[API] = run_api(ds, rows, api_config, choices or {}, settings, progress)
    return sides


COLUMNS = {
    "approach": "approach",
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "rare_recall": "{rare} recall",
    "labelled_examples": "labelled examples",
    "setup_seconds": "set-up (training s)",
    "prompt_tokens": "prompt tokens / query",
    "reasoning_tokens": "thinking tokens / query",
    "latency_median_ms": "latency median (ms)",
    "latency_p95_ms": "latency p95 (ms)",
    "cpu_s_per_1000": "CPU-s / 1,000",
    "usd_per_1000_cpu": "USD / 1,000 (CPU)",
    "usd_per_1000_hosted": "USD / 1,000 (hosted tokens)",
    "hosted_prices": "hosted prices",
}


def _sides(sides: Mapping[str, Side] | Sequence[Side]) -> list[Side]:
    return list(sides.values()) if isinstance(sides, Mapping) else list(sides)


def _priced(prices: Prices) -> str:
    """The model and date of the hosted-token prices (`costs.price_columns`), in one string."""
    columns = costs.price_columns(costs.SMALL_API, prices=prices)
    if columns["prices checked on"] == "—":
        return columns["priced as"]
    return f"{columns['priced as']}, prices checked on {columns['prices checked on']}"


def table(sides: Mapping[str, Side] | Sequence[Side], prices: Prices = PRICES):
    """The head-to-head table as a pandas DataFrame (one row per approach)."""
    import pandas as pd

    sides = _sides(sides)
    records = []
    for s in sides:
        hosted = 1000 * s.hosted_usd(prices) if s.approach in (PROMPTING, API) else None
        records.append({
            "approach": s.approach, "accuracy": s.accuracy, "macro_f1": s.macro_f1,
            "rare_recall": s.rare_recall, "labelled_examples": s.labelled_examples,
            "setup_seconds": s.setup_seconds, "prompt_tokens": s.prompt_tokens,
            "reasoning_tokens": s.reasoning_tokens,
            "latency_median_ms": 1000 * s.latency_median_s,
            "latency_p95_ms": 1000 * s.latency_p95_s, "cpu_s_per_1000": s.cpu_s_per_1000,
            "usd_per_1000_cpu": s.usd_per_1000_cpu(prices), "usd_per_1000_hosted": hosted,
            "hosted_prices": None if hosted is None else _priced(prices)})
    frame = pd.DataFrame.from_records(records)
    rare = next((s.rare_label for s in sides if s.rare_label), None)
    if rare is None:
        frame = frame.drop(columns="rare_recall")
    if all(s.reasoning_tokens is None for s in sides):  # measured by an endpoint only
        frame = frame.drop(columns="reasoning_tokens")
    names = {key: label.format(rare=rare) for key, label in COLUMNS.items()}
    return frame.rename(columns=names).set_index("approach")


def crossover(target: str | Target, rows: Sequence[dict[str, Any]], prompt_rows: Sequence[dict[str, Any]],
              sizes: Sequence[int], seeds: Sequence[int] = (0, 1, 2)) -> list[dict[str, Any]]:
    """Accuracy against labelled examples for both approaches on the same ``rows``.

    Prompting: `prompt_curve` rows measured on ``rows`` (k labelled demonstrations; the better of
    raw and calibrated). Training: embeddings + a classifier (the frozen encoder and a logistic
    regression, the cheapest fine-tune) at each size and seed, which takes milliseconds per
    point. Rows: approach, labelled, seed, accuracy, macro_f1.
    """
    from tune_or_prompt.approaches.finetuning import head_only_curve

    out: list[dict[str, Any]] = []
    for r in prompt_rows:
        cal = r["macro_f1_calibrated"] > r["macro_f1"]
        out.append({"approach": "prompting", "labelled": r["k"], "seed": 0,
                    "accuracy": r["accuracy_calibrated" if cal else "accuracy"],
                    "macro_f1": r["macro_f1_calibrated" if cal else "macro_f1"]})
    spec = registry.target(target)
    pool = len(load(spec.dataset, "train"))
    # Sizes beyond the training split are all the split; one close below it crowds the axis.
    sizes = sorted({size for size in sizes if size <= 0.8 * pool} | ({pool} if max(sizes) >= pool
                                                                      else set()))
    for row in head_only_curve(spec, sizes, seeds, test_rows=rows):
        out.append({"approach": EMBEDDINGS, "labelled": row["size"],
                    "seed": row["seed"], "accuracy": row["accuracy"],
                    "macro_f1": row["macro_f1"]})
    return out


def crossing_point(curve: Sequence[dict[str, Any]], metric: str = "accuracy") -> int | None:
    """The fewest labelled examples at which the trained approach's mean score beats the best
    prompt score in ``curve`` (None if it never does)."""
    best_prompt = max((r[metric] for r in curve if r["approach"] == "prompting"), default=None)
    if best_prompt is None:
        return None
    return next((size for size, score in finetune_means(curve, metric).items()
                 if score > best_prompt), None)


def finetune_means(curve: Sequence[dict[str, Any]], metric: str = "accuracy") -> dict[int, float]:
    """The trained approach's mean ``metric`` over seeds at each number of labelled examples,
    smallest first."""
    by_size: dict[int, list[float]] = {}
    for r in curve:
        if r["approach"] != "prompting":
            by_size.setdefault(int(r["labelled"]), []).append(float(r[metric]))
    return {size: sum(v) / len(v) for size, v in sorted(by_size.items())}


def side_record(side: Side) -> dict[str, Any]:
    """A JSON-friendly record of a side (the numbers; no models)."""
    return asdict(side)


def side_from_record(record: dict[str, Any]) -> Side:
    """The `Side` that `side_record` wrote."""
    names = {f.name for f in fields(Side)}
    unknown = sorted(set(record) - names)
    if unknown:
        raise ValueError(f"not a side record: unexpected keys {unknown}")
    details = {t: Part(**part) for t, part in record.get("details", {}).items()}
    return Side(**{**record, "details": details})


@dataclass
class TaskResult:
    """Everything measured on one dataset: the sides by approach, the prompt choices and the
    validation curves they came from, and the crossover (None when not drawn)."""

    task: str
    sides: Sides
    choices: dict[str, PromptChoice]
    curve: list[dict[str, Any]] | None = None
    prompt_curves: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    repeats: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by approach

    def side(self, approach: str) -> Side:
        try:
            return self.sides[approach]
        except KeyError:
            raise KeyError(f"{approach!r} was not measured on {self.task!r}: "
                           f"{', '.join(self.sides)} were") from None

    def spread(self, approach: str, metric: str = "accuracy") -> dict[str, float]:
        """`spread` of ``metric`` over the seeds ``approach`` was run with (one value when it
        was not repeated)."""
        runs = self.repeats.get(approach) or [repeat_record(0, self.side(approach))]
        values = [r[metric] for r in runs if r[metric] is not None]
        if not values:
            raise KeyError(f"{metric!r} was not measured for {approach!r} on {self.task!r}")
        return spread(values)


@dataclass
class Study:
    """Lab 3's study of every bundled dataset: one `TaskResult` per dataset, by name, and
    where and when it was measured."""

    tasks: dict[str, TaskResult]
    source: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    # The KV-cache speed-up of label scoring, by target (`bench.scorer_throughput` records).
    scorer: dict[str, dict[str, Any]] = field(default_factory=dict)

    def side(self, task: str, approach: str) -> Side:
        return self.tasks[task].side(approach)

    @property
    def choices(self) -> dict[str, PromptChoice]:
        """Every target's prompt setting."""
        return {t: c for r in self.tasks.values() for t, c in r.choices.items()}

    def curve(self, task: str) -> list[dict[str, Any]]:
        """The crossover of a dataset's main target."""
        return self.tasks[task].curve or []


REFERENCE_RUN = "reference_run.json"


def study_record(result: Study) -> dict[str, Any]:
    """A JSON-friendly record of a study (what the reference run file holds)."""
    return {"source": result.source, "settings": result.settings, "scorer": result.scorer,
            "tasks": {name: {"sides": {a: side_record(s) for a, s in r.sides.items()},
                             "choices": {t: asdict(c) for t, c in r.choices.items()},
                             "curve": r.curve, "prompt_curves": r.prompt_curves,
                             "repeats": r.repeats}
                      for name, r in result.tasks.items()}}


def save_reference(result: Study, source: str, settings: Settings = Settings(),
                   path: str | Path | None = None) -> Path:
    """Save a `study` as the course's reference run (what the lessons read and the decision
    helper's evidence comes from); ``source`` says where and when it was measured."""
    path = Path(path) if path else FOLDER / REFERENCE_RUN
    result = Study(result.tasks, source, asdict(settings), result.scorer)
    return files.write_text(path, json.dumps(study_record(result), indent=1) + "\n")


def load_reference(text: str) -> Study:
    """A saved reference run as a `Study`."""
    data = json.loads(text)
    tasks = {name: TaskResult(name, {a: side_from_record(r) for a, r in task["sides"].items()},
                              {t: PromptChoice(**c) for t, c in task["choices"].items()},
                              task.get("curve"), task.get("prompt_curves", {}),
                              task.get("repeats", {}))
             for name, task in data["tasks"].items()}
    return Study(tasks, data["source"], data["settings"], data.get("scorer", {}))


@functools.cache
def reference_run() -> Study:
    """The course's reference run of Lab 3's study, measured by
    ``python -m tune_or_prompt.bench --only compare --write-reference``."""
    text = resources.files("tune_or_prompt.ground.data").joinpath(REFERENCE_RUN).read_text("utf-8")
    return load_reference(text)


def write_report(result: TaskResult, out: str | Path, prices: Prices = PRICES,
                 queries_per_day: float = 1000) -> list[Path]:
    """Write table.csv, table.md, measurements.json, crossover.png (with a curve) and
    break-even.png (prompting against fine-tuning) to ``out``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from . import plots

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame = table(result.sides, prices)
    written = [files.write_text(out / "table.csv", frame.round(4).to_csv()),
               files.write_text(out / "table.md", frame.to_markdown(floatfmt=".3g") + "\n"),
               files.write_text(out / "measurements.json", json.dumps(
                   {a: side_record(s) for a, s in result.sides.items()}, indent=2))]
    figures = {}
    if result.curve:
        figures["crossover.png"] = plots.crossover(result.curve,
                                                   title=dataset(result.task).main)
    if PROMPTING in result.sides and FINE_TUNING in result.sides:  # what pays for what
        prompt, tuned = result.sides[PROMPTING], result.sides[FINE_TUNING]
        figures["break-even.png"] = plots.break_even(
            [prompt.cost_model(prices, hosted_prompt=True, queries_per_day=queries_per_day),
             prompt.cost_model(prices, queries_per_day=queries_per_day),
             tuned.cost_model(prices, queries_per_day=queries_per_day)],
            queries_per_day=queries_per_day)
    for name, fig in figures.items():
        with files.atomic_path(out / name) as temp:
            fig.savefig(temp, dpi=120)
        plt.close(fig)
        written.append(out / name)
    return written


CURVE_SIZES = (8, 16, 32, 64, 128, 256)


def run_task(task_set: str | Dataset, settings: Settings = Settings(), llm=None, curve: bool = True,
             progress: bool = True, api_config=None) -> TaskResult:
    """One dataset end to end: choose each target's prompt on validation rows (unless
    ``settings.shots`` fixes it), draw the crossover there, then the head-to-head on test
    rows."""
    ds = dataset(task_set)  # the one lookup: from here on the dataset travels as an object
    llm = llm or _llm(settings)
    targets = ds.targets
    validation = rows_of(ds, "validation", settings.n_validation, settings.seed)
    main = ds.main
    prompt_curves: dict[str, list[dict[str, Any]]] = {}
    if settings.shots:
        choices = {t: PromptChoice(settings.shots[t], True) for t in targets}
    elif PROMPTING in settings.approaches:
        prompt_curves = {t: prompt_curve(t, validation, settings.shots_for(t), llm,
                                         settings.seed, progress) for t in targets}
        choices = {t: choose(c) for t, c in prompt_curves.items()}
    else:
        choices = {}
    crossing = None
    if curve:
        shown = prompt_curves.get(main) or prompt_curve(
            main, validation, settings.shots_for(main), llm, settings.seed, progress)
        crossing = crossover(main, validation, shown, CURVE_SIZES)
    sides = head_to_head(ds, settings, llm, progress, choices, api_config)
    repeats = {a: [repeat_record(settings.seed, s)] for a, s in sides.items() if a != API}
    for seed in settings.repeat_seeds:
        again = head_to_head(ds, replace(settings, seed=seed, latency_queries=1), llm,
                             progress, choices, rows=test_rows(ds, settings.n_test,
                                                               settings.seed))
        for approach, side in again.items():
            repeats[approach].append(repeat_record(seed, side))
    return TaskResult(ds.name, sides, choices, crossing, prompt_curves, repeats)


QUALITY = ("accuracy", "macro_f1", "rare_recall", "rare_precision")
SHORT_NAMES = {PROMPTING: "prompting", FINE_TUNING: "fine-tuning", EMBEDDINGS: "embeddings",
               API: "the API model"}


def paired(sides: Mapping[str, Side], a: str, b: str) -> tuple[int, int, float]:
    """Two approaches on the same test rows, on the dataset's main label: the rows only ``a``
    gets right, the rows only ``b`` gets right, and the sign test's p-value
    (`scores.paired_difference`)."""
    from tune_or_prompt.ground.scores import paired_difference

    main = dataset(sides[a].task).specs()[0]
    answers = {x: sides[x].details[main.name].answers for x in (a, b)}
    ids = list(answers[a])
    gold_rows = {str(r["id"]): r for r in load(sides[a].task, "test")}
    gold = [main.gold(gold_rows[i]) for i in ids]
    return paired_difference(gold, [answers[a][i] for i in ids], [answers[b][i] for i in ids])


def verdict(sides: Mapping[str, Side], a: str, b: str, level: float = 0.05) -> str:
    """Which of two approaches is more accurate on the dataset's main label, judged on the
    same rows by the course's one rule (`scores.Verdict`: a sign test on the rows exactly one
    of them gets right, `paired`): "<name> ahead" when p < ``level``, otherwise "a tie"."""
    from tune_or_prompt.ground.scores import Verdict

    only_a, only_b, p = paired(sides, a, b)
    return Verdict(SHORT_NAMES[a], SHORT_NAMES[b], only_a, only_b, p, level).text


def repeat_record(seed: int, side: Side) -> dict[str, Any]:
    """The quality numbers of one seed's run (what the spread is computed from)."""
    return {"seed": seed, **{m: getattr(side, m) for m in QUALITY}}


def spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation, lowest and highest of repeated measurements."""
    import statistics

    values = [float(v) for v in values]
    return {"mean": statistics.fmean(values),
            "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values), "n": len(values)}


def _llm(settings: Settings):
    from tune_or_prompt.ground.models import load_generative

    return load_generative() if PROMPTING in settings.approaches else None


# The reference run: Lab 3's settings, each approach repeated with two more seeds.
REFERENCE_SETTINGS = Settings(repeat_seeds=(1, 2))


def study(settings: Settings = Settings(), llm=None, progress: bool = True) -> Study:
    """Everything Lab 3 measures, for both bundled datasets (see `run_task`)."""
    llm = llm or _llm(settings)
    return Study({name: run_task(name, settings, llm, True, progress) for name in bundled()})
