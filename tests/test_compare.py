"""The head-to-head: test rows, the table, the crossover point, the report and `compare` CLI."""

from __future__ import annotations

import json
import subprocess
from collections import Counter

import pytest
from cli_runner import in_process, subprocess_cli

from tune_or_prompt.ground.data import label_of, load
from tune_or_prompt.ground.registry import dataset
from tune_or_prompt.measure import compare as C
from tune_or_prompt.measure import costs


def side(approach: str, accuracy: float, tokens: float, cpu: float, setup: float = 0.0,
         labelled: int = 8, recall: float | None = 0.5) -> C.Side:
    return C.Side(approach, "tickets", accuracy, accuracy - 0.05, recall, 0.5, labelled, setup,
                  2 * setup, tokens, 0.1, 0.2, cpu,
                  rare_label="urgent" if recall is not None else None)


def test_test_rows_are_stratified_and_from_the_test_split():
    rows = C.test_rows("tickets", 96)
    counts = Counter(label_of(r, "intent") for r in rows)
    assert len(rows) == 96 and set(counts.values()) == {12}
    test_ids = {r["id"] for r in load("tickets", "test")}
    assert {r["id"] for r in rows} <= test_ids
    assert rows == C.test_rows("tickets", 96)  # same seed, same rows
    assert len(C.test_rows("reviews", 10_000)) == len(load("reviews", "test"))


def test_table_columns_and_costs():
    sides = [side("prompting", 0.7, tokens=600, cpu=300.0),
             side("fine-tuning", 0.9, tokens=0, cpu=30.0, setup=20.0, labelled=200, recall=0.9)]
    frame = C.table(sides, costs.Prices(usd_per_million_input_tokens=0.15,
                                        usd_per_million_output_tokens=0.60,
                                        bills_reasoning=False))
    assert list(frame.index) == ["prompting", "fine-tuning"]
    assert frame.loc["fine-tuning", "urgent recall"] == 0.9
    assert frame.loc["prompting", "latency median (ms)"] == pytest.approx(100)
    # 300 CPU-s per 1,000 at $0.045 per CPU-hour:
    assert frame.loc["prompting", "USD / 1,000 (CPU)"] == pytest.approx(300 / 3600 * 0.045)
    # 600 input tokens + 1 output token per query at $0.15 / $0.60 per million:
    assert frame.loc["prompting", "USD / 1,000 (hosted tokens)"] == pytest.approx(
        1000 * (600 * 0.15 + 0.60) / 1e6)
    assert frame.loc["prompting", "hosted prices"] == "your own prices"
    reviews = [side("prompting", 0.9, 100, 50, recall=None), side("fine-tuning", 0.9, 0, 5, recall=None)]
    assert "urgent recall" not in C.table(reviews).columns


def test_crossing_point_by_hand():
    curve = [{"approach": "prompting", "labelled": k, "accuracy": a} for k, a in [(0, 0.4), (8, 0.6)]]
    curve += [{"approach": "fine-tuning", "labelled": n, "seed": s, "accuracy": a}
              for n, s, a in [(8, 0, 0.3), (8, 1, 0.5), (32, 0, 0.55), (32, 1, 0.7), (64, 0, 0.8)]]
    assert C.crossing_point(curve) == 32  # mean 0.625 > best prompt 0.6
    assert C.crossing_point([r for r in curve if r["labelled"] != 32 and r["labelled"] != 64
                             or r["approach"] == "prompting"]) is None


def test_choose_takes_the_best_validation_macro_f1():
    curve = [{"k": 0, "macro_f1": 0.4, "macro_f1_calibrated": 0.5},
             {"k": 4, "macro_f1": 0.7, "macro_f1_calibrated": 0.6},
             {"k": 8, "macro_f1": 0.7, "macro_f1_calibrated": 0.65}]
    assert C.choose(curve) == C.PromptChoice(4, False, 0.7)  # tie with k=8: fewer examples
    curve[0]["macro_f1_calibrated"] = 0.9
    assert C.choose(curve) == C.PromptChoice(0, True, 0.9)


def test_prompting_needs_a_setting():
    with pytest.raises(ValueError, match="no prompt setting"):
        C.run_prompting(dataset("reviews"), [], C.Settings(), llm=object())  # quick: refused at once


def test_report_files(tmp_path):
    sides = [side("prompting", 0.7, tokens=600, cpu=300.0),
             side("fine-tuning", 0.9, tokens=0, cpu=30.0, setup=20.0, labelled=200)]
    curve = [{"approach": "prompting", "labelled": 0, "seed": 0, "accuracy": 0.4},
             {"approach": "fine-tuning", "labelled": 8, "seed": 0, "accuracy": 0.5}]
    result = C.TaskResult("tickets", {s.approach: s for s in sides}, {}, curve)
    paths = C.write_report(result, tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert names == ["break-even.png", "crossover.png", "measurements.json", "table.csv", "table.md"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert (tmp_path / "out" / "crossover.png").read_bytes()[:4] == b"\x89PNG"
    assert "| prompting" in (tmp_path / "out" / "table.md").read_text()
    records = json.loads((tmp_path / "out" / "measurements.json").read_text())
    assert records["fine-tuning"]["labelled_examples"] == 200


def cli(*args: str) -> subprocess.CompletedProcess:
    return in_process("compare", *args)


@pytest.mark.parametrize(("args", "message"), [
    (["--task", "emails"], "invalid choice"),
    (["--task", "reviews", "--n-test", "1"], "argument --n-test: must be at least 2, not 1"),
    (["--task", "reviews", "--queries-per-day", "0"], "argument --queries-per-day: must be a"),
    (["--task", "reviews", "--usd-per-label", "-1"], "--usd-per-label: must be a number of at "
                                                     "least 0, not -1"),
])
def test_compare_refuses_bad_input(args, message, tmp_path):
    out = cli(*args, "--out", str(tmp_path / "o"), "--no-curve", "--train-size", "4",
              "--epochs", "1", "--n-test", args[args.index("--n-test") + 1]
              if "--n-test" in args else "4")
    assert out.returncode == 2 and message in out.stderr, out.stderr


def test_compare_refuses_a_file_as_out_folder(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    out = subprocess_cli("compare", "--task", "reviews", "--out", str(target))  # entry point
    assert out.returncode == 2 and "is not a folder" in out.stderr


@pytest.mark.models
def test_compare_reviews_end_to_end(tmp_path):
    out = cli("--task", "reviews", "--out", str(tmp_path / "o"), "--n-test", "8",
              "--shots", "1", "--train-size", "16", "--epochs", "1", "--no-curve")
    assert out.returncode == 0, out.stderr
    assert "prompting" in out.stdout and "fine-tuning" in out.stdout
    assert "prompt for sentiment: k=1, calibrated=True (fixed by --shots)" in out.stdout
    table = (tmp_path / "o" / "table.csv").read_text().splitlines()
    assert table[0].startswith("approach,accuracy,macro-F1")
    assert [line.split(",")[0] for line in table[1:]] == ["prompting", "fine-tuning",
                                                          "embeddings + classifier"]
    assert (tmp_path / "o" / "break-even.png").exists()


def test_reference_run_round_trips(tmp_path):
    sides = [side("prompting", 0.7, tokens=600, cpu=300.0),
             side("fine-tuning", 0.9, tokens=0, cpu=30.0, setup=20.0, labelled=200)]
    sides[1].details = {"intent": C.Part({"accuracy": 0.9}, {"t1": "fees"}, train_size=200)}
    curve = [{"approach": "prompting", "labelled": 0, "accuracy": 0.4}]
    task = C.TaskResult("tickets", {s.approach: s for s in sides},
                        {"intent": C.PromptChoice(1, True, 0.6)}, curve)
    path = C.save_reference(C.Study({"tickets": task}), "a test run", path=tmp_path / "ref.json")
    back = C.load_reference(path.read_text())
    assert back.source == "a test run" and back.settings["n_test"] == C.Settings().n_test
    assert back.choices == task.choices and back.curve("tickets") == curve
    assert back.side("tickets", "prompting") == sides[0]
    assert back.side("tickets", "fine-tuning").details == sides[1].details
    with pytest.raises(KeyError, match="'embeddings \\+ classifier' was not measured"):
        back.side("tickets", C.EMBEDDINGS)
    with pytest.raises(ValueError, match="unexpected keys"):
        C.side_from_record({**C.side_record(sides[0]), "colour": "red"})


def test_reference_run_is_a_real_measurement_of_both_task_sets():
    run = C.reference_run()
    assert "make bench" in run.source
    assert set(run.tasks) == {"tickets", "reviews"}
    tickets = run.tasks["tickets"].sides
    assert list(tickets)[:2] == ["prompting", "fine-tuning"]
    assert set(run.choices) == {"intent", "urgent", "sentiment"}
    n = run.settings["n_test"]
    for task in run.tasks.values():
        for s in task.sides.values():
            main = dataset(s.task).main
            report = s.details[main].report
            assert report["accuracy"] == s.accuracy and 0 < s.accuracy <= 1
            assert sum(map(sum, report["confusion"])) == n  # every test row was answered
            assert 0 < s.latency_median_s <= s.latency_p95_s
    for s in tickets.values():  # urgent recall is the urgent report's
        urgent = s.details["urgent"].report["per_class"]["urgent"]
        assert s.rare_label == "urgent"
        assert s.rare_recall == urgent["recall"] and urgent["support"] > 0
    tuned = tickets["fine-tuning"]
    assert tuned.labelled_examples >= tuned.details["intent"].train_size
    assert run.curve("tickets") and run.curve("reviews")


def test_reference_run_answers_agree_with_its_scores():
    """The stored per-ticket answers (Lesson 1's trace) reproduce the stored accuracies."""
    run = C.reference_run()
    n = run.settings["n_test"]
    for name, task in run.tasks.items():
        rows = C.test_rows(name, n, run.settings["seed"])
        for s in task.sides.values():
            for target, part in s.details.items():
                assert list(part.answers) == [str(r["id"]) for r in rows]
                right = sum(part.answers[str(r["id"])] == label_of(r, target) for r in rows)
                assert right / n == pytest.approx(part.report["accuracy"])


def test_a_query_of_two_requests_pays_two_answers_and_two_thinkings():
    """A ticket asks two prompts (intent and urgency): at a model that bills its thinking, the
    table and the cost model both charge two answers' output and two answers' thinking."""
    from tune_or_prompt.measure import costs

    one = side("prompting", 0.7, tokens=600, cpu=300.0)
    two = C.Side(**{**one.__dict__, "details": {"intent": None, "urgent": None}})
    model = costs.FRONTIER_API
    assert costs.PRICES.bills_reasoning_for(model)
    per_answer = costs.PRICES.reasoning_tokens_per_answer
    expected = costs.token_usd(600, 2, costs.PRICES, model, reasoning_tokens=2 * per_answer)
    assert two.hosted_usd(costs.PRICES, model) == pytest.approx(expected)
    assert two.hosted_usd(costs.PRICES, model) > one.hosted_usd(costs.PRICES, model) + (
        per_answer * 0.9 * costs.PRICES.token_prices(model)[1] / 1e6)
    modelled = two.cost_model(costs.PRICES, hosted_prompt=True, model=model)
    assert modelled.per_query_usd == pytest.approx(expected)
