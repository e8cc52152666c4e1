"""Explain it back: prompts to explain a course idea in your own words, each with a model answer
and a checklist of points to grade yourself against.

The prompts live in ``study/explain-it-back.yaml``. It is read like the question bank: with the
bank's restricted YAML loader (no anchors, aliases or tags, no duplicate keys, bounded size), and
every mistake is reported with the file, the prompt's id and the field (`check_file`;
``tune-or-prompt quiz check`` runs it too). Loading a file with problems raises `ExplainError`
listing all of them.

A prompt in the file::

    prompts:
      - id: few-shot                       # kebab-case, unique in the file
        lesson: prompting                  # the lesson it comes from (a course.LESSONS slug)
        title: Few-shot prompting          # short: a heading
        prompt: Explain to a colleague ... # Markdown
        model_answer: |                    # Markdown
          ...
        checklist:                         # 2 to 8 points a good explanation makes
          - ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tune_or_prompt.course.pages import BY_SLUG
from tune_or_prompt.course.quiz.schema import _read_yaml, short

FILE_NAME = "explain-it-back.yaml"
ID = re.compile(r"\A[a-z0-9]+(-[a-z0-9]+)*\Z")
FIELDS = {"id", "lesson", "title", "prompt", "model_answer", "checklist"}
CHECKLIST_SIZE = (2, 8)


@dataclass(frozen=True)
class ExplainPrompt:
    """One validated prompt."""

    id: str
    lesson: str
    title: str
    prompt: str
    model_answer: str
    checklist: tuple[str, ...]


class ExplainError(ValueError):
    """The explain-it-back file has problems; ``problems`` lists every one, each naming the
    file, the prompt and the field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The explain-it-back prompts have {len(problems)} problem(s):\n{lines}")


def explain_path() -> Path:
    """study/explain-it-back.yaml of the course folder: upwards from the working directory, else
    from this package (an editable install inside the course repository)."""
    for origin in (Path.cwd(), Path(__file__).resolve()):
        for folder in [origin, *origin.parents]:
            if (folder / "study" / FILE_NAME).is_file():
                return folder / "study" / FILE_NAME
    raise FileNotFoundError(f"Cannot find study/{FILE_NAME}: run from inside the course folder.")


def check_file(path: Path) -> tuple[list[ExplainPrompt], list[str]]:
    """The prompts of ``path`` and every problem found (never raises for any content)."""
    name = str(path)
    data, problem = _read_yaml(path)
    if problem is not None:
        return [], [f"{name}: {problem}"]
    if not isinstance(data, dict):
        found = "it is empty" if data is None else f"not {short(data)}"
        return [], [f"{name}: must be a mapping with 'prompts', {found}"]
    problems = [f"{name}: field {short(k)}: is not a top-level field (use prompts)"
                for k in data if k != "prompts"]
    raw = data.get("prompts")
    if not isinstance(raw, list) or not raw:
        found = "it is missing" if raw is None else f"not {short(raw)}"
        return [], [*problems, f"{name}: field 'prompts': must be a non-empty list, {found}"]
    prompts: list[ExplainPrompt] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"{name}: prompt #{index + 1}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping of fields, not {short(entry)}")
            continue
        pid = entry.get("id")
        if isinstance(pid, str) and ID.match(pid):
            where = f"{name}: prompt {pid!r}"
            if pid in seen:
                problems.append(f"{where}: field 'id': is used twice")
            seen.add(pid)
        else:
            problems.append(f"{where}: field 'id': must be kebab-case text like 'few-shot', "
                            f"not {short(pid)}")
        before = len(problems)
        for key in sorted(str(k) for k in entry if k not in FIELDS):
            problems.append(f"{where}: field {short(key)}: is not a field of a prompt (typo?)")
        texts: dict[str, str] = {}
        for key in ("lesson", "title", "prompt", "model_answer"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{where}: field {key!r}: "
                                + ("is missing" if value is None
                                   else f"must be non-empty text, not {short(value)}"))
            else:
                texts[key] = value.strip()
        if "lesson" in texts and texts["lesson"] not in BY_SLUG:
            problems.append(f"{where}: field 'lesson': must be one of the course's lessons "
                            f"({', '.join(BY_SLUG)}), not {short(texts['lesson'])}")
        checklist = entry.get("checklist")
        low, high = CHECKLIST_SIZE
        if not isinstance(checklist, list) or not low <= len(checklist) <= high:
            found = "it is missing" if checklist is None else f"not {short(checklist)}"
            problems.append(f"{where}: field 'checklist': must be a list of {low} to {high} "
                            f"points, {found}")
            checklist = []
        points = []
        for i, point in enumerate(checklist):
            if isinstance(point, str) and point.strip():
                points.append(point.strip())
            else:
                problems.append(f"{where}: field 'checklist[{i + 1}]': must be non-empty text, "
                                f"not {short(point)}")
        if len(problems) == before and isinstance(pid, str):
            prompts.append(ExplainPrompt(pid, texts["lesson"], texts["title"], texts["prompt"],
                                         texts["model_answer"], tuple(points)))
    return prompts, problems


def load_prompts(path: Path | None = None) -> list[ExplainPrompt]:
    """The prompts, validated; raises `ExplainError` listing every problem."""
    prompts, problems = check_file(path or explain_path())
    if problems:
        raise ExplainError(problems)
    return prompts


def payload(p: ExplainPrompt) -> dict[str, Any]:
    """What the browser view shows, Markdown rendered safely (raw HTML is escaped)."""
    from tune_or_prompt.course.quiz.render import md_block, md_inline

    return {"id": p.id, "lesson": p.lesson, "title": p.title, "prompt": md_block(p.prompt),
            "answer": md_block(p.model_answer), "checklist": [md_inline(c) for c in p.checklist]}
