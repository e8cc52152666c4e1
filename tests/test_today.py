"""The measured demos of "Prompting and fine-tuning today" (`tune_or_prompt.measure.today`)."""

from __future__ import annotations

import json

import pytest

from tune_or_prompt.approaches import prompting as P
from tune_or_prompt.ground import scores as S
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.registry import balanced_sample, target
from tune_or_prompt.measure import costs
from tune_or_prompt.measure import today as T
from tune_or_prompt.measure.compare import rows_of


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: on a shared 2-core machine two threads ran 6x slower (spin-waits)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_score_carries_a_wilson_interval():
    score = S.Score.of(["a", "b", "a", "a"], ["a", "b", None, "b"])
    assert (score.correct, score.n, score.accuracy) == (2, 4, 0.5)
    low, high = score.interval
    assert 0 < low < 0.5 < high < 1
    assert "50.0% (2/4" in str(score)


def test_verdict_calls_small_differences_a_tie():
    gold = ["x"] * 20
    tie = S.paired_verdict(gold, ["x"] * 11 + ["y"] * 9, ["x"] * 9 + ["y"] * 11, "A", "B")
    assert (tie.only_a, tie.only_b, tie.text) == (2, 0, "a tie")
    clear = S.paired_verdict(gold, ["x"] * 20, ["y"] * 20, "A", "B")
    assert clear.text == "A ahead" and clear.p_value < 0.05


def test_exact_answer_is_one_allowed_word():
    task = target("intent")
    assert T.exact_answer("delivery", task) and T.exact_answer("Answer: Refund.", task)
    assert not T.exact_answer("- delivery: a new or replacement card", task)
    assert not T.exact_answer("I think it is fees", task)


def test_max_shots_is_the_edge_of_the_context():
    k = T.max_shots("intent")
    assert 50 < k < 678
    assert T.fits("intent", k) and not T.fits("intent", k + 1)


@pytest.mark.models
def test_constrained_output_never_makes_a_format_error(llm):
    rows = rows_of("tickets", "validation", 4)
    result = T.constrained_output(llm, rows, max_new_tokens=6)
    task = target("intent")
    assert len(result.outputs) == len(result.scored) == result.free.n == 4
    assert result.constrained_format_errors == 0
    assert all(label in task.labels for label in result.scored)
    assert result.unparsed + result.free_wrong + result.free.correct == 4
    assert result.unparsed <= result.not_exact
    assert result.parsed == [P.parse_answer(o, task) for o in result.outputs]
    # label scoring is the same prompt's best allowed label
    again = P.run(llm, "intent", rows, style="chat").predictions()
    assert result.scored == again
    assert result.verdict.only_a - result.verdict.only_b == (
        result.free.correct - result.constrained.correct)
    # constrained generation writes only allowed answers, on the same prompt
    assert result.guided_format_errors == 0 and result.guided_score.n == 4
    assert result.guided_verdict.only_a - result.guided_verdict.only_b == (
        result.free.correct - result.guided_score.correct)


@pytest.mark.models
def test_constrained_generation_writes_only_an_allowed_answer(llm):
    task = target("intent")
    answers = {task.answers[label] for label in task.labels}
    for row in rows_of("tickets", "validation", 3):
        messages = P.build_messages(task, [], row["text"])
        assert P.generate_constrained(llm, messages, task) in answers


@pytest.mark.models
def test_many_shot_counts_tokens_and_prices_them(llm):
    rows = rows_of("tickets", "validation", 4)
    with pytest.raises(P.PromptTooLongError, match="at most"):
        T.many_shot(llm, rows, [0, T.max_shots() + 1])  # checked before anything runs
    result = T.many_shot(llm, rows, [0, 2])
    first, second = result.points
    assert result.context == 8192 and result.n == 4
    assert second.prefix_tokens > first.prefix_tokens > 0
    assert second.prompt_tokens - first.prompt_tokens == pytest.approx(
        second.prefix_tokens - first.prefix_tokens)
    for point in result.points:
        assert point.prompt_tokens > point.prefix_tokens
        assert point.usd_per_1000 == pytest.approx(
            1000 * costs.token_usd(point.prompt_tokens, 1))
        # under the vendor's caching minimum no discount; at or above it, the prefix is cheaper
        minimum = costs.PRICES.cache_terms(costs.SMALL_API)[2]
        if point.prompt_tokens < minimum:
            assert point.usd_per_1000_cached == point.usd_per_1000
        else:
            assert point.usd_per_1000_cached == pytest.approx(
                1000 * costs.token_usd(point.prompt_tokens, 1,
                                       cached_tokens=point.prefix_tokens))
            assert point.usd_per_1000_cached < point.usd_per_1000
        assert point.wall_seconds > 0 and point.score.n == 4
    assert result.chosen().k in (0, 2)


def test_cached_pricing_applies_above_the_minimum():
    long_prompt = costs.PRICES.cache_min_tokens + 500
    cached = costs.token_usd(long_prompt, 1, cached_tokens=1200)
    assert cached < costs.token_usd(long_prompt, 1)


@pytest.mark.models
def test_retrieved_and_fixed_demos_are_chosen_on_validation(llm, encoder):
    validation = rows_of("tickets", "validation", 3)
    test = rows_of("tickets", "test", 3)
    pool = balanced_sample(load("tickets", "train"), "intent", 48)
    result = T.retrieved_vs_fixed(llm, encoder, validation, test, shots=(1, 2), pool=pool)
    for name in (T.RETRIEVED, T.FIXED):
        assert len(result.validation[name]) == 2
        assert result.chosen_k[name] in (1, 2)
        best = max(s.correct for s in result.validation[name])
        assert result.validation[name][(1, 2).index(result.chosen_k[name])].correct == best
        assert result.test[name].n == 3
    assert result.verdict.only_a - result.verdict.only_b == (
        result.test[T.RETRIEVED].correct - result.test[T.FIXED].correct)
    # the k nearest are the last k of the max(shots) nearest (the pool is embedded once)
    texts = [r["text"] for r in test]
    two, one = P.similar_demos(encoder, texts, pool, 2), P.similar_demos(encoder, texts, pool, 1)
    assert [near[-1:] for near in two] == one
    single = P.run(llm, "intent", test[:1], k=1, demos=one[0]).predictions()
    assert T._retrieved_run(llm, "intent", test[:1], two[:1], 1) == single


@pytest.mark.models
def test_distillation_reports_agreement_and_both_students(llm):
    validation = rows_of("tickets", "validation", 4)
    test = rows_of("tickets", "test", 8)
    result = T.distill(llm, 16, validation, test, shots=(0,))
    assert result.n == result.agreement.n == 16 and result.teacher_k == 0
    assert result.teacher_student.n == result.human_student.n == 8
    assert result.verdict.only_a - result.verdict.only_b == (
        result.teacher_student.correct - result.human_student.correct)
    assert set(result.train_seconds) == {"teacher labels", "human labels"}


@pytest.mark.models
def test_kept_evaluation_set_lists_what_got_worse(llm, tmp_path):
    rows = T.evaluation_set(4)
    assert all(r["split"] == "validation" for r in rows)
    before = T.score_prompt(llm, rows, "zero-shot")
    after = T.score_prompt(llm, rows, "two demos", k=2)
    path = T.save_run(before, tmp_path / "before.json")
    assert [p.name for p in tmp_path.iterdir()] == ["before.json"]  # no temporary file left
    assert json.loads(path.read_text())["rows"][0]["id"] == str(rows[0]["id"])
    reloaded = T.load_run(path)
    assert reloaded == before
    change = T.compare_runs(reloaded, after)
    assert change.score_after.correct - change.score_before.correct == (
        len(change.better) - len(change.worse))
    assert all(b.correct and not a.correct for b, a in change.worse)
    assert change.changed >= len(change.worse) + len(change.better)
    assert T.compare_runs(before, before).verdict.text == "a tie"
    shorter = T.EvalRun("cut", "intent", {}, after.rows[:-1])
    with pytest.raises(ValueError, match="same rows"):
        T.compare_runs(before, shorter)
