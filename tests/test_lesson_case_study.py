"""Lesson 7's helpers: targets, the confidence interval and the results check."""

from __future__ import annotations

import pytest

from tune_or_prompt.course.lessons import case_study as CS


def test_targets_in_both_directions():
    assert CS.Target("accuracy", 0.85).met(0.9)
    assert not CS.Target("accuracy", 0.85).met(0.8)
    assert CS.Target("p95 ms", 300, higher_is_better=False).met(20)
    assert not CS.Target("p95 ms", 300, higher_is_better=False).met(1200)
    assert str(CS.Target("p95 ms", 300, higher_is_better=False)) == "p95 ms ≤ 300"


def test_interval_matches_the_wilson_formula_and_narrows_with_more_rows():
    low, high = CS.interval(8, 8)
    assert high == 1.0 and low == pytest.approx(0.6756, abs=1e-4)
    low, high = CS.interval(19, 24)
    assert (low, high) == pytest.approx((0.5953, 0.9076), abs=1e-4)
    wide, narrow = CS.interval(4, 8), CS.interval(400, 800)
    assert wide[0] < narrow[0] < 0.5 < narrow[1] < wide[1]
    assert CS.interval(0, 0) == (0.0, 1.0)


def test_check_marks_each_target():
    rows = [{"system": "a", "accuracy": 0.9, "p95 ms": 500.0},
            {"system": "b", "accuracy": 0.5, "p95 ms": 20.0}]
    targets = [CS.Target("accuracy", 0.85), CS.Target("p95 ms", 300, higher_is_better=False)]
    marks = CS.check(rows, targets)
    assert marks[0]["accuracy ≥ 0.85"].startswith("✓")
    assert marks[0]["p95 ms ≤ 300"].startswith("✗")
    assert marks[1]["accuracy ≥ 0.85"].startswith("✗")
    assert marks[1]["p95 ms ≤ 300"].startswith("✓")


def test_table_rounds_for_reading():
    rows = [{"system": "a", "accuracy": 0.875, "p95 ms": 1234.5, "USD per 1,000": 0.00648}]
    frame = CS.table(rows, ["accuracy", "p95 ms", "USD per 1,000"])
    assert list(frame.index) == ["a"]
    assert frame.loc["a"].tolist() == ["0.88", "1,234", "0.0065"]
    assert CS.table([{"system": "b", "ms": 17.58}]).loc["b", "ms"] == "18"


def tickets_sides():
    from tune_or_prompt.measure.compare import Part, Side

    urgent = {"per_class": {"urgent": {"recall": 9 / 11, "support": 11}}}
    prompt = Side("prompting", "tickets", 0.5, 0.45, 0.0, 0.0, 2, 0.0, 0.0, 300.0, 0.2, 0.25,
                  700.0, details={"intent": Part({}, {}, k=1, calibrated=True),
                                  "urgent": Part(urgent, {}, k=0, calibrated=False)},
                  rare_label="urgent")
    tuned = Side("fine-tuning", "tickets", 0.9, 0.9, 9 / 11, 0.6, 296, 40.0, 80.0, 0.0, 0.02,
                 0.03, 50.0, details={"intent": Part({}, {}), "urgent": Part(urgent, {})},
                 rare_label="urgent")
    return [prompt, tuned]


def test_rows_from_sides_name_the_settings_and_price_the_serving():
    rows = CS.rows_from(tickets_sides())
    assert [r["system"] for r in rows] == ["prompt, k=1", "fine-tuned, 296 labelled"]
    assert rows[0]["p95 ms"] == pytest.approx(250) and rows[1]["median ms"] == pytest.approx(20)
    # Served serverless: 700 CPU-s per 1,000 at the price of a GB-second (1.769 GB per vCPU),
    # plus the fee per request; idle time costs nothing.
    p = CS.PRICES
    seconds = 700 * p.serverless_gb_per_vcpu * p.serverless_usd_per_gb_second
    fees = 1000 * p.serverless_usd_per_million_requests / 1e6
    assert seconds < rows[0]["USD per 1,000"] <= seconds + 2 * fees
    always_on = CS.rows_from(tickets_sides(), serving=CS.Serving("always-on"))
    assert always_on[0]["USD per 1,000"] > 10 * rows[0]["USD per 1,000"]  # an idle server
    assert rows[1]["urgent recall"] == pytest.approx(9 / 11)
    marks = CS.check(rows, [CS.Target("urgent recall", 0.8), CS.Target("accuracy", 0.85)])
    assert marks[0]["urgent recall ≥ 0.8"] == "✗ 0" and marks[1]["accuracy ≥ 0.85"] == "✓ 0.90"


def test_urgent_counts_come_from_the_report():
    assert CS.urgent_counts(tickets_sides()[1]) == (9, 11)


def test_the_decision_record_says_what_the_rules_and_the_run_say():
    """Section 7's record names the classifier the decision rules choose for Quillfield and
    says fine-tuning beats the prompt: true of the reference run, or the prose must change."""
    from tune_or_prompt.course import decide as D
    from tune_or_prompt.course.numbers import reference

    quillfield = D.Situation(labelled_examples=200, queries_per_day=3_000,
                             latency_budget_ms=300, specialisation="in-house",
                             knowledge_changes="rarely")
    assert D.recommend(quillfield, D.reference_evidence()).choice == "embeddings + classifier"
    facts = reference()
    assert facts["tickets_ft_vs_prompt"].startswith("fine-tuning ahead")
    assert facts["tickets_ft_vs_emb"] == "a tie"
