"""Lesson 6's helpers: targets, the confidence interval and the results check."""

from __future__ import annotations

import pytest

from tune_or_prompt.lessons import case_study as CS


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
