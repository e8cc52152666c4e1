"""Lesson 6 (Prompting and fine-tuning today): the saved reference run it reads, and the claims
its prose makes about that run."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from tune_or_prompt.course.lessons import today as L
from tune_or_prompt.ground.data import load
from tune_or_prompt.ground.registry import target
from tune_or_prompt.measure import today as T


@pytest.fixture(scope="module")
def run() -> T.TodayRun:
    return T.reference_run()


def test_the_saved_run_reads_back_exactly(run, tmp_path):
    path = T.save_reference(run, tmp_path / "today_run.json")
    assert T.load_reference(path.read_text(encoding="utf-8")) == run
    assert [p.name for p in tmp_path.iterdir()] == ["today_run.json"]  # written atomically


def test_a_damaged_run_file_is_refused(run, tmp_path):
    record = json.loads(T.save_reference(run, tmp_path / "r.json").read_text())
    del record["constrained"]["free"]
    with pytest.raises(ValidationError, match="constrained.free"):
        T.load_reference(json.dumps(record))


def test_settings_were_chosen_on_validation_and_test_rows_scored_once(run):
    """Every comparison the page quotes is on the test rows; the sweep that chose k on
    validation rows; and the sweep reaches the longest prompt that fits the context."""
    s = run.settings
    n_test, n_val = s.n_test, s.n_validation
    assert run.constrained.free.n == run.constrained.constrained.n == n_test
    assert run.many_shot_test.score.n == n_test
    assert all(score.n == n_test for score in run.demos.test.values())
    assert run.distill.teacher_student.n == run.distill.human_student.n == n_test
    assert all(p.score.n == n_val for p in run.many_shot.points)
    assert run.many_shot.points[-1].k == run.many_shot.max_k == T.max_shots(s.task)
    assert run.many_shot_test.k == run.many_shot.chosen().k
    kept = {str(r["id"]) for r in T.evaluation_set(s.kept_n, s.task, s.seed)}
    assert {r.id for r in run.kept_before.rows} == kept
    validation = {str(r["id"]) for r in load(target(s.task).dataset, "validation")}
    assert kept <= validation


def test_what_the_prose_says_about_the_run_holds(run):
    c = run.constrained
    # "for example ...": free generation named no allowed label at least once
    assert c.unparsed > 0 and c.not_exact >= c.unparsed
    # "Label scoring was also the fastest"
    assert c.constrained_seconds < min(c.free_seconds, c.guided_seconds)
    # "both its columns are 0"
    assert c.guided_format_errors == c.constrained_format_errors == 0
    points = run.many_shot.points
    # "cost N times as much ... took N times as long": more demonstrations cost more
    assert points[-1].usd_per_1000 > points[0].usd_per_1000
    assert points[-1].seconds_per_query > points[0].seconds_per_query
    # "the cache ... still far above a short prompt"
    assert points[0].usd_per_1000 < points[-1].usd_per_1000_cached < points[-1].usd_per_1000
    # "did not gain from a long prompt ... no better than its best short prompt"
    best = max(points, key=lambda p: (p.score.correct, -p.k))
    assert best.k < points[-1].k and points[-1].score.correct <= best.score.correct
    # "someone cut the label descriptions"
    assert run.kept_before.settings["describe"] and not run.kept_after.settings["describe"]


def test_the_tables_show_the_run(run):
    table = L.constrained_table(run)
    assert table["right"].tolist() == [f"{s.correct} of {s.n}" for s in (
        run.constrained.free, run.constrained.guided_score, run.constrained.constrained)]
    assert list(L.many_shot_table(run).index) == [p.k for p in run.many_shot.points]
    change = T.compare_runs(run.kept_before, run.kept_after)
    assert len(L.worse_rows(run, limit=1000)) == len(change.worse)
