"""The head-to-head: few-shot prompting and fine-tuning measured on the same test rows.

`head_to_head` runs both approaches on one task set (``tickets``: intent + urgent; ``reviews``:
sentiment) and returns one `Side` per approach with every number of the comparison table;
`crossover` measures accuracy against labelled examples for both; `write_report` saves the table
(CSV and Markdown) and the figures (PNG), which is what ``tune-or-prompt compare`` does.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from . import costs, files
from .data import label_of, load
from .metrics import PRICES, Prices, classification_report

TASK_SETS: dict[str, tuple[str, ...]] = {"tickets": ("intent", "urgent"),
                                         "reviews": ("sentiment",)}
MAIN_TARGET = {"tickets": "intent", "reviews": "sentiment"}


@dataclass(frozen=True)
class Settings:
    """What the head-to-head runs. The prompt's k and calibration are chosen per target on the
    validation split (`choose`), never on the test rows; ``shots`` fixes them instead."""

    n_test: int = 80  # test rows both approaches answer (the same rows)
    n_validation: int = 32  # validation rows for choosing the prompt and drawing the curves
    candidate_shots: dict[str, tuple[int, ...]] = field(default_factory=lambda: {
        "intent": (0, 1, 4), "urgent": (0, 4), "sentiment": (0, 1, 4)})
    shots: dict[str, int] | None = None  # fixed k per target (then calibration is used)
    train_size: int = 200  # labelled examples per fine-tuned target (urgent: see below)
    urgent_train_size: int = 96  # as in Lab 2: class weights make up for the rare class
    epochs: int = 4
    latency_queries: int = 8  # queries answered one at a time to time each approach
    seed: int = 0


@dataclass(frozen=True)
class PromptChoice:
    """The prompt setting used for one target, and the validation score that chose it."""

    k: int
    calibrated: bool
    validation_macro_f1: float | None = None


@dataclass
class Side:
    """One approach on one task set: quality, data, set-up and per-query costs."""

    approach: str
    task: str
    accuracy: float
    macro_f1: float
    urgent_recall: float | None
    urgent_precision: float | None
    labelled_examples: int
    setup_seconds: float  # training wall seconds (0 for prompting)
    setup_cpu_seconds: float
    prompt_tokens: float  # tokens the model reads per query (all targets together)
    latency_median_s: float
    latency_p95_s: float
    cpu_s_per_1000: float
    details: dict[str, Any] = field(default_factory=dict, repr=False)

    def usd_per_1000_cpu(self, prices: Prices = PRICES) -> float:
        return 1000 * costs.cpu_usd(self.cpu_s_per_1000 / 1000, prices)

    def cost_model(self, prices: Prices = PRICES, hosted_prompt: bool = False) -> costs.CostModel:
        """This side's set-up and per-query cost. ``hosted_prompt`` prices a prompt by its
        tokens at a hosted model's rate instead of by our CPU time."""
        if self.approach == "prompting":
            if hosted_prompt:
                return costs.prompting_costs(self.labelled_examples,
                                             prompt_tokens=self.prompt_tokens, prices=prices,
                                             name="prompting (hosted, per token)")
            return costs.prompting_costs(self.labelled_examples,
                                         cpu_seconds_per_query=self.cpu_s_per_1000 / 1000,
                                         prices=prices, name="prompting (our CPU)")
        return costs.finetuning_costs(self.labelled_examples, self.setup_cpu_seconds,
                                      self.cpu_s_per_1000 / 1000, prices, "fine-tuning")


def rows_of(task_set: str, split: str, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` rows of a split, stratified by the main label (intent or sentiment), so every class
    is present; tickets keep their natural share of urgent ones."""
    rows = load(task_set, split)
    if n >= len(rows):
        return rows
    target = MAIN_TARGET[task_set]
    by_label: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_label.setdefault(label_of(row, target), []).append(row)
    rng = random.Random(seed)
    picked: list[dict[str, Any]] = []
    labels = sorted(by_label)
    for i, label in enumerate(labels):
        share = n // len(labels) + (1 if i < n % len(labels) else 0)
        picked.extend(rng.sample(by_label[label], min(share, len(by_label[label]))))
    return picked


def test_rows(task_set: str, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`rows_of` the test split."""
    return rows_of(task_set, "test", n, seed)


def prompt_curve(target: str, rows: Sequence[dict[str, Any]], shots: Sequence[int], llm=None,
                 seed: int = 0, progress: bool = True) -> list[dict[str, Any]]:
    """One balanced k-shot run per k on ``rows`` (use validation rows): accuracy and macro-F1,
    raw and with contextual calibration. Rows: target, k, accuracy, macro_f1,
    accuracy_calibrated, macro_f1_calibrated."""
    from tqdm.auto import tqdm

    from . import prompting as P
    from .models import load_generative

    llm = llm or load_generative()
    out = []
    for k in tqdm(shots, desc=f"{target}: prompts on validation", disable=not progress):
        s = P.run(llm, target, rows, k=k, seed=seed).summary()
        out.append({"target": target, "k": k, **{m: s[m] for m in (
            "accuracy", "macro_f1", "accuracy_calibrated", "macro_f1_calibrated")}})
    return out


def choose(curve: Sequence[dict[str, Any]]) -> PromptChoice:
    """The prompt setting with the best validation macro-F1 (ties: fewer examples, then raw)."""
    options = [(r["macro_f1" + ("_calibrated" if cal else "")], -r["k"], not cal, r["k"], cal)
               for r in curve for cal in (False, True)]
    best = max(options)
    return PromptChoice(k=best[3], calibrated=best[4], validation_macro_f1=float(best[0]))


def _merge(approach: str, task_set: str, parts: dict[str, dict[str, Any]],
           labelled: int) -> Side:
    """One row of the table from the per-target measurements (costs add up: each ticket is
    classified for intent and for urgency)."""
    main = parts[MAIN_TARGET[task_set]]
    urgent = parts.get("urgent")
    return Side(
        approach=approach, task=task_set,
        accuracy=main["report"]["accuracy"], macro_f1=main["report"]["macro_f1"],
        urgent_recall=urgent["report"]["per_class"]["urgent"]["recall"] if urgent else None,
        urgent_precision=urgent["report"]["per_class"]["urgent"]["precision"] if urgent else None,
        labelled_examples=labelled,
        setup_seconds=sum(p["setup_seconds"] for p in parts.values()),
        setup_cpu_seconds=sum(p["setup_cpu_seconds"] for p in parts.values()),
        prompt_tokens=sum(p["prompt_tokens"] for p in parts.values()),
        latency_median_s=sum(p["latency_median_s"] for p in parts.values()),
        latency_p95_s=sum(p["latency_p95_s"] for p in parts.values()),
        cpu_s_per_1000=sum(p["cpu_s_per_1000"] for p in parts.values()),
        details=parts)


def prompt_demos(target: str, k: int, seed: int = 0) -> list[dict[str, Any]]:
    """The ``k`` class-balanced training examples the head-to-head's prompt shows for
    ``target``."""
    from . import prompting as P

    return P.choose_demos(P.TASKS[target], k, "balanced", seed)


def run_prompting(task_set: str, rows: Sequence[dict[str, Any]], settings: Settings = Settings(),
                  llm=None, progress: bool = True,
                  choices: dict[str, PromptChoice] | None = None) -> Side:
    """Few-shot prompting with the embedded generative model: accuracy on ``rows`` (batched),
    latency and CPU time from queries answered one at a time. ``choices`` gives each target's
    k and calibration (default: ``settings.shots`` with calibration)."""
    from . import prompting as P
    from .models import load_generative

    llm = llm or load_generative()
    parts: dict[str, dict[str, Any]] = {}
    demo_ids: set[str] = set()
    for target in TASK_SETS[task_set]:
        if choices and target in choices:
            choice = choices[target]
        elif settings.shots and target in settings.shots:
            choice = PromptChoice(settings.shots[target], True)
        else:
            raise ValueError(f"no prompt setting for {target!r}: pass choices or Settings.shots")
        k = choice.k
        demos = prompt_demos(target, k, settings.seed)
        demo_ids.update(d["id"] for d in demos)
        batched = P.run(llm, target, rows, k=k, demos=demos)
        timed = P.run(llm, target, rows[:settings.latency_queries], k=k, demos=demos,
                      batch_size=1)
        t = timed.summary()
        parts[target] = {"k": k, "calibrated": choice.calibrated,
                         "report": batched.report(choice.calibrated),
                         "setup_seconds": 0.0, "setup_cpu_seconds": 0.0,
                         "prompt_tokens": batched.summary()["prompt_tokens"],
                         "latency_median_s": t["latency_median_s"],
                         "latency_p95_s": t["latency_p95_s"], "cpu_s_per_1000": t["cpu_s_per_1000"],
                         "answers": dict(zip([str(r["id"]) for r in rows],
                                             batched.predictions(choice.calibrated), strict=True)),
                         "run": batched}
        if progress:
            mode = f"k={k}" + (" calibrated" if choice.calibrated else "")
            print(f"prompting  {target:9} {mode}: accuracy "
                  f"{parts[target]['report']['accuracy']:.3f} "
                  f"({batched.wall_seconds:.1f} s for {len(rows)} rows)")
    return _merge("prompting", task_set, parts, len(demo_ids))


def run_finetuning(task_set: str, rows: Sequence[dict[str, Any]], settings: Settings = Settings(),
                   progress: bool = True) -> Side:
    """Fine-tune the embedded encoder once per target on ``settings.train_size`` examples."""
    from . import finetuning as F

    parts: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    validation = load(task_set, "validation")[::3]  # a third: quicker epochs (Lab 2)
    for target in TASK_SETS[task_set]:
        size = settings.urgent_train_size if target == "urgent" else settings.train_size
        result = F.finetune(target, train_size=size, epochs=settings.epochs,
                            seed=settings.seed, class_weights=target == "urgent",
                            val_rows=validation, progress=False)
        used.update(result.train_ids)
        lat = F.measure_latency(result, [r["text"] for r in rows[:settings.latency_queries]])
        predicted = F.predict(result, [r["text"] for r in rows])
        parts[target] = {"report": classification_report(
                             [label_of(r, target) for r in rows], predicted, result.labels),
                         "answers": dict(zip([str(r["id"]) for r in rows], predicted, strict=True)),
                         "setup_seconds": result.train_seconds,
                         "setup_cpu_seconds": result.train_cpu_seconds,
                         "train_size": result.train_size,
                         "trainable_parameters": result.trainable_parameters,
                         "prompt_tokens": 0.0, **lat,
                         "result": result}
        if progress:
            print(f"fine-tune  {target:9} n={result.train_size}: accuracy "
                  f"{parts[target]['report']['accuracy']:.3f} ({result.train_seconds:.1f} s training)")
    return _merge("fine-tuning", task_set, parts, len(used))


def head_to_head(task_set: str = "tickets", settings: Settings = Settings(), llm=None,
                 progress: bool = True,
                 choices: dict[str, PromptChoice] | None = None) -> list[Side]:
    """Both approaches on the same ``settings.n_test`` test rows."""
    if task_set not in TASK_SETS:
        raise ValueError(f"task must be one of {', '.join(TASK_SETS)}, not {task_set!r}")
    rows = test_rows(task_set, settings.n_test, settings.seed)
    return [run_prompting(task_set, rows, settings, llm, progress, choices),
            run_finetuning(task_set, rows, settings, progress)]


COLUMNS = {
    "approach": "approach",
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "urgent_recall": "urgent recall",
    "labelled_examples": "labelled examples",
    "setup_seconds": "set-up (training s)",
    "prompt_tokens": "prompt tokens / query",
    "latency_median_ms": "latency median (ms)",
    "latency_p95_ms": "latency p95 (ms)",
    "cpu_s_per_1000": "CPU-s / 1,000",
    "usd_per_1000_cpu": "USD / 1,000 (CPU)",
    "usd_per_1000_hosted": "USD / 1,000 (hosted tokens)",
}


def table(sides: Sequence[Side], prices: Prices = PRICES):
    """The head-to-head table as a pandas DataFrame (one row per approach)."""
    import pandas as pd

    records = []
    for s in sides:
        hosted = (1000 * costs.token_usd(s.prompt_tokens, 1.0, prices)
                  if s.approach == "prompting" else None)
        records.append({
            "approach": s.approach, "accuracy": s.accuracy, "macro_f1": s.macro_f1,
            "urgent_recall": s.urgent_recall, "labelled_examples": s.labelled_examples,
            "setup_seconds": s.setup_seconds, "prompt_tokens": s.prompt_tokens,
            "latency_median_ms": 1000 * s.latency_median_s,
            "latency_p95_ms": 1000 * s.latency_p95_s, "cpu_s_per_1000": s.cpu_s_per_1000,
            "usd_per_1000_cpu": s.usd_per_1000_cpu(prices), "usd_per_1000_hosted": hosted})
    frame = pd.DataFrame.from_records(records)
    if all(s.urgent_recall is None for s in sides):
        frame = frame.drop(columns="urgent_recall")
    return frame.rename(columns=COLUMNS).set_index("approach")


def crossover(target: str, rows: Sequence[dict[str, Any]], prompt_rows: Sequence[dict[str, Any]],
              sizes: Sequence[int], seeds: Sequence[int] = (0, 1, 2)) -> list[dict[str, Any]]:
    """Accuracy against labelled examples for both approaches on the same ``rows``.

    Prompting: `prompt_curve` rows measured on ``rows`` (k labelled demonstrations; the better of
    raw and calibrated). Fine-tuning: the cheap head-only fine-tune (frozen encoder + linear
    classifier) at each size and seed. Rows: approach, labelled, seed, accuracy, macro_f1.
    """
    from .finetuning import head_only_curve

    out: list[dict[str, Any]] = []
    for r in prompt_rows:
        cal = r["macro_f1_calibrated"] > r["macro_f1"]
        out.append({"approach": "prompting", "labelled": r["k"], "seed": 0,
                    "accuracy": r["accuracy_calibrated" if cal else "accuracy"],
                    "macro_f1": r["macro_f1_calibrated" if cal else "macro_f1"]})
    for row in head_only_curve(target, sizes, seeds, test_rows=rows):
        out.append({"approach": "fine-tuning (head only)", "labelled": row["size"],
                    "seed": row["seed"], "accuracy": row["accuracy"],
                    "macro_f1": row["macro_f1"]})
    return out


def crossing_point(curve: Sequence[dict[str, Any]], metric: str = "accuracy") -> int | None:
    """The fewest labelled examples at which fine-tuning's mean score beats the best prompt
    score in ``curve`` (None if it never does)."""
    best_prompt = max((r[metric] for r in curve if r["approach"] == "prompting"), default=None)
    if best_prompt is None:
        return None
    return next((size for size, score in finetune_means(curve, metric).items()
                 if score > best_prompt), None)


def finetune_means(curve: Sequence[dict[str, Any]], metric: str = "accuracy") -> dict[int, float]:
    """Fine-tuning's mean ``metric`` over seeds at each number of labelled examples, smallest
    first."""
    by_size: dict[int, list[float]] = {}
    for r in curve:
        if r["approach"] != "prompting":
            by_size.setdefault(int(r["labelled"]), []).append(float(r[metric]))
    return {size: sum(v) / len(v) for size, v in sorted(by_size.items())}


def side_record(side: Side) -> dict[str, Any]:
    """A JSON-friendly record of a side (without the models and runs; with each target's
    quality report)."""
    record = asdict(side)
    record["details"] = {t: {k: v for k, v in part.items() if k not in ("run", "result")}
                         for t, part in side.details.items()}
    return record


def side_from_record(record: dict[str, Any]) -> Side:
    """The `Side` that `side_record` wrote (its details keep the numbers, not the models)."""
    names = {f.name for f in fields(Side)}
    unknown = sorted(set(record) - names)
    if unknown:
        raise ValueError(f"not a side record: unexpected keys {unknown}")
    return Side(**record)


REFERENCE_RUN = "reference_run.json"


def save_reference(result: dict[str, Any], source: str, settings: Settings = Settings(),
                   path: str | Path | None = None) -> Path:
    """Save a `study` result as the course's reference run (what Lesson 6 reads and the
    decision helper's evidence comes from); ``source`` says where and when it was measured."""
    path = Path(path) if path else Path(__file__).parent / "data" / REFERENCE_RUN
    record = {"source": source, "settings": asdict(settings),
              "choices": {t: asdict(c) for t, c in result["choices"].items()},
              "sides": {name: [side_record(s) for s in sides]
                        for name, sides in result["sides"].items()},
              "curves": result["curves"]}
    return files.write_text(path, json.dumps(record, indent=1) + "\n")


def load_reference(text: str) -> dict[str, Any]:
    """A saved reference run, shaped like a `study` result plus its source and settings."""
    data = json.loads(text)
    return {"source": data["source"], "settings": data["settings"],
            "choices": {t: PromptChoice(**c) for t, c in data["choices"].items()},
            "sides": {name: [side_from_record(r) for r in records]
                      for name, records in data["sides"].items()},
            "curves": data["curves"]}


@functools.cache
def reference_run() -> dict[str, Any]:
    """The course's reference run of Lab 3's study, measured by
    ``python -m tune_or_prompt.bench --only compare --write-reference``."""
    text = resources.files("tune_or_prompt.data").joinpath(REFERENCE_RUN).read_text("utf-8")
    return load_reference(text)


def write_report(task_set: str, sides: Sequence[Side], curve: Sequence[dict[str, Any]] | None,
                 out: str | Path, prices: Prices = PRICES,
                 queries_per_day: float = 1000) -> list[Path]:
    """Write table.csv, table.md, crossover.png and break-even.png to ``out``; returns paths."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from . import plots

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame = table(sides, prices)
    written = [files.write_text(out / "table.csv", frame.round(4).to_csv()),
               files.write_text(out / "table.md", frame.to_markdown(floatfmt=".3g") + "\n"),
               files.write_text(out / "measurements.json",
                                json.dumps([side_record(s) for s in sides], indent=2))]
    figures = {}
    if curve:
        figures["crossover.png"] = plots.crossover(curve, title=f"{MAIN_TARGET[task_set]}")
    prompt, tuned = sides[0], sides[1]
    figures["break-even.png"] = plots.break_even(
        [prompt.cost_model(prices, hosted_prompt=True), prompt.cost_model(prices),
         tuned.cost_model(prices)], queries_per_day=queries_per_day)
    for name, fig in figures.items():
        with files.atomic_path(out / name) as temp:
            fig.savefig(temp, dpi=120)
        plt.close(fig)
        written.append(out / name)
    return written


CURVE_SIZES = (8, 16, 32, 64, 128, 256)


def run_task(task_set: str, settings: Settings = Settings(), llm=None, curve: bool = True,
             progress: bool = True) -> dict[str, Any]:
    """One task set end to end: choose each target's prompt on validation rows (unless
    ``settings.shots`` fixes it), draw the crossover there, then the head-to-head on test rows.
    Returns sides, curve (or None), choices and the validation prompt curves."""
    from .models import load_generative

    llm = llm or load_generative()
    validation = rows_of(task_set, "validation", settings.n_validation, settings.seed)
    main = MAIN_TARGET[task_set]
    prompt_curves: dict[str, list[dict[str, Any]]] = {}
    if settings.shots:
        choices = {t: PromptChoice(settings.shots[t], True) for t in TASK_SETS[task_set]}
    else:
        prompt_curves = {t: prompt_curve(t, validation, settings.candidate_shots[t], llm,
                                         settings.seed, progress) for t in TASK_SETS[task_set]}
        choices = {t: choose(c) for t, c in prompt_curves.items()}
    crossing = None
    if curve:
        shown = prompt_curves.get(main) or prompt_curve(
            main, validation, settings.candidate_shots[main], llm, settings.seed, progress)
        crossing = crossover(main, validation, shown, CURVE_SIZES)
    sides = head_to_head(task_set, settings, llm, progress, choices)
    return {"sides": sides, "curve": crossing, "choices": choices, "prompt_curves": prompt_curves}


def study(settings: Settings = Settings(), llm=None, progress: bool = True) -> dict[str, Any]:
    """Everything Lab 3 measures, for both task sets (see `run_task`)."""
    from .models import load_generative

    llm = llm or load_generative()
    results = {name: run_task(name, settings, llm, True, progress) for name in TASK_SETS}
    return {"sides": {n: r["sides"] for n, r in results.items()},
            "curves": {MAIN_TARGET[n]: r["curve"] for n, r in results.items()},
            "choices": {t: c for r in results.values() for t, c in r["choices"].items()}}
