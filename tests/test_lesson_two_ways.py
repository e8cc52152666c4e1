"""Lesson 1 helpers: the JSONL pair, the head-only fine-tune, the trace and the pipeline figure."""

from __future__ import annotations

import json

import pytest

from tune_or_prompt.data import INTENTS, balanced_sample, load
from tune_or_prompt.lessons import two_ways


@pytest.fixture(scope="module")
def encoder():
    from tune_or_prompt.models import load_encoder

    return load_encoder(labels=list(INTENTS))


@pytest.fixture(scope="module")
def head(encoder):
    return two_ways.train_head(encoder, balanced_sample(load("tickets", "train"), "intent", 40))


def test_jsonl_pair_round_trips():
    row = load("tickets", "train")[5]
    pair = json.loads(two_ways.jsonl_pair(row))
    assert pair == {"prompt": row["text"], "response": row["intent"]}
    assert "\n" not in two_ways.jsonl_pair(row)


def test_head_columns_follow_the_label_order(head):
    texts = [r["text"] for r in load("tickets", "test")[:30]]
    probs = head.probabilities(texts)
    assert probs.shape == (30, len(INTENTS))
    assert abs(probs.sum(axis=1) - 1).max() < 1e-6
    # our label-ordered argmax must agree with scikit-learn's own prediction
    from tune_or_prompt.encoders import embed

    sklearn_labels = head.classifier.predict(embed(head.encoder, texts).numpy())
    assert head.predict(texts) == list(sklearn_labels)
    assert head.trained_weights == len(INTENTS) * 384 + len(INTENTS)


def test_weights_fingerprint_sees_a_change():
    import torch

    layer = torch.nn.Linear(4, 3)
    before = two_ways.weights_fingerprint(layer)
    assert two_ways.weights_fingerprint(layer) == before
    with torch.no_grad():
        layer.weight[0, 0] += 0.5
    assert two_ways.weights_fingerprint(layer) != before


def test_trace_and_stages_agree(encoder, head):
    from tune_or_prompt import prompting as P
    from tune_or_prompt.models import load_generative

    llm = load_generative()
    ticket = load("tickets", "test")[0]
    demos = P.choose_demos(P.TASKS["intent"], k=1, seed=0)
    trace = two_ways.prediction_trace(llm, head, [ticket], k=1)
    assert trace[0]["true label"] == ticket["intent"]
    assert trace[0]["prompted answer"] in INTENTS and trace[0]["fine-tuned answer"] in INTENTS
    assert trace[0]["prompted tokens"] > 5 * trace[0]["fine-tuned tokens"]
    stages = two_ways.pipeline_stages(llm, head, ticket, demos, 22_716_296, trace[0])
    assert [s.name for s in stages] == ["Input data", "Prompt engineering", "Training data",
                                        "Fine-tuning", "Prediction"]
    assert f"{len(load('tickets')):,} ticket rows" in stages[0].shape
    # the figure's token count is the one the prompted model really read
    assert f"{trace[0]['prompted tokens']} tokens" in stages[1].shape
    assert trace[0]["fine-tuned answer"] in stages[4].example
    table = two_ways.trace_table(trace)
    assert list(table.columns) == ["ticket", "true label", "prompted base model",
                                   "fine-tuned model"]


def test_pipeline_figure_draws_every_stage():
    stages = [two_ways.Stage(f"S{i}", "does things", f"shape {i}", f"example {i}", route)
              for i, route in enumerate(["shared", "prompting", "fine-tuning", "fine-tuning",
                                         "shared"])]
    fig = two_ways.pipeline_figure(stages)
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {f"shape {i}" for i in range(5)} <= texts
    assert {str(i) for i in range(1, 6)} <= texts


def test_wrap_keeps_short_lines_and_wraps_long_ones():
    text = "short\n" + "word " * 40
    lines = two_ways.wrap(text, 30).splitlines()
    assert lines[0] == "short" and all(len(line) <= 30 for line in lines)
    assert lines[2].startswith("    ")
