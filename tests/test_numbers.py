"""Numbers in the prose are wired to the run that made them (issue: honest numbers).

Every page's quoted names must be glued (by its own cells or the reference run); no paragraph
may type a measured number by hand; and the reference facts follow the reference run file.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from tune_or_prompt.course import numbers
from tune_or_prompt.course.pages import toc_files
from tune_or_prompt.measure import compare
from tune_or_prompt.measure.reference_facts import facts

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / f"{name}.md" for name in toc_files(ROOT)
         if (ROOT / f"{name}.md").exists()]


def prose_paragraphs(text: str) -> list[tuple[int, str, bool]]:
    """(line, paragraph, inside an exercise or solution) for every prose paragraph: code cells,
    fenced code, front matter, tables' code and directive option lines left out."""
    lines = text.splitlines()
    out, para, start = [], [], 0
    fence: list[str] = []  # open fences (``` or ````), with their directive names
    in_front = lines[:1] == ["---"]
    exercise_depth = 0

    def flush() -> None:
        nonlocal para
        if para:
            out.append((start, " ".join(para), exercise_depth > 0))
        para = []

    for i, line in enumerate(lines, 1):
        if in_front:
            in_front = not (i > 1 and line == "---")
            continue
        m = re.match(r"^(`{3,}|:{3,})\s*(\{[^}]+\})?", line)
        if m:
            flush()
            ticks, directive = m.group(1), m.group(2) or ""
            if fence and ticks == fence[-1].split()[0] and not directive:
                closed = fence.pop()
                if "exercise" in closed or "solution" in closed:
                    exercise_depth -= 1
            else:
                fence.append(f"{ticks} {directive}")
                if "exercise" in directive or "solution" in directive:
                    exercise_depth += 1
            continue
        code = any(("code-cell" in f or f.split()[-1] == f.split()[0]) for f in fence
                   if not re.search(r"\{(exercise|solution|admonition|note|tip|important|"
                                    r"warning|figure|glossary|dropdown|div|card|tab)", f))
        if code or line.startswith(":") or line.startswith("%"):
            continue
        if not line.strip():
            flush()
            continue
        if not para:
            start = i
        para.append(line.strip())
    flush()
    return out


# A measured-looking number: a decimal such as 0.79, or a time in ms or seconds.
MEASURED = re.compile(r"(?<![\w.\-/])(0\.\d+|\d[\d,]*(\.\d+)?\s?(ms|s)\b)(?!\w|\.\d)")
# A threshold or a budget is an input, not a measurement: "≥ 0.85", "under 100 ms".
INPUT = re.compile(r"(≥|≤|<|>|at least|at most|under|above|below|over|within|target of|"
                   r"targets?|budget of|threshold of|every|each)\s*\**\\?\$?$", re.I)
TARGET_AFTER = re.compile(r"^\s*(\w+ )?(target|or (more|better|higher|less|lower))", re.I)
# Words that tell the reader a number is made up for the example, or quoted from a source.
HYPOTHETICAL = re.compile(r"\b(suppose|imagine|made-up|invented|for example|e\.g\.|say,|hypothetical|"
                          r"illustrat)\w*", re.I)
PROVENANCE = re.compile(r"\b(our runs?|we measured|the reference run|Lab \d)\b[^.]*?"
                        r"(?<![\w.])\d*\.\d+", re.I)


def typed_numbers(text: str) -> list[str]:
    """Paragraphs that type a measured-looking number without a source: no glue, no citation,
    and nothing that says the number is made up. Exercises and solutions may pose made-up
    numbers, but not claim them as ours."""
    found = []
    for line, para, in_exercise in prose_paragraphs(text):
        bare = re.sub(r"\{[a-z:]+\}`[^`]*`|`[^`]*`|\$[^$]*\$|\([^)]*\d+\.\d+[^)]*\)\s*\{cite",
                      "", para)
        if PROVENANCE.search(bare):
            found.append(f"line {line}: claims a run's number by hand: {para[:90]}")
            continue
        if in_exercise or "{cite" in para or HYPOTHETICAL.search(para):
            continue
        hits = [m.group(0) for m in MEASURED.finditer(bare)
                if not INPUT.search(bare[max(0, m.start() - 14):m.start()])
                and not TARGET_AFTER.search(bare[m.end():m.end() + 14])]
        if hits:
            found.append(f"line {line}: {', '.join(hits)} typed in: {para[:90]}")
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_quoted_number_is_glued(page: Path) -> None:
    assert numbers.page_problems(page.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_measured_number_is_typed_by_hand(page: Path) -> None:
    assert typed_numbers(page.read_text(encoding="utf-8")) == []


def test_the_checks_can_fail() -> None:
    page = ("```{code-cell} ipython3\nglue('own', 1)\n```\n\n"
            "Ours {glue:text}`own`, the run's {glue:text}`tickets_ft_acc`, a ghost "
            "{glue:text}`gone`.\n\nIn our run of Lab 2 the model scored 0.93.\n\n"
            "It took 22.8 s.\n\nSuppose it took 22.8 s.\n")
    problems = numbers.page_problems(page, {"tickets_ft_acc"})
    assert [p.split(":")[0] for p in problems] == ["tickets_ft_acc", "gone"]
    typed = typed_numbers(page)
    assert len(typed) == 2 and "claims a run's number" in typed[0] and "22.8 s" in typed[1]


def test_facts_follow_the_reference_file(tmp_path: Path) -> None:
    """Change the file and the quoted numbers change; remove a measurement and its names go,
    so a page that quotes them fails."""
    text = resources.files("tune_or_prompt.ground.data").joinpath(compare.REFERENCE_RUN).read_text(
        "utf-8")
    data = json.loads(text)
    before = facts()
    side = data["tasks"]["tickets"]["sides"]["fine-tuning"]
    side["accuracy"] = 0.123
    data["tasks"]["tickets"].pop("prompt_curves", None)
    compare.reference_run.cache_clear()
    original = compare.reference_run
    try:
        compare.reference_run = lambda: compare.load_reference(json.dumps(data))
        after = facts()
    finally:
        compare.reference_run = original
        compare.reference_run.cache_clear()
    assert after["tickets_ft_acc"] == "0.12" != before["tickets_ft_acc"]
    gone = {n for n in before if n.startswith("intent_val_k")}
    assert gone and not gone & set(after)
    page = "```{code-cell} ipython3\nglue_reference()\n```\n\n{glue:text}`intent_val_k1_acc`\n"
    assert numbers.page_problems(page, set(after))


def test_every_reference_fact_is_formatted_text() -> None:
    values = facts()
    assert values["tickets_n_test"].isdigit()
    assert all(isinstance(v, str) and v for v in values.values())
    assert re.fullmatch(r"\d\.\d\d–\d\.\d\d", values["tickets_ft_acc_ci"])
