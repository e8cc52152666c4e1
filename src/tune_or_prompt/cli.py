"""`tune-or-prompt`: command-line entry points of the course."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn


def _quiz_check(args: argparse.Namespace) -> int:
    from .quiz import check_paths, find_bank_dir

    paths = [Path(p) for p in args.paths] or [find_bank_dir()]
    questions, problems = check_paths(paths)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found in {', '.join(map(str, paths))}.", file=sys.stderr)
        return 1
    by_lesson: dict[str, int] = {}
    for q in questions:
        by_lesson[q.lesson] = by_lesson.get(q.lesson, 0) + 1
    summary = ", ".join(f"{lesson}: {n}" for lesson, n in by_lesson.items())
    print(f"OK: {len(questions)} questions ({summary}).")
    return 0


def _models(args: argparse.Namespace) -> int:
    from .models import ModelError, embedded_dir, list_models, model_source

    print(f"Model source: {model_source()} (set TUNE_OR_PROMPT_MODELS=hub to use the Hub)")
    for spec in list_models():
        if spec.embedded:
            try:
                status = f"embedded, installed at {embedded_dir(spec)}"
            except ModelError as error:
                status = f"embedded, NOT installed: {error.args[0].splitlines()[0]}"
        else:
            status = "hub only"
        print(f"  {spec.role:10} {spec.name:24} {spec.parameters:>6}  {spec.hub_id}  [{status}]")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2), like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _whole(low: int, note: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}{note}, not {value}")
        return value

    return parse


def _number(low: float = 0.0, high: float = math.inf) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high]."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            upper = "" if high == math.inf else f" and at most {high:g}"
            raise argparse.ArgumentTypeError(f"must be a number of at least {low:g}{upper}, "
                                             f"not {text}")
        return value

    return parse


TASK_TARGETS = {"tickets": ("intent", "urgent"), "reviews": ("sentiment",)}
PREDICTION_FIELDS = {"intent": "prediction", "urgent": "prediction_urgent",
                     "sentiment": "prediction"}


def _gold_field(record: dict, target: str) -> str | None:
    """Which field of the record holds its gold label for a target, if any."""
    fields = {"sentiment": ("label",), "intent": ("intent", "label"), "urgent": ("urgent",)}
    return next((name for name in fields[target] if name in record), None)


def _gold(record: dict, target: str) -> str | None:
    """The record's gold label for a target, if it has one ('label', 'intent' or 'urgent')."""
    from .data import label_of

    name = _gold_field(record, target)
    if name is None:
        return None
    return label_of(record, "urgent") if target == "urgent" else record[name]


def _check_gold(records: list[dict], targets: Sequence[str]) -> None:
    """Before any model loads: every gold label present must be one the target knows."""
    from .data import TARGETS
    from .records import InputError

    for target in targets:
        labels = TARGETS[target][2]
        for i, record in enumerate(records):
            name = _gold_field(record, target)
            if name is None:
                continue
            value = record[name]
            where = records.where(i) if hasattr(records, "where") else f"record {i + 1}"
            if target == "urgent":
                if not isinstance(value, bool):
                    raise InputError(f"{where}: field 'urgent' must be true or false, "
                                     f"not {json.dumps(value)[:40]}")
            elif not isinstance(value, str) or value not in labels:
                raise InputError(f"{where}: field {name!r}: {json.dumps(value)[:40]} is not "
                                 f"one of the {target} labels ({', '.join(labels)})")


def _print_metrics(target: str, gold: list, predicted: list, labels: tuple) -> None:
    from .metrics import classification_report

    report = classification_report(gold, predicted, labels)
    print(f"{target}: accuracy {report['accuracy']:.3f}  macro-F1 {report['macro_f1']:.3f}  "
          f"(n={len(gold)})")
    for label, row in report["per_class"].items():
        print(f"  {label:22} precision {row['precision']:.2f}  recall {row['recall']:.2f}  "
              f"support {row['support']}")


def _attach(records: list[dict], target: str, predictions: list[str], labels: tuple) -> None:
    """Add each prediction to its record; print metrics when every record has a gold label."""
    for record, prediction in zip(records, predictions, strict=True):
        record[PREDICTION_FIELDS[target]] = prediction
    gold = [_gold(r, target) for r in records]
    if all(g is not None for g in gold):
        _print_metrics(target, gold, predictions, labels)


def _records(args: argparse.Namespace) -> list[dict]:
    """The input records, read and checked (fields and gold labels) before any model loads;
    the output and save paths are checked writable first."""
    from .data import load
    from .files import check_writable
    from .records import read_records

    if args.output:
        check_writable(args.output, "--output")
    if getattr(args, "save", None):
        check_writable(args.save, "--save", folder=True)
    if args.input:
        records = read_records(args.input)
    else:
        records = load(args.task, "test")
        records = records[: args.limit] if args.limit else records
    _check_gold(records, TASK_TARGETS[args.task])
    return records


def _write(args: argparse.Namespace, records: list[dict]) -> None:
    from .records import write_records

    if args.output:
        write_records(args.output, records)
        print(f"wrote {len(records)} records to {args.output}")


def _prompt(args: argparse.Namespace) -> int:
    from .models import get_spec, load_generative
    from .prompting import MAX_QUERY_TOKENS, check_prompt_fits, run

    records = _records(args)
    default_model = get_spec(args.model, "generative").embedded is not None
    for target in TASK_TARGETS[args.task]:
        if default_model and args.style == "plain" and args.strategy != "similar":
            check_prompt_fits(target, args.shots, args.strategy, args.seed)
    llm = load_generative(args.model)
    for target in TASK_TARGETS[args.task]:
        result = run(llm, target, records, k=args.shots, strategy=args.strategy, seed=args.seed,
                     style=args.style)
        summary = result.summary()
        print(f"{target}: {args.shots}-shot, {summary['prompt_tokens']:.0f} prompt tokens/query, "
              f"median latency {1000 * summary['latency_median_s']:.0f} ms, "
              f"{summary['cpu_s_per_1000']:.0f} CPU-s per 1,000 predictions")
        if result.truncated:
            print(f"{target}: {result.truncated} record(s) longer than the model reads were "
                  f"cut to {MAX_QUERY_TOKENS} tokens (or what fits the context)")
        _attach(records, target, result.predictions(calibrated=args.calibrate), result.labels)
    _write(args, records)
    return 0


def _finetune(args: argparse.Namespace) -> int:
    from . import finetuning as F

    records = _records(args)  # read first: bad input fails before any training
    for target in TASK_TARGETS[args.task]:
        result = F.finetune(target, train_size=args.train_size or None, epochs=args.epochs,
                            seed=args.seed, method=args.method, progress=not args.quiet)
        if target == "urgent" and args.min_recall:
            from .data import load

            F.tune_threshold(result, load("tickets", "validation"), args.min_recall)
        last = result.history[-1]
        print(f"{target}: trained on {result.train_size} examples, {args.epochs} epochs in "
              f"{result.train_seconds:.1f} s (+{result.eval_seconds:.1f} s validation); "
              f"validation accuracy {last['val_accuracy']:.3f}")
        texts = [r["text"] for r in records]
        _attach(records, target, F.predict(result, texts), result.labels)
        long = F.count_truncated(result.tokenizer, texts)
        if long:
            print(f"{target}: {long} record(s) longer than {F.MAX_LENGTH} tokens were read up "
                  "to that length")
        if args.save:
            folder = F.save(result, f"{args.save}/{target}")
            print(f"saved to {folder}")
    _write(args, records)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from . import compare as C
    from .files import check_writable
    from .metrics import Prices

    prices = Prices(usd_per_cpu_hour=args.usd_per_cpu_hour,
                    usd_per_million_input_tokens=args.usd_per_million_tokens,
                    usd_per_label=args.usd_per_label)
    out = check_writable(args.out, "--out", folder=True)
    shots = None
    if args.shots is not None:
        shots = {target: args.shots for target in C.TASK_SETS[args.task]}
    settings = C.Settings(n_test=args.n_test, n_validation=args.n_validation, shots=shots,
                          train_size=args.train_size, urgent_train_size=args.urgent_train_size,
                          epochs=args.epochs, seed=args.seed)
    result = C.run_task(args.task, settings, curve=not args.no_curve)
    sides, curve = result["sides"], result["curve"]
    for target, choice in result["choices"].items():
        how = "fixed by --shots" if shots else f"validation macro-F1 {choice.validation_macro_f1:.3f}"
        print(f"prompt for {target}: k={choice.k}, calibrated={choice.calibrated} ({how})")
    print(C.table(sides, prices).round(3).T.to_string())
    for path in C.write_report(args.task, sides, curve, out, prices, args.queries_per_day):
        print(f"wrote {path}")
    return 0


def _add_io(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", choices=sorted(TASK_TARGETS), required=True)
    parser.add_argument("--input", help="JSON Lines, one object with a 'text' field per line "
                        "(default: the bundled test split)")
    parser.add_argument("--output", help="write the records with their predictions here")
    parser.add_argument("--limit", type=_whole(1), default=None,
                        help="use only the first N test rows (without --input)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tune-or-prompt", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    quiz = sub.add_parser("quiz", help="work with the question bank")
    quiz_sub = quiz.add_subparsers(dest="quiz_command", required=True)
    check = quiz_sub.add_parser("check", help="validate bank files; exit 1 and list every problem")
    check.add_argument("paths", nargs="*", help="bank files or folders (default: quizzes/bank)")
    check.set_defaults(func=_quiz_check)
    models = sub.add_parser("models", help="list the course's models and whether they are installed")
    models.set_defaults(func=_models)
    prompt = sub.add_parser("prompt", help="classify with a k-shot prompt to the generative model")
    _add_io(prompt)
    prompt.add_argument("--shots", type=_whole(0), default=4,
                        help="demonstrations in the prompt (k); checked against the context")
    prompt.add_argument("--strategy", choices=["balanced", "random", "similar"],
                        default="balanced")
    prompt.add_argument("--style", choices=["plain", "chat"], default="plain")
    prompt.add_argument("--calibrate", action="store_true", help="contextual calibration")
    prompt.add_argument("--seed", type=_whole(0), default=0)
    prompt.add_argument("--model", help="generative model name (see `tune-or-prompt models`)")
    prompt.set_defaults(func=_prompt)
    finetune = sub.add_parser("finetune", help="fine-tune the encoder and classify")
    _add_io(finetune)
    finetune.add_argument("--train-size", type=_whole(0, " (0 = the whole train split)"),
                          default=200,
                          help="class-balanced training examples (0 = the whole train split)")
    finetune.add_argument("--epochs", type=_whole(1), default=4)
    finetune.add_argument("--seed", type=_whole(0), default=0)
    finetune.add_argument("--method", choices=["full", "lora"], default="full")
    finetune.add_argument("--min-recall", type=_number(0, 1), default=0.0,
                          help="tickets: tune the urgent threshold on validation to this recall")
    finetune.add_argument("--save", help="save the fine-tuned model(s) in this folder")
    finetune.add_argument("--quiet", action="store_true", help="no progress bar")
    finetune.set_defaults(func=_finetune)
    compare = sub.add_parser("compare", help="prompting vs fine-tuning on the same test rows: "
                             "table (CSV, Markdown) and figures (PNG)")
    compare.add_argument("--task", choices=sorted(TASK_TARGETS), required=True)
    compare.add_argument("--out", default="compare-out", help="folder for the table and figures")
    compare.add_argument("--n-test", type=_whole(2), default=80,
                         help="test rows both approaches answer")
    compare.add_argument("--shots", type=_whole(0), help="fix the demonstrations per prompt "
                         "(default: choose k and calibration on validation rows)")
    compare.add_argument("--n-validation", type=_whole(2), default=32,
                         help="validation rows for choosing the prompt and the crossover curve")
    compare.add_argument("--train-size", type=_whole(2), default=200)
    compare.add_argument("--urgent-train-size", type=_whole(2), default=96,
                         help="tickets: examples for the urgent classifier (class-weighted)")
    compare.add_argument("--epochs", type=_whole(1), default=4)
    compare.add_argument("--seed", type=_whole(0), default=0)
    compare.add_argument("--no-curve", action="store_true", help="skip the crossover curve")
    compare.add_argument("--queries-per-day", type=_number(1e-9), default=1000)
    compare.add_argument("--usd-per-cpu-hour", type=_number(0), default=0.045)
    compare.add_argument("--usd-per-million-tokens", type=_number(0), default=0.15,
                         help="a hosted model's input-token price")
    compare.add_argument("--usd-per-label", type=_number(0), default=0.25)
    compare.set_defaults(func=_compare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError, RuntimeError, KeyError) as error:
        # Everything a user can cause (bad input, options, paths, models) ends here: one line.
        message = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
        print(f"tune-or-prompt: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tune-or-prompt: interrupted; no output file was changed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
