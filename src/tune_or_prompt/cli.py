"""`tune-or-prompt`: command-line entry points of the course."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tune-or-prompt", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    quiz = sub.add_parser("quiz", help="work with the question bank")
    quiz_sub = quiz.add_subparsers(dest="quiz_command", required=True)
    check = quiz_sub.add_parser("check", help="validate bank files; exit 1 and list every problem")
    check.add_argument("paths", nargs="*", help="bank files or folders (default: quizzes/bank)")
    check.set_defaults(func=_quiz_check)
    models = sub.add_parser("models", help="list the course's models and whether they are installed")
    models.set_defaults(func=_models)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"tune-or-prompt: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
