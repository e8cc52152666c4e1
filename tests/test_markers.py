"""The tiers hold: a test that loads or trains a model, builds the site or drives a browser is
marked so (`book`, `browser`, `models`, `slow`), and `make check` (the tests marked none of
these) never pays for one. Read from the test files' syntax, so it fails before anything runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import FIXTURE_MARKERS

TESTS = Path(__file__).parent
TIERS = {"book", "browser", "models", "slow"}
# Calls that load or train a model, start a model server or build the site.
HEAVY_CALLS = {"load_generative", "load_encoder", "finetune", "lora_llm", "head_to_head",
               "run_task", "study", "sweep", "run_prompting", "run_finetuning",
               "run_embeddings", "crossover", "head_only_curve"}
HEAVY_ATTRIBUTES = {("api", "serve")}
# Modules deliberately left unmarked: everything in them is quick (no model, site or browser).
UNMARKED = {
    "test_bank_properties", "test_compat_pins", "test_costs", "test_data", "test_decide",
    "test_markers", "test_notebooks", "test_numbers", "test_originality", "test_quiz_bank",
    "test_quiz_grading", "test_quiz_views", "test_records", "test_site_theme", "test_structure",
    "test_api_reasoning", "test_decide_properties", "test_book_cache",
    "test_study",
    "test_study_modes", "test_lesson_case_study", "test_lesson_choosing",
    "test_lesson_measuring", "test_lesson_today", "test_api_replies", "test_bank_urls",
    "test_data_checks", "test_outputs_safe", "test_prices", "test_current_claims",
    "test_number_input",
}


def _marks(decorators: list[ast.expr]) -> set[str]:
    """The tier markers among ``@pytest.mark.X`` decorators (and pytestmark values)."""
    found = set()
    for node in decorators:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and sub.attr in TIERS:
                found.add(sub.attr)
    return found


def _module_marks(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            return _marks([node.value])
    return set()


def _heavy_calls(func: ast.AST, lines: list[str]) -> set[str]:
    """Heavy calls in a function, except on a line that says why it is quick (``# quick:``,
    for example a call that is refused before anything loads)."""
    found = set()
    for node in ast.walk(func):
        if not isinstance(node, ast.Call) or "# quick:" in lines[node.lineno - 1]:
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in HEAVY_CALLS:
            found.add(f.id)
        elif isinstance(f, ast.Attribute):
            if f.attr in HEAVY_CALLS:
                found.add(f.attr)
            if isinstance(f.value, ast.Name) and (f.value.id, f.attr) in HEAVY_ATTRIBUTES:
                found.add(f"{f.value.id}.{f.attr}")
    return found


def unmarked_heavy_tests(source: str) -> list[str]:
    """Test functions and fixtures that make a heavy call while their module and they carry no
    tier marker. (A fixture's marks come from the tests that use it; a heavy fixture in a
    module without a module-level marker is reported.)"""
    tree, lines = ast.parse(source), source.splitlines()
    if _module_marks(tree):
        return []
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        is_test = node.name.startswith("test_")
        is_fixture = any("fixture" in ast.unparse(d) for d in node.decorator_list)
        if (not (is_test or is_fixture) or _marks(node.decorator_list)
                or node.name in FIXTURE_MARKERS):
            continue
        heavy = _heavy_calls(node, lines)
        if heavy:
            problems.append(f"{node.name} calls {', '.join(sorted(heavy))}")
    return problems


MODULES = sorted(TESTS.glob("test_*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_module_is_marked_or_deliberately_unmarked(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef)
             and n.name.startswith("test_")]
    marked = _module_marks(tree) or any(_marks(t.decorator_list) for t in tests)
    assert marked or path.stem in UNMARKED, (
        f"{path.name} has no tier marker: mark what loads a model, builds the site or drives "
        "a browser, or add it to UNMARKED in tests/test_markers.py if all of it is quick")
    assert not (path.stem in UNMARKED and _module_marks(tree)), (
        f"{path.name} is marked as a whole and listed as UNMARKED")
    problems = unmarked_heavy_tests(source)
    assert not problems, f"{path.name}: unmarked tests load models: {problems}"


def test_unmarked_list_names_real_modules() -> None:
    assert {p.stem for p in MODULES} >= UNMARKED


def test_the_check_finds_an_unmarked_heavy_test() -> None:
    source = ("import pytest\n"
              "def test_a():\n    load_generative()\n"
              "@pytest.mark.models\ndef test_b():\n    F.finetune('intent')\n"
              "def test_c():\n    api.serve()\n"
              "def test_d():\n    assert 1\n"
              "def test_e():\n    api.serve()  # quick: refused before it starts\n")
    assert unmarked_heavy_tests(source) == ["test_a calls load_generative",
                                            "test_c calls api.serve"]
    assert unmarked_heavy_tests("import pytest\npytestmark = pytest.mark.models\n" + source) == []
