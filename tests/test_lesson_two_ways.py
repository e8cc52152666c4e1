"""Lesson 1 helpers: the JSONL pair, token counts, the trace and the pipeline figure."""

from __future__ import annotations

import json

import pytest

from tune_or_prompt.approaches import prompting as P
from tune_or_prompt.course.lessons import two_ways
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.registry import TARGETS


def test_jsonl_pair_round_trips():
    row = load("tickets", "train")[5]
    pair = json.loads(two_ways.jsonl_pair(row))
    assert pair == {"prompt": row["text"], "response": row["intent"]}
    assert "\n" not in two_ways.jsonl_pair(row)


@pytest.mark.models
def test_prompt_tokens_are_what_the_prompted_model_reads():
    from tune_or_prompt.ground.models import load_generative

    rows = load("tickets", "test")[:3]
    demos = P.choose_demos(TARGETS["intent"], k=1, seed=0)
    run = P.run(load_generative(), "intent", rows, k=1, demos=demos)
    assert [two_ways.prompt_tokens(r["text"], demos) for r in rows] == list(run.prompt_tokens)
    assert two_ways.encoder_tokens("hello") == 3  # [CLS] hello [SEP]
    assert two_ways.encoder_tokens("word " * 200) == 64  # cut at the fine-tuning limit


def test_trace_and_stages_come_from_the_reference_run():
    from tune_or_prompt.measure.compare import reference_run, test_rows

    run = reference_run()
    rows = test_rows("tickets", run.settings["n_test"], run.settings["seed"])
    ids = [str(rows[0]["id"]), str(rows[5]["id"])]
    trace = two_ways.prediction_trace(ids)
    prompted, tuned = run.side("tickets", "prompting"), run.side("tickets", "fine-tuning")
    for row, ticket in zip(trace, (rows[0], rows[5]), strict=True):
        assert row["true label"] == ticket["intent"] and row["ticket"] == ticket["text"]
        assert row["prompted answer"] == prompted.details["intent"].answers[row["id"]]
        assert row["fine-tuned answer"] == tuned.details["intent"].answers[row["id"]]
        assert row["prompted tokens"] > 5 * row["fine-tuned tokens"]
    stages = two_ways.pipeline_stages(trace[0])
    assert [s.name for s in stages] == ["Input data", "Prompt engineering", "Training data",
                                        "Fine-tuning", "Prediction"]
    assert f"{len(load('tickets')):,} ticket rows" in stages[0].shape
    assert f"{trace[0]['prompted tokens']} tokens" in stages[1].shape
    assert "no prompt" in stages[2].shape and '"label": ' in stages[2].example
    assert [s.route for s in stages] == ["shared", "prompting", "fine-tuning", "fine-tuning",
                                         "shared"]
    assert trace[0]["fine-tuned answer"] in stages[4].example
    table = two_ways.trace_table(trace)
    assert list(table.columns) == ["ticket", "true label", "prompted base model",
                                   "fine-tuned model"]
    with pytest.raises(ValueError, match="not among the reference run"):
        two_ways.prediction_trace(["t0000-missing"])


def test_score_agrees_with_the_reference_reports():
    from tune_or_prompt.measure.compare import reference_run

    scores = two_ways.score()
    for side in reference_run().tasks["tickets"].sides.values():
        right, n = scores[side.approach]
        assert right / n == pytest.approx(side.accuracy)


def test_pipeline_figure_draws_every_stage():
    stages = [two_ways.Stage(f"S{i}", "does things", f"shape {i}", f"example {i}", route)
              for i, route in enumerate(["shared", "prompting", "fine-tuning", "fine-tuning",
                                         "shared"])]
    fig = two_ways.pipeline_figure(stages)
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {f"shape {i}" for i in range(5)} <= texts
    assert {str(i) for i in range(1, 6)} <= texts
    # Two separate routes: the prompt box (2) sits beside the training data (3), not above
    # it, so no arrow can lead from the prompt into fine-tuning.
    number = {t.get_text(): t.get_position() for ax in fig.axes for t in ax.texts
              if t.get_text() in {"1", "2", "3", "4", "5"}}
    assert number["2"][1] == number["3"][1] and number["2"][0] < number["3"][0]
    assert number["3"][0] == number["4"][0] and number["4"][1] < number["3"][1]
    assert number["1"][1] > number["2"][1] > number["4"][1] > number["5"][1]
    with pytest.raises(ValueError, match="five stages"):
        two_ways.pipeline_figure(stages[:4])


def test_encoder_pair_is_text_and_class_number():
    row = load("tickets", "train")[3]
    text, comment = two_ways.encoder_pair(row).split("   # ")
    pair = json.loads(text)
    labels = TARGETS["intent"].labels
    assert pair == {"text": row["text"], "label": labels.index(row["intent"])}
    assert comment == f"{pair['label']} = {row['intent']}"


def test_wrap_keeps_short_lines_and_wraps_long_ones():
    text = "short\n" + "word " * 40
    lines = two_ways.wrap(text, 30).splitlines()
    assert lines[0] == "short" and all(len(line) <= 30 for line in lines)
    assert lines[2].startswith("    ")
