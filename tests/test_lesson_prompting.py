"""Lesson 2 helpers: prompt-length accounting, context budget, retrieval, example-order runs."""

from __future__ import annotations

import pytest

from tune_or_prompt.approaches import prompting as P
from tune_or_prompt.course.lessons import prompting as lesson
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.registry import TARGETS


def test_demonstration_tokens_account_for_the_prompt_growth(llm):
    task = TARGETS["intent"]
    table = lesson.shots_table(llm, "where is my new card", ks=(0, 1, 2, 4))
    assert table[0]["added by demonstrations"] == 0
    assert [r["prompt tokens"] for r in table] == sorted(r["prompt tokens"] for r in table)
    demos = P.choose_demos(task, 4, seed=0)
    counted = sum(lesson.demonstration_tokens(llm, task, d) for d in demos)
    assert abs(table[-1]["added by demonstrations"] - counted) <= 1


def test_context_budget_fits_the_window(llm):
    budget = lesson.context_budget(llm)
    used = (budget["instruction tokens"] + budget["tokens per query (mean)"]
            + budget["demonstrations that fit"] * budget["tokens per demonstration (mean)"])
    assert used <= budget["context window"]
    assert used + budget["tokens per demonstration (mean)"] > budget["context window"]


@pytest.mark.models
def test_retrieval_finds_the_matching_fact():
    from tune_or_prompt.ground.models import load_encoder

    encoder = load_encoder()
    best = lesson.retrieve(encoder, "How much does Quill Plus cost each month?", k=2)
    assert best[0][1].startswith("Quill Plus costs") and best[0][0] >= best[1][0]
    best = lesson.retrieve(encoder, "my card was stolen, how do I freeze it?", k=1)
    assert "frozen" in best[0][1]


def test_grounded_messages():
    messages = lesson.grounded_messages("Q?", ["fact one", "fact two"])
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "- fact one\n- fact two" in messages[1]["content"]
    assert messages[1]["content"].endswith("Question: Q?")
    bare = lesson.grounded_messages("Q?", [], system=None)
    assert bare == [{"role": "user", "content": "Question: Q?"}]


def test_orders_are_tabled_and_drawn(llm):
    task = TARGETS["sentiment"]
    demos = P.choose_demos(task, k=2, seed=0)
    rows = load("reviews", "test")[:3]
    orders = {lesson.signs(o): o for o in (demos, demos[::-1])}
    runs = lesson.run_orders(llm, rows, orders)
    out = lesson.order_table(runs, orders)
    assert [r["order"] for r in out] == list(orders)
    for r in out:
        assert abs(r["P(negative) for 'N/A'"] + r["P(positive) for 'N/A'"] - 1) < 1e-6
        assert r["last example"] in task.labels and 0 <= r["accuracy"] <= 1
    assert out[0]["last example"] != out[1]["last example"]
    fig = lesson.order_figure(runs)
    ax = fig.axes[0]
    # one line per order, through each review's P(positive), which agrees with the answers
    lines = [line.get_ydata() for line in ax.get_lines() if len(line.get_ydata()) == 3]
    assert len(lines) == 2
    for ys, run in zip(lines, runs.values(), strict=True):
        assert [("positive" if y > 0.5 else "negative") for y in ys] == run.predictions()
    flips = sum(a != b for a, b in zip(*(r.predictions() for r in runs.values()), strict=True))
    assert lesson.order_flips(runs) == flips
    notes = lesson.calibration_notes(runs)
    for name, run in runs.items():
        raw, cal = run.accuracy, run.report(calibrated=True)["accuracy"]
        assert f"from {raw:.2f} to {cal:.2f} with {name}" in notes["effect"]
        assert f"with {name} the probe leans " in notes["probe"]
    changes = [run.report(calibrated=True)["accuracy"] - run.accuracy for run in runs.values()]
    if all(abs(c) < 1e-9 for c in changes):
        assert notes["verdict"] == "calibration changed no score here"
    elif all(c < 1e-9 for c in changes):
        assert notes["verdict"].startswith(("calibration lowered every", "calibration raised no"))
    elif all(c > -1e-9 for c in changes):
        assert notes["verdict"].startswith(("calibration raised every", "calibration lowered no"))
    else:
        assert notes["verdict"] == "calibration raised some scores here and lowered others"


def test_weights_fingerprint_sees_a_change():
    import torch

    layer = torch.nn.Linear(4, 3)
    before = lesson.weights_fingerprint(layer)
    assert lesson.weights_fingerprint(layer) == before
    with torch.no_grad():
        layer.weight[0, 0] += 0.5
    assert lesson.weights_fingerprint(layer) != before
