"""`make bench`: the numbers the course promises, measured on this machine.

Prints the lesson and lab notebooks' run times (each executed top to bottom in a fresh kernel,
against its budget, with its slowest cells), the k-shot
prompting results with the lab's default settings, and the speed-up of reusing the prompt's
key/value cache over one forward pass per query over the whole prompt, every label read from
that one pass (`scorer_throughput`, the one measurement of that speed-up).
Speed and accuracy targets live here, not in timed tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tune_or_prompt.ground.registry import TARGETS

# Seconds each notebook may take, executed top to bottom in a fresh kernel on the course's
# 2-core machine: together they fit a six-minute `make book` from a fresh clone.
LABS = {"labs/00-check-setup.md": 20, "labs/01-few-shot-prompting.md": 45,
        "labs/02-fine-tuning.md": 45, "labs/03-head-to-head.md": 90,
        "labs/04-lora-smollm2.md": 60}
LESSON_TARGET = 10  # seconds for each lesson


@dataclass
class NotebookTime:
    """How long a notebook took, in all and cell by cell (wall seconds)."""

    seconds: float
    cells: list[tuple[float, str]]  # (seconds, the cell's first line), in notebook order

    def slowest(self, n: int = 3) -> list[tuple[float, str]]:
        return sorted(self.cells, reverse=True)[:n]


def _cell_seconds(cell) -> float:
    """A cell's run time from the timestamps nbclient records (0 when it has none)."""
    from datetime import datetime

    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (start, end)]
    return (parse[1] - parse[0]).total_seconds()


def time_notebook(path: Path, timeout: int = 900) -> NotebookTime:
    """Execute a MyST notebook top to bottom in a fresh kernel; its wall seconds and each
    code cell's."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    cells = [(_cell_seconds(c), next(iter(c.source.splitlines()), ""))
             for c in nb.cells if c.cell_type == "code"]
    return NotebookTime(seconds, cells)


def report_time(name: str, timed: NotebookTime, target: float) -> str:
    """One line per notebook, the budget's verdict and its slowest cells."""
    verdict = "OK" if timed.seconds <= target else "OVER"
    slow = "; ".join(f"{s:.1f} s {line[:50]!r}" for s, line in timed.slowest() if s >= 1)
    return (f"{name}: {timed.seconds:.1f} s (target {target} s: {verdict})"
            + (f"\n    slowest cells: {slow}" if slow else ""))


def scorer_throughput(llm, task_name: str = "intent", k: int = 4, queries: int = 32,
                      seed: int = 0) -> dict:
    """The KV-cache speed-up, measured once and honestly: the cached label scorer against one
    forward pass per query over the whole prompt, with every (one-token) label read from that
    pass's last position, batched and padded as the scorer batches (what scoring costs without
    reusing the prompt's cache, and nothing more). Also the model's raw throughput, a plain
    batched forward pass over the queries' own tokens (what the scorer computes per query).
    ``speedup`` is the one number a page may quote as the KV-cache speed-up."""
    import torch

    from tune_or_prompt.approaches import prompting as P

    task = TARGETS[task_name]
    rows = P.evaluation_rows(task_name, queries, seed=seed)
    parts = P.split_prompt(llm, task, P.choose_demos(task, k, "balanced", seed))
    labels = P.label_token_ids(llm, task)
    if any(len(label) != 1 for label in labels):
        raise ValueError(f"{task_name}: the baseline reads one-token labels only")
    firsts = [label[0] for label in labels]
    prefix = P._ids(llm, parts.prefix)
    query_ids = [P._ids(llm, r["text"] + parts.suffix) for r in rows]
    computed = sum(len(q) for q in query_ids)
    order = sorted(range(len(query_ids)), key=lambda i: len(query_ids[i]))

    def batched(sequences: list[list[int]], plain: bool = False) -> np.ndarray:
        """One padded forward pass per batch of 8 (shortest first); label log-probabilities
        read at each sequence's last token, the vocabulary head run only there (as the scorer
        does). ``plain``: the model's ordinary forward pass (head at every position)."""
        out = np.zeros((len(sequences), len(firsts)))
        for i in range(0, len(order), 8):
            batch = [order[j] for j in range(i, min(i + 8, len(order)))]
            width = max(len(sequences[b]) for b in batch)
            ids = torch.tensor([sequences[b] + [0] * (width - len(sequences[b]))
                                for b in batch])
            mask = torch.tensor([[1] * len(sequences[b]) + [0] * (width - len(sequences[b]))
                                 for b in batch])
            last = torch.tensor([len(sequences[b]) - 1 for b in batch])
            if plain:
                llm.model(ids, attention_mask=mask)
                continue
            hidden = llm.model.model(ids, attention_mask=mask).last_hidden_state
            logits = llm.model.lm_head(hidden[torch.arange(len(batch)), last])
            logprobs = torch.log_softmax(logits.float(), -1)
            out[batch] = logprobs[:, firsts].numpy()
        return out

    with torch.inference_mode():
        llm.model(torch.tensor([prefix[:16]]))  # warm up
        start = time.perf_counter()
        one_pass = batched([prefix + q for q in query_ids])
        one_pass_s = time.perf_counter() - start
        start = time.perf_counter()
        batched(query_ids, plain=True)
        raw_s = time.perf_counter() - start
    start = time.perf_counter()
    cached = P.CachedScorer(llm, prefix, labels).score(query_ids)
    cached_s = time.perf_counter() - start
    return {"task": task_name, "k": k, "queries": queries, "labels": len(labels),
            "prefix_tokens": len(prefix), "query_tokens": computed,
            "one_pass_s": one_pass_s, "cached_s": cached_s,
            "speedup": one_pass_s / cached_s, "cached_tokens_per_s": computed / cached_s,
            "raw_tokens_per_s": computed / raw_s, "share_of_raw": raw_s / cached_s,
            "max_abs_diff": float(np.abs(one_pass - cached).max())}


def api_throughput(n: int = 16, concurrency: int = 4) -> dict:
    """Requests per second of the API path against `tune-or-prompt serve`'s local server:
    ``n`` zero-shot review prompts, the response cache off."""
    import tempfile

    from tune_or_prompt.approaches import api
    from tune_or_prompt.approaches.prompting import evaluation_rows

    rows = evaluation_rows("sentiment", n, seed=1)
    with api.serve() as server, tempfile.TemporaryDirectory() as cache:
        config = server.config(concurrency=concurrency, cache_dir=cache)
        start = time.perf_counter()
        run = api.classify(config, "sentiment", rows, use_cache=False)
        seconds = time.perf_counter() - start
    s = run.summary()
    return {"requests": run.requests, "seconds": seconds, "per_s": run.requests / seconds,
            "concurrency": concurrency, "latency_median_s": s["latency_median_s"],
            "accuracy": s["accuracy"], "unparsed": s["unparsed"]}


def finetuning_targets(train_size: int = 200, seed: int = 0) -> None:
    """The fine-tuning targets: at most 200 tickets, intent accuracy >= 0.85 and urgent recall
    >= 0.8 on the test split, training under 30 s."""
    from tune_or_prompt.approaches import finetuning as F
    from tune_or_prompt.ground.data import load

    test = load("tickets", "test")
    print(f"\n== Fine-tuning all-MiniLM-L6-v2 on {train_size} tickets (seed {seed}) ==")
    for target in ("intent", "urgent"):
        result = F.finetune(target, train_size=train_size, seed=seed, progress=False)
        report = F.evaluate(result, test)
        line = (f"{target:6}: {result.train_size} tickets x {result.epochs} epochs, training "
                f"{result.train_seconds:.1f} s (+{result.eval_seconds:.1f} s validation; "
                f"target < 30 s), test accuracy {report['accuracy']:.3f}, "
                f"macro-F1 {report['macro_f1']:.3f}")
        if target == "urgent":
            urgent = report["per_class"]["urgent"]
            line += (f", urgent recall {urgent['recall']:.2f} (target >= 0.8), "
                     f"precision {urgent['precision']:.2f}")
        latency = F.measure_latency(result, [r["text"] for r in test[:50]])
        print(line + f"; latency median {1000 * latency['latency_median_s']:.0f} ms, "
              f"{latency['cpu_s_per_1000']:.0f} CPU-s per 1,000")


def head_to_head_reference(write: bool = False) -> None:
    """Lab 3's study with its default settings; with ``write``, saves it as the course's
    reference run (src/tune_or_prompt/ground/data/reference_run.json: Lesson 7 and the decision
    helper's evidence)."""
    import datetime

    import pandas as pd

    from tune_or_prompt.measure import compare as C

    print("\n== Head to head (Lab 3's default settings) ==")
    start = time.perf_counter()
    result = C.study(C.REFERENCE_SETTINGS, progress=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for name, task in result.tasks.items():
            print(f"-- {name}\n{C.table(task.sides).round(3).T.to_string()}")
            for approach in task.repeats:
                s = task.spread(approach)
                print(f"   {approach}: accuracy over {s['n']} seeds: mean {s['mean']:.3f}, "
                      f"sd {s['sd']:.3f}, range {s['min']:.3f}-{s['max']:.3f}")
    for name in result.tasks:
        curve = result.curve(name)
        best = max(r["accuracy"] for r in curve if r["approach"] == C.PROMPTING)
        print(f"crossover {name}: best prompt {best:.3f}, {C.EMBEDDINGS} beats it from "
              f"{C.crossing_point(curve)} labelled examples")
    print(f"study: {time.perf_counter() - start:.0f} s")
    from tune_or_prompt.ground.models import load_generative

    llm = load_generative()  # the KV-cache speed-up the lessons quote, measured with the run
    result.scorer = {task: scorer_throughput(llm, task) for task in ("sentiment", "intent")}
    for task, r in result.scorer.items():
        print(f"scorer {task}: k={r['k']}, cached {r['speedup']:.1f}x faster than one pass per "
              "query over the whole prompt")
    if write:
        source = (f"the course's reference run of Lab 3 (make bench, "
                  f"{datetime.date.today():%Y-%m-%d}, {os.cpu_count()}-core CPU)")
        print(f"wrote {C.save_reference(result, source, C.REFERENCE_SETTINGS)}")


def today_reference(write: bool = False) -> None:
    """The demos of "Prompting and fine-tuning today"; with ``write``, saves them as the
    lesson's reference run (src/tune_or_prompt/ground/data/today_run.json)."""
    import datetime

    from tune_or_prompt.measure import today as T

    print("\n== Prompting and fine-tuning today (the lesson's five demos) ==")
    start = time.perf_counter()
    source = (f"the course's reference run of the lesson's demos (make bench, "
              f"{datetime.date.today():%Y-%m-%d}, {os.cpu_count()}-core CPU)")
    run = T.measure(source=source)
    c = run.constrained
    print(f"constrained output, k={c.k}: free {c.free}, {c.unparsed} unparsed, "
          f"{c.not_exact} not exactly one answer; constrained generation {c.guided_score}; "
          f"label scoring {c.constrained}")
    for point in run.many_shot.points:
        print(f"many-shot k={point.k}: {point.score}, {point.prompt_tokens:.0f} tokens, "
              f"${point.usd_per_1000:.3f} per 1,000 (cached ${point.usd_per_1000_cached:.3f}), "
              f"{point.seconds_per_query:.2f} s/query")
    print(f"many-shot chosen k={run.many_shot_test.k}: test {run.many_shot_test.score}")
    d = run.demos
    print(f"retrieved {d.test['retrieved']} (k={d.chosen_k['retrieved']}) vs fixed "
          f"{d.test['fixed']} (k={d.chosen_k['fixed']}): {d.verdict}; nearest label "
          f"{d.nearest_label}")
    t = run.distill
    print(f"distillation: teacher agrees {t.agreement}; students {t.teacher_student} vs "
          f"{t.human_student}: {t.verdict}")
    change = T.compare_runs(run.kept_before, run.kept_after)
    print(f"kept set: {change.score_before} -> {change.score_after}, {len(change.worse)} worse, "
          f"{len(change.better)} better: {change.verdict}")
    print(f"today: {time.perf_counter() - start:.0f} s")
    if write:
        print(f"wrote {T.save_reference(run)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=24, help="test messages per task (lab: 24)")
    parser.add_argument("--skip-labs", action="store_true")
    parser.add_argument("--write-reference", action="store_true",
                        help="save the head-to-head (--only compare) or the demos of "
                        "Lesson 6 (--only today) as the course's reference run")
    parser.add_argument("--only", choices=["lessons", "labs", "prompting", "finetuning",
                                           "compare", "today", "scorer", "api"],
                        help="run one section only")
    args = parser.parse_args()

    import pandas as pd
    import torch

    from tune_or_prompt.approaches import prompting as P
    from tune_or_prompt.ground.models import load_generative

    root = Path(__file__).resolve().parents[2]
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}")
    sections = ({args.only} if args.only
                else {"lessons", "labs", "prompting", "finetuning", "compare"})
    if args.skip_labs:
        sections.discard("labs")
    if "finetuning" in sections:
        finetuning_targets()
    if "compare" in sections:
        head_to_head_reference(write=args.write_reference)
    if "today" in sections:
        today_reference(write=args.write_reference)
    if "lessons" in sections:
        print("\n== Lesson run times (fresh kernel, top to bottom) ==")
        total = 0.0
        for lesson in sorted((root / "lessons").glob("[0-9]*.md")):
            timed = time_notebook(lesson)
            total += timed.seconds
            print(report_time(f"lessons/{lesson.name}", timed, LESSON_TARGET))
        print(f"all lessons: {total:.1f} s")
    if "labs" in sections:
        print("\n== Lab run times (fresh kernel, top to bottom) ==")
        for lab, target in LABS.items():
            if (root / lab).exists():
                print(report_time(lab, time_notebook(root / lab), target))

    if "api" in sections or not args.only:
        r = api_throughput()
        print(f"\n== The API path against the local server ==\n{r['requests']} review prompts "
              f"at concurrency {r['concurrency']}: {r['per_s']:.2f} requests/s "
              f"({r['seconds']:.1f} s; median latency {1000 * r['latency_median_s']:.0f} ms "
              f"with queueing; accuracy {r['accuracy']:.2f}, {r['unparsed']} unparsed)")
    if "scorer" in sections or not args.only:
        llm = load_generative()
        print("\n== KV-cache speed-up: the cached label scorer vs one pass per query "
              "(every label read from it) and the raw forward pass ==")
        for task in ("sentiment", "intent"):
            r = scorer_throughput(llm, task)
            print(f"{task:9} k={r['k']}, {r['prefix_tokens']} prompt tokens shared, "
                  f"{r['query_tokens']} query tokens in {r['queries']} queries: one pass per "
                  f"query {r['one_pass_s']:.2f} s, cached {r['cached_s']:.2f} s -> "
                  f"{r['speedup']:.1f}x (max score difference {r['max_abs_diff']:.1e}); "
                  f"cached {r['cached_tokens_per_s']:.0f} computed tokens/s = "
                  f"{100 * r['share_of_raw']:.0f}% of a plain batched forward pass "
                  f"({r['raw_tokens_per_s']:.0f} tokens/s; target 80%)")
    if "prompting" not in sections:
        return
    llm = load_generative()
    print(f"\n== k-shot prompting, {args.n} test messages per task (the lab's settings) ==")
    rows = {name: P.evaluation_rows(name, args.n) for name in ("sentiment", "intent", "urgent")}
    start = time.perf_counter()
    runs = P.sweep(llm, rows, progress=False)
    table = pd.DataFrame([r.summary() for r in runs])
    table["urgent_recall"] = [r.report()["per_class"].get("urgent", {}).get("recall", np.nan)
                              for r in runs]
    cols = ["task", "k", "accuracy", "macro_f1", "accuracy_calibrated", "urgent_recall",
            "prompt_tokens", "latency_median_s", "latency_p95_s", "cpu_s_per_1000"]
    with pd.option_context("display.width", 200):
        print(table[cols].round(3).to_string(index=False))
    print(f"(sweep: {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
