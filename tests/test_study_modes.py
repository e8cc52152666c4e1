"""The three study modes of issue #16 from Python: worked examples (faded), explain it back and
the quick path; and their rows on My progress."""

from __future__ import annotations

import math
import posixpath
import re
from pathlib import Path

import pytest
from cli_runner import in_process

from tune_or_prompt.course.lessons.measuring import worked_metrics
from tune_or_prompt.course.quiz import load_bank
from tune_or_prompt.course.study import (
    EXPLAIN_KEY,
    QUICK_QUESTIONS,
    WORKED_KEY,
    WORKED_SEED,
    explain_it_back,
    faded_steps,
    quick_path,
    study_progress,
    worked_examples,
)
from tune_or_prompt.course.study.explain import ExplainError, check_file, load_prompts
from tune_or_prompt.course.study.worked import KINDS, max_demonstrations, problems
from tune_or_prompt.measure import costs

ROOT = Path(__file__).resolve().parents[1]


# --- Worked examples ----------------------------------------------------------------------------

def expected_answers(problem) -> list[float]:
    """Each step's answer, recomputed here from the problem's numbers with the package's own
    functions (for the metrics, the lesson's worked_metrics: scikit-learn and by hand)."""
    x = problem.inputs
    if problem.kind == "metrics":
        rows = {r["metric"]: r for r in worked_metrics(x["tp"], x["fn"], x["fp"], x["tn"])}
        for row in rows.values():
            assert row["by hand"] == pytest.approx(row["scikit-learn"])
        return [rows[m]["scikit-learn"] for m in ("precision (yes)", "recall (yes)", "F1 (yes)")]
    if problem.kind == "break-even":
        prices = costs.Prices(usd_per_label=x["usd_per_label"])
        prompt = costs.CostModel("p", costs.labelling_usd(x["n_prompt"], prices),
                                 x["prompt_per_1000"] / 1000)
        tuned = costs.CostModel("t", costs.labelling_usd(x["n_finetune"], prices)
                                + x["training_usd"], x["tuned_per_1000"] / 1000)
        return [tuned.setup_usd - prompt.setup_usd, prompt.usd_per_1000() - tuned.usd_per_1000(),
                costs.break_even(tuned, prompt)]
    size = costs.PromptSize(x["header"], x["per_demo"], x["query"])
    return [size.tokens(x["k"]),
            costs.token_cost_per_1000(size.tokens(x["k"]), x["output_tokens"],
                                      costs.PRICES, x["model"], reasoning_tokens=0),
            max_demonstrations(size, x["context"], x["output_tokens"])]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [WORKED_SEED, 1, 99])
def test_worked_answers_are_the_package_functions_results(kind, seed):
    for problem in problems(kind, seed):
        got = [step.answer for step in problem.steps]
        assert got == pytest.approx(expected_answers(problem), rel=1e-12), problem.id
        assert all(math.isfinite(a) and a > 0 for a in got), problem.id


def test_the_budget_step_is_the_most_demonstrations_that_fit():
    for seed in range(20):
        for problem in problems("budget", seed):
            x = problem.inputs
            size = costs.PromptSize(x["header"], x["per_demo"], x["query"])
            most = int(problem.steps[2].answer)
            assert size.tokens(most) + x["output_tokens"] <= x["context"]
            assert size.tokens(most + 1) + x["output_tokens"] > x["context"]
            assert x["k"] <= most  # the problem's own prompt fits


@pytest.mark.parametrize("kind", KINDS)
def test_each_problem_hides_exactly_one_more_step(kind):
    ps = problems(kind, WORKED_SEED)
    n = len(ps[0].steps)
    assert len(ps) == n + 1
    assert ps[0].hidden_steps == ()  # the first is fully worked
    for before, after in zip(ps, ps[1:], strict=False):
        assert set(before.hidden_steps) < set(after.hidden_steps)
        assert len(after.hidden_steps) == len(before.hidden_steps) + 1
    assert ps[-1].hidden_steps == tuple(range(n))  # the last: every step is yours
    # The page shows worked steps with their answer, and asks the hidden ones without it.
    for problem, item in zip(ps, worked_examples(kind).config()["problems"], strict=True):
        for i, step in enumerate(item["steps"]):
            if i in problem.hidden_steps:
                assert "question" in step and "working" not in step and "answer" not in step
                assert step["question"]["key"]["answer"] == problem.steps[i].answer
            else:
                assert "question" not in step and step["answer"] == problem.steps[i].shown()
        if 0 not in problem.hidden_steps:  # a worked step is shown, not graded
            with pytest.raises(ValueError, match="is worked, not asked"):
                problem.grade(0, problem.steps[0].answer)


@pytest.mark.parametrize("kind", KINDS)
def test_seeds_reproduce_the_problems(kind):
    again = problems(kind, 7)
    assert problems(kind, 7) == again
    assert [p.inputs for p in problems(kind, 7)] == [p.inputs for p in again]
    assert [p.inputs for p in problems(kind, 8)] != [p.inputs for p in again]
    assert worked_examples(kind, 7).config() == worked_examples(kind, 7).config()
    with pytest.raises(ValueError, match="unknown kind"):
        problems("nonsense", 7)


def test_the_page_uses_the_seed_my_progress_counts():
    page = (ROOT / "study/worked-examples.md").read_text()
    calls = re.findall(r'worked_examples\("([a-z-]+)", seed=(\d+)\)', page)
    assert sorted(kind for kind, _ in calls) == sorted(KINDS)
    assert {int(seed) for _, seed in calls} == {WORKED_SEED}
    assert faded_steps() == sum(p.hidden for kind in KINDS for p in problems(kind, WORKED_SEED))


def test_near_misses_get_their_own_feedback():
    # a problem with every step asked, whose P and R are far enough apart for each slip to show
    metrics = next(p for seed in range(50) for p in problems("metrics", seed)[-1:]
                   if abs(p.steps[0].answer - p.steps[1].answer) > 0.1)
    precision, recall = metrics.steps[0].answer, metrics.steps[1].answer
    assert "That is the recall" in metrics.grade(0, f"{recall:.3f}").message
    assert "That is the precision" in metrics.grade(1, f"{precision:.3f}").message
    assert "plain average" in metrics.grade(2, f"{(precision + recall) / 2:.4f}").message
    budget = problems("budget", WORKED_SEED)[-1]
    tokens = budget.steps[0].answer
    assert budget.grade(0, f"{int(tokens):,}").correct  # "1,161" is typed as people write it
    assert budget.grade(0, str(int(tokens))).correct
    assert not budget.grade(0, str(int(tokens) + 1)).correct  # a count must be exact


def test_the_widget_grades_a_wrong_then_a_right_step():
    w = worked_examples("break-even")
    ui = w.widget()
    problem = w.problems[1]
    (step,) = problem.hidden_steps
    answer = problem.steps[step].answer
    wrong = ui.answer(1, step, answer * 2)
    assert wrong.answered and not wrong.correct
    assert "Not yet" in ui.feedback[(1, step)].value
    assert "Steps right: 0 of 6" in ui.score.value
    empty = ui.answer(1, step, "lots")  # not a number: not counted, asked again
    assert not empty.answered and "Enter a number" in ui.feedback[(1, step)].value
    right = ui.answer(1, step, round(answer))
    assert right.correct and "Right" in ui.feedback[(1, step)].value
    assert "Steps right: 1 of 6" in ui.score.value
    assert problem.steps[step].formula.split()[0] in ui.feedback[(1, step)].value


# --- Explain it back ---------------------------------------------------------------------------

def test_the_explain_prompts_validate_and_cover_the_lessons():
    prompts = load_prompts()
    assert 8 <= len(prompts) <= 10
    assert len({p.id for p in prompts}) == len(prompts)
    wanted = {"few-shot", "lora", "calibration", "test-once", "intervals-ties", "break-even",
              "retrieval-facts", "label-noise"}
    assert wanted <= {p.id for p in prompts}
    assert all(2 <= len(p.checklist) <= 8 for p in prompts)
    cfg = explain_it_back().config()
    assert cfg["storageKey"] == EXPLAIN_KEY and len(cfg["prompts"]) == len(prompts)
    assert all("<script" not in p["answer"] for p in cfg["prompts"])


GOOD = """prompts:
  - id: one
    lesson: prompting
    title: One
    prompt: Explain it.
    model_answer: It is so.
    checklist: [a, b]
"""


@pytest.mark.parametrize("text, message", [
    (GOOD.replace("lesson: prompting", "lesson: cooking"),
     "prompt 'one': field 'lesson': must be one of the course's lessons"),
    (GOOD.replace("    checklist: [a, b]\n", ""), "prompt 'one': field 'checklist': must be a list"),
    (GOOD.replace("checklist: [a, b]", "checklist: [a]"), "must be a list of 2 to 8 points"),
    (GOOD.replace("    title: One\n", ""), "prompt 'one': field 'title': is missing"),
    (GOOD.replace("id: one", "id: One Two"), "prompt #1: field 'id': must be kebab-case"),
    (GOOD + GOOD.split("\n", 1)[1], "prompt 'one': field 'id': is used twice"),
    (GOOD.replace("prompt: Explain it.", "prompt: Explain it.\n    answer: typo"),
     "prompt 'one': field 'answer': is not a field of a prompt"),
    (GOOD.replace("checklist: [a, b]", "checklist:\n      - a\n      - Break-even: gap"),
     "prompt 'one': field 'checklist[2]': must be non-empty text"),  # an unquoted colon
    (GOOD.replace("title: One", "title: [One"), "is not valid YAML (line"),
    ("prompts: &x [1]\n", "anchors and aliases are not allowed"),
    ("", "must be a mapping with 'prompts', it is empty"),
])
def test_a_malformed_explain_file_is_refused_naming_file_prompt_and_field(tmp_path, text,
                                                                          message):
    path = tmp_path / "explain-it-back.yaml"
    path.write_text(text)
    assert check_file(tmp_path / "missing.yaml")[1]  # even an absent file is a problem, not a crash
    with pytest.raises(ExplainError) as error:
        load_prompts(path)
    assert message in str(error.value) and str(path) in str(error.value)
    assert load_prompts(_write(tmp_path / "good.yaml", GOOD))[0].checklist == ("a", "b")


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_quiz_check_checks_the_explain_prompts_too(tmp_path):
    ok = in_process("quiz", "check", cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: ")  # the bank's line comes first, as before
    assert f"OK: {len(load_prompts())} explain-it-back prompts" in ok.stdout
    bad = _write(tmp_path / "explain-it-back.yaml", GOOD.replace("title: One", "title: ''"))
    fail = in_process("quiz", "check", str(bad))
    assert fail.returncode == 1 and "Traceback" not in fail.stderr
    assert f"{bad}: prompt 'one': field 'title': must be non-empty text" in fail.stderr


def test_the_explain_widget_reveals_and_tallies():
    e = explain_it_back()
    ui = e.widget()
    assert ui.panels[0].layout.display == "none"  # the model answer waits for your own words
    ui.texts[0].value = "Examples in the prompt show the task; no weights change."
    ui.reveal(0)
    assert ui.panels[0].layout.display is None
    assert ui.tick(0, 0) == 1 and ui.tick(0, 1) == 2 and ui.tick(0, 1, False) == 1
    assert f"covers 1 of {len(e.prompts[0].checklist)} points" in ui.tallies[0].value


# --- Quick path ---------------------------------------------------------------------------------

def test_the_quick_path_links_resolve_and_add_up_to_twenty_minutes():
    from tune_or_prompt.course.learner_notebook import Site

    text = (ROOT / "study/quick-path.md").read_text()
    route = re.findall(r"^\d+\. \*\*[^*]+\*\* \((\d+) min\)", text, flags=re.M)
    assert len(route) >= 5 and sum(map(int, route)) == 20
    site = Site.load(ROOT)
    docs = re.findall(r"\{doc\}`(?:[^<`]*<)?([^>`]+)>?`", text)
    refs = re.findall(r"\{ref\}`(?:[^<`]*<)?([^>`]+)>?`", text)
    assert len(docs) >= 4 and refs
    for target in docs:
        page = posixpath.normpath(posixpath.join("study", target))
        assert page in site.titles, target
    for label in refs:
        assert label in site.labels, label


def test_the_quick_path_asks_five_bank_questions_with_the_quiz_grader():
    from tune_or_prompt.course.quiz.grading import correct_response

    bank = load_bank()
    ids = {q.id for q in bank.questions}
    assert len(QUICK_QUESTIONS) == 5 and set(QUICK_QUESTIONS) <= ids
    assert len({i.split("/")[0] for i in QUICK_QUESTIONS}) >= 4  # across the lessons
    quiz = quick_path(bank)
    cfg = quiz.config()
    assert [q["id"] for q in cfg["questions"]] == list(QUICK_QUESTIONS)
    assert cfg["storageKey"] == "top-quiz:v1:quick-path"
    ui = quiz.widget()  # the quiz's own widget: a wrong answer, then a right one
    first, second = ui.views[0], ui.views[1]
    assert first.question.id == QUICK_QUESTIONS[0]
    from test_quiz_browser import wrong_response

    first.set_response(wrong_response(first.question))
    assert not first.check().correct
    second.set_response(correct_response(second.question))
    assert second.check().correct
    assert (ui.score, ui.answered) == (1, 2)
    assert "data-top-quiz" in quiz.to_html()


# --- My progress ------------------------------------------------------------------------------

def test_my_progress_has_rows_for_the_new_modes():
    cfg = study_progress().config()
    assert cfg["workedKey"] == WORKED_KEY and cfg["workedTotal"] == faded_steps() == 18
    assert cfg["explainKey"] == EXPLAIN_KEY and cfg["explainTotal"] == len(load_prompts())
    assert cfg["quickKey"] == "top-quiz:v1:quick-path" and cfg["quickTotal"] == 5
    assert any(cfg["quickKey"].startswith(p) for p in cfg["prefixes"])  # exported too
    toc = (ROOT / "_toc.yml").read_text()
    for mode in ("worked", "explain", "quick"):
        page = cfg["pages"][mode].removeprefix("../").removesuffix(".html")
        assert f"- file: {page}\n" in toc and (ROOT / f"{page}.md").exists()
        assert f'["{mode}", ' in (ROOT / "src/tune_or_prompt/course/study/study.js").read_text()
