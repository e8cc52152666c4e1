"""Prompting and fine-tuning today: five measured demos for the lesson of that name (issue #15).

1. `constrained_output`: free generation parsed with `prompting.parse_answer`, generation
   constrained to the allowed answers (`prompting.generate_constrained`), and label scoring
   (`prompting.CachedScorer`), the limit case of constrained decoding.
2. `many_shot`: accuracy, prompt tokens, hosted cost (cached and uncached input) and time per k,
   up to what fits SmolLM2's context (`max_shots`).
3. `retrieved_vs_fixed`: nearest training tickets per query against one fixed balanced set.
4. `distill`: the prompted model labels training tickets; the encoder learns from its labels.
5. `score_prompt` / `save_run` / `load_run` / `compare_runs`: an evaluation set you keep.

Every result is a dataclass; accuracies carry Wilson intervals (`Score`) and two approaches on
the same rows are compared with the sign test of `scores.paired_difference` (`scores.Verdict`).
Settings are chosen on validation rows; test rows are scored once.
"""

from __future__ import annotations

import json
import string
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tune_or_prompt.approaches import prompting as P
from tune_or_prompt.ground.data import FOLDER, load
from tune_or_prompt.ground.models import LoadedModel
from tune_or_prompt.ground.registry import Target, balanced_sample, target
from tune_or_prompt.ground.scores import Score, Verdict, paired_verdict
from tune_or_prompt.ground.tokens import TokenCounter

from . import costs

# ---------------------------------------------------------------------------------------------
# Shared result types
# ---------------------------------------------------------------------------------------------




def _ids(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [str(r["id"]) for r in rows]


# ---------------------------------------------------------------------------------------------
# 1. Constrained output
# ---------------------------------------------------------------------------------------------


def exact_answer(text: str, task: Target) -> bool:
    """Whether free text is exactly one allowed answer word (an optional "Answer:" prefix and
    punctuation aside): the format the instruction asked for."""
    word = text.strip()
    if word.lower().startswith(P.ANSWER_PREFIX.lower()):
        word = word[len(P.ANSWER_PREFIX):]
    word = word.strip().strip(string.punctuation + " ").lower()
    allowed = {a.lower() for a in task.answers.values()} | {x.lower() for x in task.labels}
    return word in allowed


@dataclass
class ConstrainedResult:
    """The same rows answered three ways: free generation (parsed), generation constrained
    to the allowed answers, and label scoring."""

    task: str
    k: int
    gold: list[str]
    outputs: list[str]  # what free generation wrote
    parsed: list[str | None]  # `parse_answer` of each output (None: no allowed label in it)
    guided: list[str | None]  # constrained generation's answers, parsed
    scored: list[str]  # label scoring's answers (always an allowed label)
    free: Score
    guided_score: Score
    constrained: Score
    unparsed: int  # free outputs naming no allowed label: format errors the parser sees
    not_exact: int  # free outputs that are not exactly one allowed answer word
    free_wrong: int  # free outputs parsed to a wrong label
    verdict: Verdict  # free generation against label scoring
    guided_verdict: Verdict  # free generation against constrained generation
    free_seconds: float
    guided_seconds: float
    constrained_seconds: float

    @property
    def constrained_format_errors(self) -> int:
        """Always 0: label scoring can only answer with an allowed label."""
        return sum(p not in target(self.task).labels for p in self.scored)

    @property
    def guided_format_errors(self) -> int:
        """Constrained generation's answers that are not an allowed label (0 by design)."""
        return sum(p not in target(self.task).labels for p in self.guided)


def constrained_output(llm: LoadedModel, rows: Sequence[dict[str, Any]],
                       task_name: str = "intent", k: int = 0, seed: int = 0,
                       describe: bool = True, max_new_tokens: int = 12) -> ConstrainedResult:
    """Free generation, constrained generation and label scoring on the same ``rows`` and
    the same chat prompt (instruction listing the allowed answers, ``k`` balanced
    demonstrations): only the way the answer is produced differs."""
    task = target(task_name)
    demos = P.choose_demos(task, k, "balanced", seed)
    gold = [task.gold(r) for r in rows]
    start = time.perf_counter()
    outputs = [P.generate(llm, P.build_messages(task, demos, r["text"], describe),
                          max_new_tokens) for r in rows]
    free_seconds = time.perf_counter() - start
    parsed = [P.parse_answer(o, task) for o in outputs]
    start = time.perf_counter()
    guided = [P.parse_answer(P.generate_constrained(
        llm, P.build_messages(task, demos, r["text"], describe), task), task) for r in rows]
    guided_seconds = time.perf_counter() - start
    start = time.perf_counter()
    scored = P.run(llm, task_name, rows, k=k, demos=demos, style="chat",
                   describe=describe).predictions()
    constrained_seconds = time.perf_counter() - start
    return ConstrainedResult(
        task_name, k, gold, outputs, parsed, guided, scored, Score.of(gold, parsed),
        Score.of(gold, guided), Score.of(gold, scored), sum(p is None for p in parsed),
        sum(not exact_answer(o, task) for o in outputs),
        sum(p is not None and p != g for p, g in zip(parsed, gold, strict=True)),
        paired_verdict(gold, parsed, scored, "free generation", "label scoring"),
        paired_verdict(gold, parsed, guided, "free generation", "constrained generation"),
        free_seconds, guided_seconds, constrained_seconds)


# ---------------------------------------------------------------------------------------------
# 2. Many-shot
# ---------------------------------------------------------------------------------------------


def fits(task_name: str, k: int, seed: int = 0) -> bool:
    """Whether a plain k-shot prompt leaves room for a message (`prompting.check_prompt_fits`)."""
    try:
        P.check_prompt_fits(task_name, k, seed=seed)
    except P.PromptTooLongError:
        return False
    return True


def max_shots(task_name: str = "intent", seed: int = 0) -> int:
    """The largest k whose balanced k-shot prompt fits the embedded model's context."""
    high = len(load(target(task_name).dataset, "train"))
    if fits(task_name, high, seed):
        return high
    low = 0  # fits(low), not fits(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(task_name, middle, seed) else (low, middle)
    return low


@dataclass(frozen=True)
class ShotPoint:
    """One k of a many-shot sweep."""

    k: int
    score: Score
    score_calibrated: Score
    macro_f1: float
    macro_f1_calibrated: float
    prompt_tokens: float  # mean tokens the model reads per query
    prefix_tokens: int  # instruction and demonstrations: what a prompt cache can serve
    usd_per_1000: float  # at the hosted model's input price, no cache
    usd_per_1000_cached: float  # the prefix billed at the cached-input price
    wall_seconds: float
    cpu_seconds: float
    seconds_per_query: float  # wall, the prefix's one-off pass shared out


@dataclass
class ManyShotResult:
    """Accuracy, tokens, cost and time against k on one set of rows (validation: to choose)."""

    task: str
    n: int
    max_k: int  # the most demonstrations that fit the context
    context: int
    model: str  # the hosted price list the costs use
    points: list[ShotPoint] = field(default_factory=list)

    def chosen(self) -> Any:
        """The best k (and calibration) by macro-F1, as `compare.choose` picks it."""
        from .compare import choose

        return choose([{"k": p.k, "macro_f1": p.macro_f1,
                        "macro_f1_calibrated": p.macro_f1_calibrated} for p in self.points])


def many_shot(llm: LoadedModel, rows: Sequence[dict[str, Any]], shots: Sequence[int],
              task_name: str = "intent", seed: int = 0, model: str = costs.SMALL_API,
              prices: costs.Prices = costs.PRICES) -> ManyShotResult:
    """One balanced k-shot run per k on ``rows``: accuracy (raw and calibrated), tokens, the
    hosted cost per 1,000 queries with and without cached input, and the time it took here.
    Every k is checked to fit the context before any is run."""
    for k in shots:
        P.check_prompt_fits(task_name, k, seed=seed)  # raises, naming the largest k that fits
    task = target(task_name)
    counter = TokenCounter()
    result = ManyShotResult(task_name, len(rows), max_shots(task_name, seed),
                            P.context_tokens(llm), model)
    for k in shots:
        demos = P.choose_demos(task, k, "balanced", seed)
        run = P.run(llm, task_name, rows, k=k, demos=demos)
        s = run.summary()
        prefix = counter.count([P.split_prompt(None, task, demos).prefix])[0]
        tokens = s["prompt_tokens"]
        raw, cal = run.predictions(), run.predictions(calibrated=True)
        result.points.append(ShotPoint(
            k, Score.of(run.gold, raw), Score.of(run.gold, cal), s["macro_f1"],
            s["macro_f1_calibrated"], tokens, prefix,
            1000 * costs.token_usd(tokens, 1, prices, model),
            1000 * costs.token_usd(tokens, 1, prices, model, cached_tokens=prefix),
            run.wall_seconds, run.cpu_seconds, run.wall_seconds / max(len(rows), 1)))
    return result


# ---------------------------------------------------------------------------------------------
# 3. Retrieved against fixed demonstrations
# ---------------------------------------------------------------------------------------------

RETRIEVED, FIXED = "retrieved", "fixed"


@dataclass
class DemoChoiceResult:
    """Retrieved (nearest training tickets per query) against fixed balanced demonstrations:
    k chosen per strategy on validation rows, then the test rows once."""

    task: str
    shots: tuple[int, ...]
    validation: dict[str, list[Score]]  # by strategy, one per k in ``shots``
    chosen_k: dict[str, int]
    test: dict[str, Score]
    verdict: Verdict
    seconds: dict[str, float]  # wall time: embedding (retrieval), each strategy's runs
    nearest_label: Score | None = None  # no model: the label of the most similar ticket
    nearest_verdict: Verdict | None = None  # retrieved prompt against that label alone


def _best_k(shots: Sequence[int], scores: Sequence[Score]) -> int:
    """The k of the best validation accuracy (ties: fewer demonstrations)."""
    return max(zip(shots, scores, strict=True), key=lambda x: (x[1].correct, -x[0]))[0]


def _retrieved_run(llm: LoadedModel, task_name: str, rows: Sequence[dict[str, Any]],
                   nearest: Sequence[Sequence[dict[str, Any]]], k: int) -> list[str]:
    """Each row answered with its own k nearest training tickets (most similar last)."""
    return [P.run(llm, task_name, [row], k=k, demos=list(near[len(near) - k:])).predictions()[0]
            for row, near in zip(rows, nearest, strict=True)]


def retrieved_vs_fixed(llm: LoadedModel, encoder: LoadedModel,
                       validation_rows: Sequence[dict[str, Any]],
                       test_rows: Sequence[dict[str, Any]], shots: Sequence[int] = (2, 4, 8),
                       task_name: str = "intent", seed: int = 0,
                       pool: Sequence[dict[str, Any]] | None = None) -> DemoChoiceResult:
    """`prompting.similar_demos` (the ``pool``, default the training split, embedded once for
    every row and k) against a fixed balanced set drawn from the same pool
    (`prompting.choose_demos`)."""
    task = target(task_name)
    pool = list(pool if pool is not None else load(task.dataset, "train"))
    start = time.perf_counter()
    nearest = P.similar_demos(encoder, [r["text"] for r in [*validation_rows, *test_rows]], pool,
                              max(shots))
    retrieval_seconds = time.perf_counter() - start
    near_val, near_test = nearest[:len(validation_rows)], nearest[len(validation_rows):]

    def answer(name: str, rows: Sequence[dict[str, Any]], k: int, near) -> list[str]:
        if name == RETRIEVED:
            return _retrieved_run(llm, task_name, rows, near, k)
        demos = P.choose_demos(task, k, "balanced", seed, pool)
        return P.run(llm, task_name, rows, k=k, demos=demos).predictions()

    val_gold = [task.gold(r) for r in validation_rows]
    gold = [task.gold(r) for r in test_rows]
    validation: dict[str, list[Score]] = {}
    chosen: dict[str, int] = {}
    test: dict[str, Score] = {}
    answers: dict[str, list[str]] = {}
    seconds: dict[str, float] = {"retrieval": retrieval_seconds}
    for name in (RETRIEVED, FIXED):
        start = time.perf_counter()
        validation[name] = [Score.of(val_gold, answer(name, validation_rows, k, near_val))
                            for k in shots]
        chosen[name] = _best_k(shots, validation[name])
        answers[name] = answer(name, test_rows, chosen[name], near_test)
        test[name] = Score.of(gold, answers[name])
        seconds[name] = time.perf_counter() - start
    copied = [task.gold(near[-1]) for near in near_test]  # the nearest ticket's label
    return DemoChoiceResult(task_name, tuple(shots), validation, chosen, test,
                            paired_verdict(gold, answers[RETRIEVED], answers[FIXED],
                                           RETRIEVED, FIXED), seconds,
                            Score.of(gold, copied),
                            paired_verdict(gold, answers[RETRIEVED], copied, RETRIEVED,
                                           "nearest ticket's label"))


# ---------------------------------------------------------------------------------------------
# 4. Distillation
# ---------------------------------------------------------------------------------------------


@dataclass
class DistillResult:
    """Two encoders trained on the same tickets: one on the prompted model's labels, one on
    the human labels."""

    task: str
    n: int  # training tickets each student learns from
    method: str  # `finetuning.finetune` method
    teacher_k: int
    teacher_calibrated: bool
    teacher_validation_macro_f1: float | None
    agreement: Score  # teacher labels equal to the human labels, on the training tickets
    teacher_student: Score  # test accuracy of the student of the teacher's labels
    human_student: Score  # test accuracy of the student of the human labels
    verdict: Verdict
    teacher_seconds: float  # choosing the setting on validation and labelling the tickets
    train_seconds: dict[str, float]


def distill(llm: LoadedModel, n: int, validation_rows: Sequence[dict[str, Any]],
            test_rows: Sequence[dict[str, Any]], shots: Sequence[int] = (0, 4, 8),
            task_name: str = "intent", seed: int = 0, method: str = "head") -> DistillResult:
    """The prompted model (its best validation setting among ``shots``, `compare.choose`)
    labels ``n`` balanced training tickets (its demonstrations left out); the encoder learns
    from those labels and, with the same seed, from the human labels of the same tickets."""
    from tune_or_prompt.approaches import finetuning as F

    from .compare import choose, prompt_curve

    task = target(task_name)
    start = time.perf_counter()
    choice = choose(prompt_curve(task_name, validation_rows, shots, llm, seed, progress=False))
    demos = P.choose_demos(task, choice.k, "balanced", seed)
    shown = set(_ids(demos))
    pool = [r for r in load(task.dataset, "train") if str(r["id"]) not in shown]
    rows = balanced_sample(pool, task_name, n, seed)
    teacher = P.run(llm, task_name, rows, k=choice.k, demos=demos).predictions(choice.calibrated)
    teacher_seconds = time.perf_counter() - start
    human = [task.gold(r) for r in rows]
    relabelled = [{**r, task.field: (label == task.labels[1]) if task.boolean else label}
                  for r, label in zip(rows, teacher, strict=True)]
    gold = [task.gold(r) for r in test_rows]
    texts = [r["text"] for r in test_rows]
    predictions: dict[str, list[str]] = {}
    train_seconds: dict[str, float] = {}
    for name, train in (("teacher labels", relabelled), ("human labels", rows)):
        t0 = time.perf_counter()
        student = F.finetune(task_name, train_size=None, seed=seed, method=method,
                             train_rows=train, val_rows=validation_rows, progress=False,
                             class_weights=task.rare is not None)
        predictions[name] = F.predict(student, texts)
        train_seconds[name] = time.perf_counter() - t0
    a, b = predictions["teacher labels"], predictions["human labels"]
    return DistillResult(task_name, len(rows), method, choice.k, choice.calibrated,
                         choice.validation_macro_f1, Score.of(human, teacher), Score.of(gold, a),
                         Score.of(gold, b), paired_verdict(gold, a, b, "student of the teacher",
                                                           "student of the humans"),
                         teacher_seconds, train_seconds)


# ---------------------------------------------------------------------------------------------
# 5. An evaluation set you keep
# ---------------------------------------------------------------------------------------------


def evaluation_set(n: int, task_name: str = "intent", seed: int = 0) -> list[dict[str, Any]]:
    """A fixed set of ``n`` validation rows to re-score every prompt change on (the test rows
    stay for the one final measurement)."""
    return P.evaluation_rows(task_name, n, seed, split="validation")


@dataclass(frozen=True)
class RowResult:
    """One row of an evaluation run."""

    id: str
    text: str
    gold: str
    predicted: str

    @property
    def correct(self) -> bool:
        return self.gold == self.predicted


@dataclass
class EvalRun:
    """A prompt scored on a fixed set, row by row, with the settings that made it."""

    name: str
    task: str
    settings: dict[str, Any]
    rows: list[RowResult]
    seconds: float = 0.0

    @property
    def score(self) -> Score:
        return Score(sum(r.correct for r in self.rows), len(self.rows))


def score_prompt(llm: LoadedModel, rows: Sequence[dict[str, Any]], name: str,
                 task_name: str = "intent", k: int = 0, seed: int = 0,
                 describe: bool = True, calibrated: bool = False,
                 demos: Sequence[dict[str, Any]] | None = None) -> EvalRun:
    """Score one prompt (k balanced demonstrations chosen with ``seed``, or ``demos``) on
    ``rows`` and keep every row's answer."""
    start = time.perf_counter()
    run = P.run(llm, task_name, rows, k=k, seed=seed, describe=describe,
                demos=list(demos) if demos is not None else None)
    predicted = run.predictions(calibrated)
    settings = {"k": k, "seed": seed, "describe": describe, "calibrated": calibrated,
                "demos": _ids(demos) if demos is not None else None}
    return EvalRun(name, task_name, settings,
                   [RowResult(str(r["id"]), r["text"], g, p)
                    for r, g, p in zip(rows, run.gold, predicted, strict=True)],
                   time.perf_counter() - start)


def save_run(run: EvalRun, path: str | Path) -> Path:
    """Write an evaluation run as JSON, atomically (`files.write_text`)."""
    from tune_or_prompt.ground.files import write_text

    return write_text(path, json.dumps(asdict(run), indent=1, ensure_ascii=False) + "\n")


def load_run(path: str | Path) -> EvalRun:
    """Read what `save_run` wrote."""
    record = json.loads(Path(path).read_text(encoding="utf-8"))
    return EvalRun(record["name"], record["task"], record["settings"],
                   [RowResult(**r) for r in record["rows"]], record.get("seconds", 0.0))


@dataclass
class Change:
    """What a prompt change did on the kept set: rows that got worse or better, and whether
    the overall change is more than noise."""

    before: str
    after: str
    score_before: Score
    score_after: Score
    worse: list[tuple[RowResult, RowResult]]  # right before, wrong after
    better: list[tuple[RowResult, RowResult]]  # wrong before, right after
    changed: int  # rows whose answer changed at all (right or wrong)
    verdict: Verdict


def compare_runs(before: EvalRun, after: EvalRun, level: float = 0.05) -> Change:
    """Row by row, ``after`` against ``before`` (the same rows, the same gold labels)."""
    if [(r.id, r.gold) for r in before.rows] != [(r.id, r.gold) for r in after.rows]:
        raise ValueError(f"{before.name!r} and {after.name!r} were not scored on the same "
                         "rows with the same labels: re-score both on the kept set")
    pairs = list(zip(before.rows, after.rows, strict=True))
    gold = [r.gold for r in before.rows]
    return Change(before.name, after.name, before.score, after.score,
                  [(b, a) for b, a in pairs if b.correct and not a.correct],
                  [(b, a) for b, a in pairs if a.correct and not b.correct],
                  sum(b.predicted != a.predicted for b, a in pairs),
                  paired_verdict(gold, [r.predicted for r in before.rows],
                                 [r.predicted for r in after.rows], before.name, after.name,
                                 level))


# ---------------------------------------------------------------------------------------------
# The reference run: every number the lesson quotes
# ---------------------------------------------------------------------------------------------

TODAY_RUN = "today_run.json"  # in tune_or_prompt/ground/data, beside the head-to-head reference run


@dataclass(frozen=True)
class ReferenceSettings:
    """What the lesson's reference run measured, and on how many rows."""

    task: str = "intent"
    n_validation: int = 32  # choosing: k, calibration, the teacher's setting
    n_test: int = 48  # scored once, with the chosen settings
    seed: int = 0
    constrained_k: int = 4
    shots: tuple[int, ...] = (0, 4, 16, 64)  # many-shot sweep; max_shots() is added
    demo_shots: tuple[int, ...] = (2, 4, 8)
    distill_n: int = 64
    distill_shots: tuple[int, ...] = (0, 4, 8)
    kept_n: int = 32  # the evaluation set you keep (validation rows)


@dataclass
class ManyShotTest:
    """The k chosen on validation, scored once on the test rows."""

    k: int
    calibrated: bool
    score: Score
    point: ShotPoint  # its tokens, cost and time on the test rows


@dataclass
class TodayRun:
    """The lesson's five demos, measured once (``python -m tune_or_prompt.bench --only today
    --write-reference``)."""

    source: str
    settings: ReferenceSettings
    constrained: ConstrainedResult
    many_shot: ManyShotResult  # validation rows: the curve the k is chosen on
    many_shot_test: ManyShotTest
    demos: DemoChoiceResult
    distill: DistillResult
    kept_before: EvalRun  # the kept set scored before a prompt change
    kept_after: EvalRun  # and after it


def measure(settings: ReferenceSettings = ReferenceSettings(), source: str = "",
            progress: bool = True) -> TodayRun:
    """Run all five demos with ``settings`` (about 20 minutes on a 2-core CPU)."""
    from tune_or_prompt.ground.models import load_encoder, load_generative

    from .compare import rows_of

    def say(text: str) -> None:
        if progress:
            print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    s = settings
    task = target(s.task)
    llm, encoder = load_generative(), load_encoder()
    validation = rows_of(task.dataset, "validation", s.n_validation, s.seed)
    test = rows_of(task.dataset, "test", s.n_test, s.seed)
    say("constrained output")
    constrained = constrained_output(llm, test, s.task, s.constrained_k, s.seed)
    say("many-shot sweep (validation)")
    shots = sorted({*s.shots, max_shots(s.task, s.seed)})
    sweep = many_shot(llm, validation, shots, s.task, s.seed)
    choice = sweep.chosen()
    say(f"many-shot: k = {choice.k} on the test rows")
    tested = many_shot(llm, test, [choice.k], s.task, s.seed).points[0]
    chosen_test = ManyShotTest(choice.k, choice.calibrated,
                               tested.score_calibrated if choice.calibrated else tested.score,
                               tested)
    say("retrieved against fixed demonstrations")
    demos = retrieved_vs_fixed(llm, encoder, validation, test, s.demo_shots, s.task, s.seed)
    say("distillation")
    distilled = distill(llm, s.distill_n, validation, test, s.distill_shots, s.task, s.seed)
    say("the kept evaluation set")
    kept = evaluation_set(s.kept_n, s.task, s.seed)
    before = score_prompt(llm, kept, "with label descriptions", s.task, k=s.constrained_k,
                          seed=s.seed)
    after = score_prompt(llm, kept, "descriptions cut to save tokens", s.task,
                         k=s.constrained_k, seed=s.seed, describe=False)
    return TodayRun(source, s, constrained, sweep, chosen_test, demos, distilled, before, after)


def _adapter():
    from pydantic import TypeAdapter

    return TypeAdapter(TodayRun)


def save_reference(run: TodayRun, path: str | Path | None = None) -> Path:
    """Write the run as JSON, atomically (default: the package's data folder)."""
    from tune_or_prompt.ground.files import write_text

    path = Path(path) if path else FOLDER / TODAY_RUN
    return write_text(path, _adapter().dump_json(run, indent=1).decode("utf-8") + "\n")


def load_reference(text: str) -> TodayRun:
    """A saved run, every nested result typed again (pydantic validates the file)."""
    return _adapter().validate_json(text)


def reference_run() -> TodayRun:
    """The lesson's reference run, shipped with the package."""
    from importlib import resources

    return load_reference(resources.files("tune_or_prompt.ground.data").joinpath(TODAY_RUN)
                          .read_text("utf-8"))


__all__ = ["ConstrainedResult", "DemoChoiceResult", "DistillResult", "EvalRun", "ManyShotResult",
           "RowResult", "ShotPoint", "compare_runs", "constrained_output", "distill",
           "evaluation_set", "exact_answer", "load_run", "many_shot", "max_shots", "ManyShotTest",
           "ReferenceSettings", "TodayRun", "load_reference", "measure", "reference_run",
           "retrieved_vs_fixed", "save_reference", "save_run", "score_prompt"]
