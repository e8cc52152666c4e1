"""`tune-or-prompt`: command-line entry points of the course."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from tune_or_prompt.ground.registry import bundled

EPILOG = """Outputs: only regular files are written, each atomically (a run that fails leaves the
old file whole). A device, FIFO or folder given as an output is refused; a symlink is written
through to its regular target file (a symlink to anything else, or to a file a process has
open, such as /dev/stdout, is refused). An output that is
the same file as --input, --data or --labels is refused. --save replaces only folders that an
earlier --save made (they hold a .tune-or-prompt-owned mark). Predictions go to a 'prediction'
field, or to the first free 'prediction_N' when the input already has one."""


def _quiz_check(args: argparse.Namespace) -> int:
    """The bank (or the files and folders given) and the explain-it-back prompts: with no paths,
    both; a file named explain-it-back.yaml among the paths is checked as prompts."""
    from tune_or_prompt.course.quiz import check_paths, find_bank_dir
    from tune_or_prompt.course.study.explain import FILE_NAME, check_file, explain_path

    given = [Path(p) for p in args.paths]
    explain = [p for p in given if p.name == FILE_NAME]
    paths = [p for p in given if p.name != FILE_NAME]
    if not given:
        paths = [find_bank_dir()]
        try:
            explain = [explain_path()]
        except FileNotFoundError:
            explain = []
    questions, problems = check_paths(paths) if paths else ([], [])
    prompts = []
    messages = [str(p) for p in problems]
    for path in explain:
        found, wrong = check_file(path)
        prompts += found
        messages += wrong
    for message in messages:
        print(message, file=sys.stderr)
    if messages:
        where = ", ".join(map(str, paths + explain))
        print(f"{len(messages)} problem(s) found in {where}.", file=sys.stderr)
        return 1
    if paths:
        by_lesson: dict[str, int] = {}
        for q in questions:
            by_lesson[q.lesson] = by_lesson.get(q.lesson, 0) + 1
        summary = ", ".join(f"{lesson}: {n}" for lesson, n in by_lesson.items())
        print(f"OK: {len(questions)} questions ({summary}).")
    if explain:
        print(f"OK: {len(prompts)} explain-it-back prompts ({', '.join(map(str, explain))}).")
    return 0


def _models(args: argparse.Namespace) -> int:
    from tune_or_prompt.ground.models import list_models, model_source, status

    print(f"Model source: {model_source()} (set TUNE_OR_PROMPT_MODELS=hub to use the Hub)")
    for spec in list_models():
        state = f"embedded, {status(spec)}" if spec.embedded else status(spec)
        print(f"  {spec.role:10} {spec.name:24} {spec.parameters:>6}  {spec.hub_id}  [{state}]")
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


def _port(text: str) -> int:
    """An argparse type: a TCP port, 0 to 65535."""
    value = _whole(0)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 0 to 65535, not {value}")
    return value


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


def _dataset(args: argparse.Namespace):
    """The registered dataset the command works on, looked up once here (the `Dataset` then
    travels): a bundled one (--task) or the learner's file (--data), read, checked and split
    here, before any model loads."""
    if not args.data:
        from tune_or_prompt.ground.registry import dataset

        return dataset(args.task)
    from tune_or_prompt.ground.data import from_file, split_sizes

    found = from_file(args.data, args.text_field, args.label_field, args.labels,
                      seed=args.split_seed)
    sizes = ", ".join(f"{n} {split}" for split, n in split_sizes(found.name).items())
    print(f"dataset {found.name!r} from {found.title}: labels "
          f"{', '.join(found.specs()[0].labels)} (compared as text, spaces around them "
          f"dropped); {sizes}")
    return found


def _prediction_field(ds, target_name: str) -> str:
    """The output field of a target's predictions: 'prediction' for the dataset's main target,
    'prediction_<target>' for the others (tickets: 'prediction_urgent')."""
    return "prediction" if ds.main == target_name else f"prediction_{target_name}"


def _free_fields(args: argparse.Namespace, records: list[dict]) -> dict[str, str]:
    """Per target, the field its predictions go to: the usual name, or the first free
    '<name>_2', '<name>_3', ... when the input already has it (never an input column)."""
    taken = {key for record in records for key in record}
    fields = {}
    for t in args.dataset.specs():
        base = name = _prediction_field(args.dataset, t.name)
        n = 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        if name != base:
            print(f"the input already has a {base!r} field: {t.name} predictions go to {name!r}")
        taken.add(name)
        fields[t.name] = name
    return fields


def _gold_field(record: dict, t) -> str | None:
    """Which field of the record holds its gold label for target ``t``, if any (a main target
    may also be given as 'label')."""
    from tune_or_prompt.ground.registry import dataset

    names = [t.field] + (["label"] if dataset(t.dataset).main == t.name else [])
    return next((name for name in names if name in record), None)


def _gold(record: dict, t) -> str | None:
    name = _gold_field(record, t)
    if name is None:
        return None
    return t.gold({t.field: record[name]})


def _check_gold(records: list[dict], targets: Sequence) -> None:
    """Before any model loads: every gold label present must be one the target knows."""
    from tune_or_prompt.ground.records import InputError

    for t in targets:
        for i, record in enumerate(records):
            name = _gold_field(record, t)
            if name is None:
                continue
            problem = t.check_gold(record[name])
            if problem:
                where = records.where(i) if hasattr(records, "where") else f"record {i + 1}"
                raise InputError(f"{where}: field {name!r}: "
                                 f"{json.dumps(record[name])[:40]} {problem}")


def _print_metrics(target: str, gold: list, predicted: list, labels: tuple) -> None:
    from tune_or_prompt.ground.scores import classification_report

    report = classification_report(gold, predicted, labels)
    print(f"{target}: accuracy {report['accuracy']:.3f}  macro-F1 {report['macro_f1']:.3f}  "
          f"(n={len(gold)})")
    for label, row in report["per_class"].items():
        print(f"  {label:22} precision {row['precision']:.2f}  recall {row['recall']:.2f}  "
              f"support {row['support']}")


def _attach(args: argparse.Namespace, records: list[dict], t, predictions: list[str | None],
            score: bool = True) -> None:
    """Add each prediction to its record (None: no answer, or none that names a label); print
    metrics when every record has a gold label (a missing answer counts as wrong)."""
    field_name = args.fields[t.name]
    for record, prediction in zip(records, predictions, strict=True):
        record[field_name] = prediction
    gold = [_gold(r, t) for r in records]
    if score and all(g is not None for g in gold):
        shown = [p if p is not None else "(no answer)" for p in predictions]
        _print_metrics(t.name, gold, shown, t.labels)


def _inputs(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """The files the command reads, by option: no output may be one of them."""
    return [("--input", getattr(args, "input", None)), ("--data", args.data),
            ("--labels", args.labels)]


def _partial_path(args: argparse.Namespace) -> Path:
    """Where a run cut short writes what it answered: --output itself with
    --partial-to-output, else '<name>.partial<suffix>' beside it."""
    out = Path(args.output)
    if getattr(args, "partial_to_output", False):
        return out
    return out.with_name(f"{out.stem}.partial{out.suffix}")


def _records(args: argparse.Namespace) -> list[dict]:
    """The input records, read and checked (fields and gold labels) before any model loads;
    the output and save paths are checked first (regular files, none of the inputs; a save
    folder is new or an earlier save's)."""
    from tune_or_prompt.ground.data import load
    from tune_or_prompt.ground.files import check_output, check_owned, check_writable
    from tune_or_prompt.ground.records import read_records

    if args.output:
        check_output(args.output, "--output", _inputs(args))
        if getattr(args, "base_url", None):
            check_output(_partial_path(args), "--output (its partial file)", _inputs(args))
    if getattr(args, "save", None):
        check_writable(args.save, "--save", folder=True)
    args.dataset = _dataset(args)
    if getattr(args, "save", None):
        for t in args.dataset.specs():
            check_owned(Path(args.save) / t.name, "--save")
    if args.input:
        records = read_records(args.input, required=(args.text_field,))
    else:
        records = load(args.dataset, "test")
    if args.limit and len(records) > args.limit:
        print(f"--limit {args.limit}: using the first {args.limit} of {len(records)} records")
        records = records[: args.limit]
    _check_gold(records, args.dataset.specs())
    _check_shots(args)
    args.fields = _free_fields(args, records)
    return records


def _check_shots(args: argparse.Namespace) -> None:
    """--shots against the training examples there are to show, before any model loads."""
    from tune_or_prompt.ground.data import load

    shots = getattr(args, "shots", None)
    if shots is None:
        return
    pool = len(load(args.dataset, "train"))
    if shots > pool:
        raise ValueError(f"--shots {shots}: must be between 0 and {pool} (the training "
                         "examples there are to show)")


def _rows(args: argparse.Namespace, records: list[dict]) -> list[dict]:
    """What the models read: each record with its text under 'text' and its gold label, if
    any, under the target's field."""
    rows, targets = [], args.dataset.specs()
    for record in records:
        row = {**record, "text": record[args.text_field] if args.input else record["text"]}
        for t in targets:
            name = _gold_field(record, t)
            if name is not None:
                row[t.field] = record[name]
        rows.append(row)
    return rows


def _write(args: argparse.Namespace, records: list[dict], path: str | Path | None = None) -> None:
    from tune_or_prompt.ground.records import write_records

    path = path or args.output
    if path:
        write_records(path, records)
        print(f"wrote {len(records)} records to {path}")


def _api_config(args: argparse.Namespace):
    """The endpoint of --base-url, checked (reachable, key accepted, model served) before any
    data work; the key comes from OPENAI_API_KEY only."""
    from tune_or_prompt.approaches.api import (
        MAX_COMPLETION_TOKENS,
        ApiConfig,
        check_cache,
        check_endpoint,
    )

    if not args.model:
        raise ValueError("--base-url needs --model: the name the server knows the model by "
                         "(`tune-or-prompt serve` prints it)")
    config = ApiConfig(args.base_url, args.model, timeout=args.timeout,
                       concurrency=args.concurrency, refresh=args.refresh,
                       reasoning=args.reasoning,
                       max_completion_tokens=args.max_completion_tokens
                       or MAX_COMPLETION_TOKENS)
    check_cache(config)  # answers that cannot be kept are not paid for
    check_endpoint(config)
    return config


class _Progress:
    """A progress bar on stderr (when it is a terminal) and one line per announced wait."""

    def __init__(self, label: str, quiet: bool = False):
        from tqdm.auto import tqdm

        self.tqdm = tqdm
        self.bar = tqdm(desc=label, unit="row", file=sys.stderr, disable=quiet or None,
                        leave=False)

    def update(self, done: int, total: int) -> None:
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def notice(self, line: str) -> None:
        self.tqdm.write(f"tune-or-prompt: {line}", file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


def _keep_partial(args: argparse.Namespace, records: list[dict], answered: int) -> str:
    """After a run cut short: write what was answered (to the partial file) unless nothing
    was; say where it went. The output itself is left untouched unless told otherwise."""
    if not args.output:
        return ""
    if not answered:
        return f"; nothing was answered, so {args.output} was left as it was"
    path = _partial_path(args)
    _write(args, records, path)
    return f"; the {answered} answered row(s) are in {path}"


def _prompt_api(args: argparse.Namespace) -> int:
    """The prompt sent over HTTP to any OpenAI-compatible endpoint."""
    from tune_or_prompt.approaches.api import ApiError, Interrupted, classify

    config = _api_config(args)  # the endpoint first: nothing is read if it cannot answer
    records = _records(args)
    rows = _rows(args, records)
    answered = 0
    for t in args.dataset.specs():
        progress = _Progress(t.name)
        try:
            result = classify(config, t, rows, k=args.shots, strategy=args.strategy,
                              seed=args.seed, progress=progress.update, notice=progress.notice)
        except ApiError as error:  # keep what was answered before the run stopped
            progress.close()
            if error.partial is not None:
                _attach(args, records, t, error.partial.predictions, score=False)
                answered += error.partial.answered
            where = _keep_partial(args, records, answered)
            if isinstance(error, Interrupted):
                print(f"tune-or-prompt: {error}{where}", file=sys.stderr)
                return 130
            raise ApiError(f"{error}{where}") from None
        progress.close()
        if result.answered == 0 and rows:
            last = next((e for e in reversed(result.errors) if e), "no answer")
            kept = f"; {args.output} was left as it was" if args.output else ""
            raise ApiError(f"{t.name}: none of the {len(rows)} rows was answered (last error: "
                           f"{last}){kept}")
        answered += result.answered
        summary = result.summary()
        cached = (f", {summary['cached_tokens']:.0f} of them cached by the server"
                  if summary["cached_tokens"] else "")
        if summary["reasoning_tokens"] is not None:  # billed as output, like the answer
            cached += (f", {summary['completion_tokens'] or 0:.0f} output tokens/query "
                       f"({summary['reasoning_tokens']:.0f} of them thinking)")
        print(f"{t.name}: {args.shots}-shot via {args.base_url} ({args.model}): "
              f"{summary['prompt_tokens'] or 0:.0f} prompt tokens/query{cached}, median latency "
              f"{1000 * (summary['latency_median_s'] or 0):.0f} ms; {summary['from_cache']} "
              f"answers from the cache, {summary['unparsed']} unparsed, "
              f"{summary['failed']} failed")
        _attach(args, records, t, result.predictions)
    _write(args, records)
    return 0


def _prompt(args: argparse.Namespace) -> int:
    from tune_or_prompt.approaches.prompting import MAX_QUERY_TOKENS, check_prompt_fits, run
    from tune_or_prompt.ground.models import get_spec, load_generative

    if args.base_url:
        return _prompt_api(args)
    records = _records(args)
    rows = _rows(args, records)
    targets = args.dataset.specs()
    default_model = get_spec(args.model, "generative").embedded is not None
    for t in targets:
        if default_model and args.style == "plain" and args.strategy != "similar":
            check_prompt_fits(t.name, args.shots, args.strategy, args.seed)
    llm = load_generative(args.model)
    for t in targets:
        result = run(llm, t.name, rows, k=args.shots, strategy=args.strategy, seed=args.seed,
                     style=args.style)
        summary = result.summary()
        print(f"{t.name}: {args.shots}-shot, {summary['prompt_tokens']:.0f} prompt tokens/query, "
              f"median latency {1000 * summary['latency_median_s']:.0f} ms, "
              f"{summary['cpu_s_per_1000']:.0f} CPU-s per 1,000 predictions")
        if result.truncated:
            print(f"{t.name}: {result.truncated} record(s) longer than the model reads were "
                  f"cut to {MAX_QUERY_TOKENS} tokens (or what fits the context)")
        _attach(args, records, t, result.predictions(calibrated=args.calibrate))
    _write(args, records)
    return 0


def _finetune(args: argparse.Namespace) -> int:
    from tune_or_prompt.approaches import finetuning as F
    from tune_or_prompt.ground.data import load

    records = _records(args)  # read first: bad input fails before any training
    texts = [r["text"] for r in _rows(args, records)]
    for t in args.dataset.specs():
        result = F.finetune(t.name, train_size=args.train_size or None, epochs=args.epochs,
                            seed=args.seed, method=args.method, progress=not args.quiet,
                            class_weights=t.rare is not None)
        if t.rare and args.min_recall:
            F.tune_threshold(result, load(args.dataset, "validation"), args.min_recall)
        last = result.history[-1]
        trained = "embedded once" if args.method == "head" else f"{args.epochs} epochs"
        print(f"{t.name}: trained on {result.train_size} examples ({args.method}, {trained}) in "
              f"{result.train_seconds:.1f} s (+{result.eval_seconds:.1f} s validation); "
              f"validation accuracy {last['val_accuracy']:.3f}")
        _attach(args, records, t, F.predict(result, texts))
        long = F.count_truncated(result.tokenizer, texts)
        if long:
            print(f"{t.name}: {long} record(s) longer than {F.MAX_LENGTH} tokens were read up "
                  "to that length")
        if args.save:
            folder = F.save(result, f"{args.save}/{t.name}")
            print(f"saved to {folder}")
    _write(args, records)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from tune_or_prompt.ground.files import check_writable
    from tune_or_prompt.measure import compare as C
    from tune_or_prompt.measure.costs import Prices

    prices = Prices(usd_per_cpu_hour=args.usd_per_cpu_hour,
                    usd_per_million_input_tokens=args.usd_per_million_tokens,
                    usd_per_label=args.usd_per_label)
    out = check_writable(args.out, "--out", folder=True)
    config = _api_config(args) if args.base_url else None
    ds = _dataset(args)
    shots = None
    if args.shots is not None:
        shots = {t.name: args.shots for t in ds.specs()}
    settings = C.Settings(n_test=args.n_test, n_validation=args.n_validation, shots=shots,
                          train_size=args.train_size, rare_train_size=args.rare_train_size,
                          epochs=args.epochs, seed=args.seed)
    result = C.run_task(ds, settings, curve=not args.no_curve, api_config=config)
    for target_name, choice in result.choices.items():
        how = "fixed by --shots" if shots else f"validation macro-F1 {choice.validation_macro_f1:.3f}"
        print(f"prompt for {target_name}: k={choice.k}, calibrated={choice.calibrated} ({how})")
    print(C.table(result.sides, prices).round(3).T.to_string())
    for path in C.write_report(result, out, prices, args.queries_per_day):
        print(f"wrote {path}")
    return 0


def _add_api(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="prompt this OpenAI-compatible endpoint instead of "
                        "the local model (e.g. https://api.openai.com/v1, or what `tune-or-prompt "
                        "serve` prints); the key is read from OPENAI_API_KEY")
    parser.add_argument("--concurrency", type=_whole(1), default=4,
                        help="with --base-url: requests in flight at once")
    parser.add_argument("--timeout", type=_number(0.1, 3600), default=60.0,
                        help="with --base-url: seconds one answer may take in all, every retry "
                        "and wait (rate limits, server errors) included; then its row counts "
                        "as unanswered")
    parser.add_argument("--refresh", action="store_true",
                        help="with --base-url: ask again even where the answer cache "
                        "(TUNE_OR_PROMPT_CACHE) holds an answer, and replace it")
    parser.add_argument("--reasoning", action="store_true",
                        help="with --base-url: the model is a reasoning model (OpenAI's o-series "
                        "or GPT-5 family...): ask with max_completion_tokens and its own "
                        "temperature from the first request (without this, learned from the "
                        "server's first refusal)")
    parser.add_argument("--max-completion-tokens", type=_whole(1), default=None,
                        help="with --base-url: the most tokens a reasoning model may generate "
                        "per answer, its thinking included (default: "
                        "tune_or_prompt.api.MAX_COMPLETION_TOKENS)")


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP end `serve` as Ctrl+C does: the server it started is stopped."""
    import signal

    def stop(number: int, frame: object) -> None:
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


def _serve(args: argparse.Namespace) -> int:
    import time

    from tune_or_prompt.approaches.api import check_port, serve

    check_port(args.port)  # before anything starts
    _stop_on_signals()
    print("starting Transformers' OpenAI-compatible server on 127.0.0.1 (about 20 s) ...",
          flush=True)
    with serve(port=args.port) as server:
        print(f"base URL: {server.base_url}\nmodel:    {server.model}\n"
              f"try: tune-or-prompt prompt --task reviews --base-url {server.base_url} "
              f"--model {server.model} --shots 2 --limit 8\n"
              "Press Ctrl+C to stop.", flush=True)
        while server.running:
            time.sleep(1)
    return 0


def _add_data(parser: argparse.ArgumentParser) -> None:
    """--task (a bundled dataset) or --data (yours), and the field names."""
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--task", choices=bundled(), help="a bundled dataset")
    which.add_argument("--data", metavar="FILE",
                       help="your labelled data: JSON Lines or CSV (.csv), one example per "
                       "line; an optional 'split' field (train/validation/test) is respected, "
                       "otherwise a stratified 60/20/20 split is made")
    parser.add_argument("--text-field", default="text", help="the field holding the text "
                        "(in --data and --input; default: text)")
    parser.add_argument("--label-field", default="label",
                        help="with --data: the field holding the label (default: label)")
    parser.add_argument("--labels", metavar="FILE", help="with --data: YAML or JSON mapping "
                        "each label to a one-line rule, shown in prompts")
    parser.add_argument("--split-seed", type=_whole(0), default=0,
                        help="with --data and no split field: the seed of the split")


def _add_io(parser: argparse.ArgumentParser) -> None:
    _add_data(parser)
    parser.add_argument("--input", help="records to classify: JSON Lines or CSV with the text "
                        "field (default: the test split of the dataset)")
    parser.add_argument("--output", help="write the records with their predictions here (a "
                        "regular file, not one of the inputs; a symlink is written through)")
    parser.add_argument("--limit", type=_whole(1), default=None,
                        help="use only the first N records (of --input, or of the test split)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tune-or-prompt", description=__doc__, epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", required=True)
    quiz = sub.add_parser("quiz", help="work with the question bank")
    quiz_sub = quiz.add_subparsers(dest="quiz_command", required=True)
    check = quiz_sub.add_parser("check", help="validate bank files and the explain-it-back "
                                "prompts; exit 1 and list every problem")
    check.add_argument("paths", nargs="*", help="bank files or folders, or an explain-it-back.yaml "
                       "(default: quizzes/bank and study/explain-it-back.yaml)")
    check.set_defaults(func=_quiz_check)
    models = sub.add_parser("models", help="list the course's models and whether they are installed")
    models.set_defaults(func=_models)
    prompt = sub.add_parser("prompt", help="classify with a k-shot prompt to the generative model")
    prompt.epilog = EPILOG
    _add_io(prompt)
    prompt.add_argument("--shots", type=_whole(0), default=4,
                        help="demonstrations in the prompt (k); checked against the context")
    prompt.add_argument("--strategy", choices=["balanced", "random", "similar"],
                        default="balanced")
    prompt.add_argument("--style", choices=["plain", "chat"], default="plain")
    prompt.add_argument("--calibrate", action="store_true", help="contextual calibration")
    prompt.add_argument("--seed", type=_whole(0), default=0)
    prompt.add_argument("--model", help="the generative model: a name from `tune-or-prompt "
                        "models`, or with --base-url the model the server serves")
    _add_api(prompt)
    prompt.add_argument("--partial-to-output", action="store_true",
                        help="with --base-url: a run cut short writes what was answered to "
                        "--output itself (default: to <output>.partial<suffix> beside it; a run "
                        "that answered nothing writes nothing)")
    prompt.set_defaults(func=_prompt)
    serve = sub.add_parser("serve", help="serve the embedded SmolLM2 on 127.0.0.1 as an "
                           "OpenAI-compatible API (Transformers' own server), to practise the "
                           "API path offline")
    serve.add_argument("--port", type=_port, default=8000,
                       help="0 picks a free port; a port in use is refused, naming what holds it")
    serve.set_defaults(func=_serve)
    finetune = sub.add_parser("finetune", help="fine-tune the encoder and classify")
    finetune.epilog = EPILOG
    _add_io(finetune)
    finetune.add_argument("--train-size", type=_whole(0, " (0 = the whole train split)"),
                          default=200,
                          help="class-balanced training examples (0 = the whole train split)")
    finetune.add_argument("--epochs", type=_whole(1), default=4)
    finetune.add_argument("--seed", type=_whole(0), default=0)
    finetune.add_argument("--method", choices=["full", "lora", "head"], default="full",
                          help="full: every weight trains; lora: small adapters; head: "
                          "embeddings + a classifier (the encoder stays frozen)")
    finetune.add_argument("--min-recall", type=_number(0, 1), default=0.0,
                          help="a target with a rare class (tickets: urgent): tune its threshold "
                          "on validation to reach this recall")
    finetune.add_argument("--save", help="save the fine-tuned model(s) in this folder, one "
                          "subfolder per target; a subfolder that an earlier --save did not "
                          "make is refused, never replaced")
    finetune.add_argument("--quiet", action="store_true", help="no progress bar")
    finetune.set_defaults(func=_finetune)
    compare = sub.add_parser("compare", help="prompting, fine-tuning and embeddings + a "
                             "classifier on the same test rows: table (CSV, Markdown) and "
                             "figures (PNG)")
    _add_data(compare)
    compare.add_argument("--out", default="compare-out", help="folder for the table and figures")
    compare.add_argument("--n-test", type=_whole(2), default=80,
                         help="test rows both approaches answer")
    compare.add_argument("--shots", type=_whole(0), help="fix the demonstrations per prompt "
                         "(default: choose k and calibration on validation rows)")
    compare.add_argument("--n-validation", type=_whole(2), default=32,
                         help="validation rows for choosing the prompt and the crossover curve")
    compare.add_argument("--train-size", type=_whole(2), default=200)
    compare.add_argument("--rare-train-size", "--urgent-train-size", type=_whole(2), default=96,
                         help="examples for a target with a rare class, such as urgent "
                         "(class-weighted)")
    compare.add_argument("--epochs", type=_whole(1), default=4)
    compare.add_argument("--seed", type=_whole(0), default=0)
    compare.add_argument("--no-curve", action="store_true", help="skip the crossover curve")
    compare.add_argument("--queries-per-day", type=_number(1e-9), default=1000)
    compare.add_argument("--usd-per-cpu-hour", type=_number(0), default=0.045)
    compare.add_argument("--usd-per-million-tokens", type=_number(0), default=0.15,
                         help="a hosted model's input-token price")
    compare.add_argument("--usd-per-label", type=_number(0), default=0.25)
    compare.add_argument("--model", help="with --base-url: the model the server serves")
    _add_api(compare)
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
