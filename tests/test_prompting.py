"""The prompting toolkit: prompt building, label scoring, KV-cache reuse, calibration, parsing."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from tune_or_prompt.approaches import prompting as P
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.registry import TARGETS


def test_choose_demos_is_reproducible_and_balanced():
    task = TARGETS["intent"]
    demos = P.choose_demos(task, 8, "balanced", seed=3)
    assert Counter(task.gold(d) for d in demos) == {label: 1 for label in task.labels}
    assert P.choose_demos(task, 8, "balanced", seed=3) == demos
    assert P.choose_demos(task, 8, "balanced", seed=4) != demos
    assert P.choose_demos(task, 0) == []
    random_demos = P.choose_demos(task, 5, "random", seed=1)
    assert len(random_demos) == 5 and all(d["split"] == "train" for d in random_demos)
    with pytest.raises(ValueError, match="strategy"):
        P.choose_demos(task, 2, "best")


def test_plain_prompt_has_header_examples_and_query():
    task = TARGETS["sentiment"]
    demos = load("reviews", "train")[:2]
    text = P.plain_prompt(task, demos, "QUERY TEXT")
    assert text.startswith(task.instruction)
    assert text.count("Message: ") == 3 and text.endswith("Message: QUERY TEXT\nAnswer:")
    for demo in demos:
        assert f"Message: {demo['text']}\nAnswer: {demo['label']}" in text
    intent_header = P.header(TARGETS["intent"])
    assert "- stolen: the card was lost or stolen" in intent_header


def test_chat_prompt_uses_turns(llm):
    task = TARGETS["sentiment"]
    demos = load("reviews", "train")[:3]
    messages = P.build_messages(task, demos, "Q")
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3 + ["user"]
    assert messages[1]["content"] == f"Answer: {demos[0]['label']}"
    parts = P.split_prompt(llm, task, demos, style="chat")
    assert parts.prefix.startswith("<|im_start|>") and parts.suffix.endswith("assistant\nAnswer:")
    assert "Q" not in parts.prefix


def test_labels_are_single_tokens_after_the_answer_prefix(llm):
    """The bundled targets' labels are one token each (a learner's dataset, registered by
    another test, may have longer ones: those are scored token by token)."""
    from tune_or_prompt.ground.registry import dataset

    bundled = [t for t in TARGETS.values() if dataset(t.dataset).source == "bundled"]
    assert {t.name for t in bundled} >= {"intent", "urgent", "sentiment"}
    for task in bundled:
        assert all(len(ids) == 1 for ids in P.label_token_ids(llm, task)), task.name


@pytest.mark.parametrize("labels", [[" positive", " negative"],
                                    [" card delivery", " lost card", " refund please now"]])
def test_cached_scores_equal_direct_computation(llm, labels):
    """KV-cache reuse and batching give the scores of a full forward pass per label."""
    prefix = P.plain_prompt(TARGETS["sentiment"], load("reviews", "train")[:4], "")
    prefix_ids = P._ids(llm, prefix[: -len("\nAnswer:")])
    label_ids = [P._ids(llm, label) for label in labels]
    queries = ["Loved it, five stars.", "Broke after a week and support never answered me.",
               "ok"]
    query_ids = [P._ids(llm, q + "\nAnswer:") for q in queries]
    cached = P.CachedScorer(llm, prefix_ids, label_ids, batch_size=3).score(query_ids)
    direct = np.array([P.direct_scores(llm, prefix_ids + q, label_ids) for q in query_ids])
    np.testing.assert_allclose(cached, direct, atol=2e-3)
    one_by_one = P.CachedScorer(llm, prefix_ids, label_ids, batch_size=1).score(query_ids)
    np.testing.assert_allclose(one_by_one, direct, atol=2e-3)
    # One scorer reused across calls and batch sizes (its repeated caches are cut back to the
    # prefix after each batch): the same scores, in the order given.
    reused = P.CachedScorer(llm, prefix_ids, label_ids, batch_size=2)
    for _ in range(2):
        np.testing.assert_allclose(reused.score(query_ids), direct, atol=2e-3)
        np.testing.assert_allclose(reused.score(query_ids[::-1]), direct[::-1], atol=2e-3)
    assert (direct < 0).all()


def test_direct_scores_is_a_real_log_likelihood(llm):
    """Sum of per-token log-probabilities, checked against an independent computation."""
    import torch

    prompt = P._ids(llm, "The capital of France is")
    label = P._ids(llm, " Paris")
    ids = torch.tensor([prompt + label])
    with torch.inference_mode():
        logits = llm.model(ids).logits[0]
    expected = sum(float(torch.log_softmax(logits[len(prompt) - 1 + i], -1)[t])
                   for i, t in enumerate(label))
    assert P.direct_scores(llm, prompt, [label])[0] == pytest.approx(expected, abs=1e-4)
    paris, berlin = P.direct_scores(llm, prompt, [label, P._ids(llm, " Berlin")])
    assert paris > berlin


def test_calibrate_divides_out_the_content_free_prior():
    scores = np.log(np.array([[0.8, 0.2], [0.6, 0.4]]))
    content_free = np.log(np.array([0.7, 0.3]))
    calibrated = P.calibrate(scores, content_free)
    expected = np.log(np.array([[0.8 / 0.7, 0.2 / 0.3], [0.6 / 0.7, 0.4 / 0.3]]))
    np.testing.assert_allclose(calibrated, expected)
    assert list(calibrated.argmax(1)) == [0, 1]  # the prior no longer wins the second row


def test_run_measures_everything(llm):
    rows = load("reviews", "test")[:6]
    run = P.run(llm, "sentiment", rows, k=2, batch_size=4)
    assert len(run.predictions()) == 6 and set(run.predictions()) <= set(run.labels)
    assert len(run.latency) == 6 and all(t > 0 for t in run.latency)
    assert run.cpu_seconds > 0 and min(run.prompt_tokens) > 20
    summary = run.summary()
    assert summary["n"] == 6 and 0 <= summary["accuracy"] <= 1
    longer = P.run(llm, "sentiment", rows, k=4, batch_size=4)
    assert np.mean(longer.prompt_tokens) > np.mean(run.prompt_tokens)


@pytest.mark.models
def test_similar_demos_pick_neighbours():
    from tune_or_prompt.ground.models import load_encoder

    pool = load("tickets", "train")
    picked = P.similar_demos(load_encoder(), ["my card was stolen last night"], pool, 3)[0]
    assert len(picked) == 3
    assert "lost_or_stolen_card" in {d["intent"] for d in picked}


def test_parse_answer():
    task = TARGETS["intent"]
    assert P.parse_answer("The intent is refund tracking.", task) == "refund_tracking"
    assert P.parse_answer("Answer: login", task) == "login_and_access"
    assert P.parse_answer("I think this is about fees, maybe a refund", task) == "fees_and_rates"
    assert P.parse_answer("Sorry, I can't help with that.", task) is None
    assert P.parse_answer("Positive!", TARGETS["sentiment"]) == "positive"


def test_scoring_passes_no_deprecated_argument(llm):
    """Transformers 5.x renamed the cache keyword (``past_key_values`` -> ``cache``) and warns
    on the old one; the scorer uses whichever the installed version's forward pass takes."""
    import warnings

    prefix_ids = P._ids(llm, "Classify the review.\nReview:")
    labels = [P._ids(llm, " good"), P._ids(llm, " not good at all")]  # one label of several tokens
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        scores = P.CachedScorer(llm, prefix_ids, labels).score([P._ids(llm, " fine\nAnswer:")])
    assert scores.shape == (1, 2)
    forward = P.cache_argument(llm.model, "the cache")
    assert list(forward.values()) == ["the cache"] and set(forward) <= {"cache", "past_key_values"}
