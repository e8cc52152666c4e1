"""Lesson 4's helpers: counts become labels faithfully, intervals and baselines are right."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tune_or_prompt.course.lessons import measuring as M
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.scores import classification_report


def test_from_matrix_reproduces_the_matrix_and_the_seed_example():
    labels = ["yes", "no"]
    gold, predicted = M.from_matrix([[80, 20], [15, 85]], labels)
    report = classification_report(gold, predicted, labels)
    assert report["confusion"] == [[80, 20], [15, 85]]
    assert report["accuracy"] == pytest.approx(0.825)
    assert report["per_class"]["yes"]["precision"] == pytest.approx(80 / 95)
    assert report["per_class"]["yes"]["recall"] == pytest.approx(0.8)


def test_worked_metrics_agree_with_scikit_learn():
    for counts in [(80, 20, 15, 85), (6, 44, 6, 2444), (39, 3, 28, 213)]:
        for row in M.worked_metrics(*counts):
            assert row["by hand"] == pytest.approx(row["scikit-learn"]), row["metric"]


def test_the_paradox_example_has_exactly_the_stated_numbers():
    labels = ["urgent", "not urgent"]
    card = M.scorecard(classification_report(*M.from_matrix([[6, 44], [6, 2444]], labels),
                                             labels), "urgent")
    assert card["accuracy"] == pytest.approx(0.98)
    assert card["recall (urgent)"] == pytest.approx(0.12)
    assert M.best_accuracy_at_recall(0.02, 0.12) >= 0.98 > M.best_accuracy_at_recall(0.148, 0.12)


def test_wilson_and_bootstrap_intervals():
    low, high = M.wilson_interval(255, 283)
    assert low < 255 / 283 < high
    assert (low, high) == pytest.approx((0.8607, 0.9307), abs=1e-3)
    b_low, b_high = M.bootstrap_interval([True] * 255 + [False] * 28, resamples=2000)
    assert abs(b_low - low) < 0.02 and abs(b_high - high) < 0.02
    # more test items, narrower interval
    assert M.wilson_interval(900, 1000)[1] - M.wilson_interval(900, 1000)[0] < high - low
    assert M.wilson_interval(0, 5)[0] == 0.0


def test_baselines_on_the_test_split():
    test = load("tickets", "test")
    rows = {r["rule"]: r for r in M.baselines(test, "urgent", positive="urgent")}
    never = rows["always 'not urgent'"]
    urgent_share = sum(r["urgent"] for r in test) / len(test)
    assert never["accuracy"] == pytest.approx(1 - urgent_share)
    assert never["recall of 'urgent'"] == 0.0
    assert rows["uniform random guess"]["accuracy"] == pytest.approx(0.5)


@pytest.mark.models
def test_token_counts_match_the_transformers_tokenizer():
    """Lesson 4 counts prompt tokens with the `tokenizers` library alone; the counts must be the
    ones the prompting code sees through transformers."""
    from tune_or_prompt.approaches.prompting import choose_demos, plain_prompt
    from tune_or_prompt.ground.models import fast_tokenizer, load_generative
    from tune_or_prompt.ground.registry import TARGETS

    task = TARGETS["intent"]
    texts = [r["text"] for r in load("tickets", "test")[:5]]
    prompts = [plain_prompt(task, choose_demos(task, 2, seed=0), t) for t in texts]
    # Without special tokens, as the prompting code reads them (the tokenizer.json Transformers
    # 4.x writes adds a BOS token by default, 5.x's does not).
    fast = [len(e.ids) for e in fast_tokenizer("generative").encode_batch(
        prompts, add_special_tokens=False)]
    slow = [len(ids) for ids in load_generative().tokenizer(
        prompts, add_special_tokens=False)["input_ids"]]
    assert fast == slow and min(fast) > 100
    rows = M.prompt_costs(shots=(0, 2), queries=5)
    assert [r["k"] for r in rows] == [0, 2]
    assert rows[1]["tokens per request"] == round(sum(fast) / len(fast))
    assert rows[1]["USD per 1,000 requests"] > rows[0]["USD per 1,000 requests"] > 0


@given(st.integers(0, 60), st.integers(0, 60))
def test_the_sign_test_matches_scipys_exact_binomial_test(wins, losses):
    from scipy.stats import binomtest

    from tune_or_prompt.ground.scores import sign_test

    expected = 1.0 if wins + losses == 0 else binomtest(wins, wins + losses, 0.5).pvalue
    assert sign_test(wins, losses) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_paired_difference_counts_the_rows_only_one_gets_right():
    from tune_or_prompt.ground.scores import paired_difference

    gold = ["x"] * 10
    a = ["x"] * 8 + ["y"] * 2
    b = ["y"] * 7 + ["x"] * 3
    only_a, only_b, p = paired_difference(gold, a, b)
    assert (only_a, only_b) == (7, 2)  # rows 0-6 only a; rows 8-9 only b
    assert p == pytest.approx(0.1796875)  # 2 * (1 + 9 + 36) / 2**9
