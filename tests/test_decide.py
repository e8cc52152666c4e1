"""The decision helper: its rules on hand-made evidence, both views, and the reference data."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from properties import examples

from tune_or_prompt.course import decide as D
from tune_or_prompt.ground.scores import sign_test
from tune_or_prompt.measure.costs import Prices

GENERAL = D.TaskEvidence(
    task="sentiment", prompt_accuracy=0.95, prompt_p95_ms=120, prompt_tokens=150,
    prompt_cpu_s_per_query=0.2, finetune_accuracy=0.9, finetune_labelled=200,
    finetune_p95_ms=20, finetune_cpu_s_per_query=0.03, train_cpu_seconds=40,
    curve=((8, 0.6), (32, 0.8), (128, 0.88)), dataset="reviews", test_rows=80,
    paired=(("prompt", "fine-tune", 6, 2),))  # 0.95 against 0.90: a tie by the sign test
SPECIALISED = replace(GENERAL, task="intent", prompt_accuracy=0.6, prompt_tokens=800,
                      finetune_accuracy=0.9, prompt_p95_ms=400, dataset="tickets",
                      paired=(("prompt", "fine-tune", 2, 26),))  # fine-tuning ahead
EVIDENCE = D.Evidence(GENERAL, SPECIALISED, "test evidence",
                      Prices(usd_per_cpu_hour=0.05, usd_per_million_input_tokens=0.15,
                             usd_per_million_output_tokens=0.6, usd_per_label=0.25,
                             bills_reasoning=False, frontier_usd_per_million_input_tokens=2.5,
                             frontier_usd_per_million_output_tokens=10.0,
                             frontier_bills_reasoning=False))
# The same, with embeddings + a classifier measured one point behind the fine-tuned encoder
# (a tie by the sign test) and ahead of the prompt.
WITH_EMBEDDINGS = replace(EVIDENCE, specialised=replace(
    SPECIALISED, embeddings_accuracy=0.89, embeddings_labelled=200, embeddings_p95_ms=25,
    embeddings_train_cpu_seconds=3, embeddings_cpu_s_per_query=0.03,
    paired=(("prompt", "fine-tune", 2, 26), ("prompt", "embeddings + classifier", 2, 25),
            ("fine-tune", "embeddings + classifier", 3, 2))))


def situation(**changes) -> D.Situation:
    base = {"labelled_examples": 200, "queries_per_day": 1000, "latency_budget_ms": 3000,
            "specialisation": "in-house", "knowledge_changes": "rarely"}
    return D.Situation(**{**base, **changes})


def test_the_curve_is_quoted_at_a_measured_size_never_interpolated():
    assert GENERAL.curve_at(16) == (8, 0.6)
    assert GENERAL.curve_at(4) is None
    assert GENERAL.curve_at(5000) == (128, 0.88)  # no extrapolation upwards


def test_no_labels_means_prompt_and_retrieval_when_facts_change():
    rec = D.recommend(situation(labelled_examples=0), EVIDENCE)
    assert rec.choice == "prompt" and rec.rule == "what can be trained"
    assert any("no labelled examples" in r for r in rec.reasons)
    assert D.recommend(situation(labelled_examples=0, knowledge_changes="weekly"),
                       EVIDENCE).choice == "prompt + retrieval"


def test_specialised_task_with_labels_is_fine_tuned_and_hybrid_when_facts_change():
    rec = D.recommend(situation(), EVIDENCE)
    assert rec.choice == "fine-tune"
    assert any("0.60" in r and "0.90" in r for r in rec.reasons)  # the measured gap is quoted
    assert D.recommend(situation(knowledge_changes="weekly"), EVIDENCE).choice == "hybrid"


def test_general_task_where_the_prompt_is_as_good_stays_a_prompt():
    # 0.95 against 0.90 is 6 against 2 rows: a tie, so cost decides, and the prompt is cheaper.
    rec = D.recommend(situation(specialisation="general", queries_per_day=100), EVIDENCE)
    assert rec.choice == "prompt" and rec.rule == "cost"
    assert any("tied on quality" in r for r in rec.reasons)


def test_a_tight_latency_budget_counts_for_fine_tuning():
    rec = D.recommend(situation(specialisation="general", latency_budget_ms=50), EVIDENCE)
    assert rec.choice == "fine-tune" and rec.rule == "latency"
    assert any(r.startswith("Rule 5 (latency)") and "ruled out" in r for r in rec.reasons)
    neither = D.recommend(situation(specialisation="general", latency_budget_ms=5), EVIDENCE)
    assert neither.choice == "measure first" and neither.rule == "latency"
    assert any("none fits" in r for r in neither.reasons)


def test_break_even_days_by_hand():
    # Served serverless: no daily cost, so the break-even is the plain ratio. The 200 labels
    # are still to make (labels already held cost nothing).
    rec = D.recommend(situation(labelled_examples=0, labels_to_make=200, queries_per_day=1000,
                                serving="serverless"), EVIDENCE)
    prices = EVIDENCE.prices
    setup = 200 * 0.25 + 40 * 0.05 / 3600
    tuned_per_query = (0.03 * prices.serverless_gb_per_vcpu * prices.serverless_usd_per_gb_second
                       + prices.serverless_usd_per_million_requests / 1e6)
    prompt_per_query = (0.2 * prices.serverless_gb_per_vcpu * prices.serverless_usd_per_gb_second
                        + prices.serverless_usd_per_million_requests / 1e6)
    assert rec.numbers["setup_usd"] == pytest.approx(setup)
    assert rec.numbers["days_to_break_even"] == pytest.approx(
        setup / (prompt_per_query - tuned_per_query) / 1000)
    frontier = D.recommend(situation(labelled_examples=0, labels_to_make=200,
                                     prompt_model="frontier API", serving="serverless"),
                           EVIDENCE)
    gap = 800 * 2.5e-6 + 10e-6 - tuned_per_query
    assert frontier.numbers["days_to_break_even"] == pytest.approx(setup / gap / 1000)


def test_an_idle_server_can_mean_never_and_says_why():
    rec = D.recommend(situation(queries_per_day=100, prompt_model="frontier API"), EVIDENCE)
    assert math.isinf(rec.numbers["days_to_break_even"])
    # The idle server is in the fine-tuned encoder's total cost, by name and amount.
    server = 365.25 * 24 * 2 * EVIDENCE.prices.usd_per_cpu_hour
    assert any(f"fine-tune ${rec.numbers['tco_fine_tune_usd']:,.0f} (serving ${server:,.0f}"
               in r for r in rec.reasons)


def test_helper_numbers_are_the_cost_table():
    rows = D.cost_table(EVIDENCE, volumes=(100, 3000), labelled_examples=200)
    assert len(rows) == 2 * len(D.SERVING) * len(D.PROMPT_MODELS)
    for row in rows:
        rec = D.recommend(situation(labelled_examples=0, labels_to_make=200,
                                    queries_per_day=row["requests a day"],
                                    serving=row["serving"], prompt_model=row["prompt model"]),
                          EVIDENCE)
        assert rec.numbers["prompt_usd_per_1000"] == pytest.approx(row["prompt USD per 1,000"])
        assert rec.numbers["finetune_usd_per_1000"] == pytest.approx(
            row["fine-tuned USD per 1,000"])
        assert rec.numbers["days_to_break_even"] == pytest.approx(row["days to break even"])
        assert rec.numbers["setup_usd"] == pytest.approx(row["fine-tuned set-up USD"])


def test_unmeasured_models_say_so_and_quote_only_labelled_published_figures():
    for model in ("open 1-8B", "frontier API"):
        rec = D.recommend(situation(prompt_model=model), EVIDENCE)
        assert any(f"no {model} model was measured here" in r for r in rec.reasons)
        assert rec.numbers["prompt_accuracy"] is None
        published = [r for r in rec.reasons if "Published" in r]
        assert published and all(r.startswith(("Published (", "Published, GPT-3-era"))
                                 for r in published)
        assert all(re.search(r"\b20\d\d\b", r) for r in published)  # each names its year
    frontier = D.recommend(situation(prompt_model="frontier API"), EVIDENCE)
    assert any("Bucher & Martini 2024" in r for r in frontier.reasons)
    local = D.recommend(situation(), EVIDENCE)
    assert not any("Published" in r for r in local.reasons)  # measured here: no need


def test_no_fixed_votes_for_in_house():
    # The task's kind changes which evidence is quoted, never adds a vote: with the same
    # measurements, "domain" and "in-house" get the same answer.
    for model in D.PROMPT_MODELS:
        for per_day in (100, 1000, 100_000):
            for serving in D.SERVING:
                a = D.recommend(situation(specialisation="domain", prompt_model=model,
                                          queries_per_day=per_day, serving=serving), EVIDENCE)
                b = D.recommend(situation(specialisation="in-house", prompt_model=model,
                                          queries_per_day=per_day, serving=serving), EVIDENCE)
                assert a.choice == b.choice, (model, per_day, serving)


def test_bad_situations_are_refused():
    with pytest.raises(ValueError, match="specialisation"):
        situation(specialisation="medical")
    with pytest.raises(ValueError, match="knowledge_changes"):
        situation(knowledge_changes="daily")
    with pytest.raises(ValueError, match="queries_per_day"):
        situation(queries_per_day=0)
    with pytest.raises(ValueError, match="prompt_model"):
        situation(prompt_model="gpt-9")
    with pytest.raises(ValueError, match="serving"):
        situation(serving="on-prem")


def test_static_payload_holds_recommend_for_every_combination():
    helper = D.DecisionHelper(EVIDENCE)
    payload = helper.payload()
    sizes = [len(m[2]) for m in D.MENUS]
    assert len(payload["results"]) == math.prod(sizes)
    for key, (choice, headline, reasons) in payload["results"].items():
        rec = D.recommend(D.situation_for(tuple(map(int, key.split("-")))), EVIDENCE)
        assert payload["choices"][choice] == rec.choice
        assert payload["texts"][headline] == rec.headline
        assert [payload["texts"][i] for i in reasons] == list(rec.reasons)


def test_static_view_escapes_its_data():
    evil = replace(EVIDENCE, source='</script><script>alert(1)</script><img src=x onerror=alert(2)>')
    page = D.DecisionHelper(evil).to_html()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert ".innerHTML" not in page and "insertAdjacentHTML" not in page  # text only


def test_live_view_escapes_and_updates():
    pytest.importorskip("ipywidgets")
    helper = D.DecisionHelper(replace(EVIDENCE, source="<b>bold</b>"))
    box = helper.widget()
    assert "&lt;b&gt;bold&lt;/b&gt;" in helper._out.value
    first = helper._out.value
    helper._menus[0].value = 0  # no labelled examples
    assert helper._out.value != first and "prompt" in helper._out.value
    assert box.children[-1] is helper._out


def test_evidence_round_trips_through_json():
    assert D.Evidence.from_json(EVIDENCE.to_json()) == EVIDENCE


def test_reference_evidence_is_a_real_measurement():
    ev = D.reference_evidence()
    data = json.loads(ev.to_json())
    assert "make bench" in ev.source
    for key in ("general", "specialised"):
        task = data[key]
        assert 0 < task["prompt_accuracy"] <= 1 and 0 < task["finetune_accuracy"] <= 1
        assert task["prompt_p95_ms"] > 0 and task["finetune_p95_ms"] > 0
        assert task["prompt_tokens"] > task["prompt_tokens"] / 2 > 0
        assert len(task["curve"]) >= 3
    assert ev.general.task == "sentiment" and ev.specialised.task == "intent"


def test_recommendation_as_text_wraps_every_reason():
    rec = D.recommend(D.Situation(200, 3000, 300, "in-house", "rarely"), EVIDENCE)
    text = rec.as_text(width=60)
    assert text.startswith(rec.choice.upper() + ":")
    assert all(len(line) <= 60 for line in text.splitlines())
    assert text.count("\n- ") == len(rec.reasons)
    flat = " ".join(text.split())
    assert all(" ".join(reason.split()) in flat for reason in rec.reasons)


def test_the_helper_prices_a_prompt_as_the_head_to_head_table_does():
    """Two questions per ticket (intent, urgency): two prompts, two answer tokens, as in
    `compare.Side.cost_model`; the helper must not price one."""
    from tune_or_prompt.measure import costs
    from tune_or_prompt.measure.compare import reference_run

    side = reference_run().side("tickets", "prompting")
    for model in (costs.OPEN_MODEL, costs.FRONTIER_API):  # the hosted choices
        situation = D.Situation(200, 3000, 3000, "in-house", "rarely", model, "serverless")
        prompt, _, _ = D.costs_for(situation)
        table = side.cost_model(hosted_prompt=True, queries_per_day=3000, model=model)
        assert prompt.usd_per_1000() == pytest.approx(table.usd_per_1000())


# --- The six choices ---------------------------------------------------------------------

SIX = [  # (situation, evidence, the choice it must get)
    (situation(labelled_examples=0), EVIDENCE, "prompt"),
    (situation(), EVIDENCE, "fine-tune"),
    (situation(), WITH_EMBEDDINGS, "embeddings + classifier"),
    (situation(labelled_examples=0, knowledge_changes="weekly"), EVIDENCE, "prompt + retrieval"),
    (situation(knowledge_changes="weekly"), EVIDENCE, "hybrid"),
    (situation(prompt_model="open 1-8B", serving="serverless"), EVIDENCE, "measure first"),
]


def test_a_situation_for_each_of_the_six_choices():
    assert [choice for *_, choice in SIX] == list(D.CHOICES)  # every choice, in menu order
    for case, evidence, choice in SIX:
        rec = D.recommend(case, evidence)
        assert rec.choice == choice, (case, rec.as_text())
        assert rec.reasons


def test_embeddings_are_recommended_with_their_measured_numbers():
    rec = D.recommend(situation(), WITH_EMBEDDINGS)
    assert rec.choice == D.EMBEDDINGS and rec.numbers["embeddings_accuracy"] == 0.89
    assert rec.rule == "cost"  # tied with the fine-tuned encoder on quality: the simpler
    emb = next(r for r in rec.reasons if "the fine-tuned encoder alone got 3" in r)
    assert "0.90 and 0.89" in emb and "200 labelled" in emb  # both measured numbers
    training = next(r for r in rec.reasons if r.startswith("Training measured here"))
    assert "fine-tune 40.0 CPU s" in training and "embeddings + classifier 3.0 CPU s" in training
    assert "frozen" in rec.headline


def test_embeddings_need_a_measurement_not_beaten_by_the_sign_test():
    assert D.recommend(situation(), EVIDENCE).choice == "fine-tune"  # not measured: never
    behind = replace(WITH_EMBEDDINGS, specialised=replace(
        WITH_EMBEDDINGS.specialised, embeddings_accuracy=0.78,
        paired=(("prompt", "fine-tune", 2, 26), ("prompt", "embeddings + classifier", 2, 25),
                ("fine-tune", "embeddings + classifier", 12, 2))))
    rec = D.recommend(situation(), behind)
    assert rec.choice == "fine-tune" and rec.rule == "quality"
    assert any("the fine-tuned encoder is more accurate" in r and "0.78" in r
               for r in rec.reasons)


def test_embeddings_that_miss_the_latency_budget_leave_the_fine_tune():
    slow = replace(WITH_EMBEDDINGS, specialised=replace(WITH_EMBEDDINGS.specialised,
                                                        embeddings_p95_ms=80))
    rec = D.recommend(situation(latency_budget_ms=50), slow)
    assert rec.choice == "fine-tune" and rec.rule == "latency"
    assert any("embeddings + classifier 80 ms (measured), against your 50 ms: embeddings + "
               "classifier is ruled out" in r for r in rec.reasons)


def test_embeddings_never_replace_a_prompt():
    # The prompt wins on quality on the general task: a good embeddings score changes nothing.
    good = replace(WITH_EMBEDDINGS, general=replace(GENERAL, embeddings_accuracy=0.9))
    rec = D.recommend(situation(specialisation="general", queries_per_day=100), good)
    assert rec.choice == "prompt"


def test_changing_facts_with_embeddings_and_with_measure_first():
    rec = D.recommend(situation(knowledge_changes="weekly"), WITH_EMBEDDINGS)
    assert rec.choice == "hybrid" and "embeddings" in rec.headline
    unmeasured = situation(prompt_model="open 1-8B", serving="serverless",
                           knowledge_changes="monthly")
    rec = D.recommend(unmeasured, EVIDENCE)
    assert rec.choice == "measure first"  # measure before choosing between the combinations
    assert any("retrieval" in r for r in rec.reasons)


def test_measure_first_says_what_to_measure_and_on_which_rows():
    rec = D.recommend(situation(prompt_model="open 1-8B", serving="serverless"), EVIDENCE)
    assert rec.choice == "measure first" and rec.numbers["prompt_accuracy"] is None
    reason = next(r for r in rec.reasons if r.startswith("Rule 4 (unknown quality)"))
    assert ("`tune-or-prompt compare --data YOUR_FILE.csv --text-field TEXT_FIELD --label-field "
            "LABEL_FIELD --train-size 200 --base-url YOUR_ENDPOINT --model YOUR_MODEL_ID --out "
            "compare-out`") in reason
    assert "same test rows" in reason and "sign test" in reason
    assert "Measure" in rec.headline
    # The small local model was measured here: tied on quality, cost decides.
    even = replace(EVIDENCE, specialised=replace(SPECIALISED, prompt_accuracy=0.9,
                                                 paired=(("prompt", "fine-tune", 4, 4),)))
    rec = D.recommend(situation(serving="serverless", queries_per_day=100_000), even)
    assert rec.rule == "cost" and any("tied on quality" in r for r in rec.reasons)
    # Cost never decides for an unmeasured model, however high the volume.
    assert D.recommend(situation(prompt_model="open 1-8B", queries_per_day=100_000),
                       EVIDENCE).choice == "measure first"


accuracy = st.floats(0.3, 1.0)
rows_right = st.integers(0, 30)


@st.composite
def task_evidence(draw) -> D.TaskEvidence:
    # Paired counts near and far from what the sign test confirms, or embeddings not measured.
    emb = draw(st.booleans())
    pairs = [("prompt", "fine-tune", draw(rows_right), draw(rows_right))]
    if emb:
        pairs += [("prompt", D.EMBEDDINGS, draw(rows_right), draw(rows_right)),
                  ("fine-tune", D.EMBEDDINGS, draw(rows_right), draw(rows_right))]
    return replace(GENERAL, prompt_accuracy=draw(accuracy), finetune_accuracy=draw(accuracy),
                   prompt_p95_ms=draw(st.floats(5, 2000)), finetune_p95_ms=draw(st.floats(5, 500)),
                   prompt_tokens=draw(st.floats(20, 3000)),
                   curve=((8, draw(accuracy)), (32, draw(accuracy)), (128, draw(accuracy))),
                   embeddings_accuracy=draw(accuracy) if emb else None, embeddings_labelled=200,
                   embeddings_p95_ms=draw(st.floats(5, 500)) if emb else None,
                   embeddings_train_cpu_seconds=draw(st.floats(0.1, 100)) if emb else None,
                   paired=tuple(pairs))


@settings(max_examples=examples(300), deadline=None)
def contradictory(task: D.TaskEvidence) -> bool:
    """The three sign tests go round in a circle (A ahead of B, B of C, C of A)."""
    def beats(a: str, b: str) -> bool:
        counts = task.paired_counts(a, b)
        return counts is not None and counts[0] > counts[1] and sign_test(*counts) < D.LEVEL

    p, f, e = D.PROMPT, D.FINE_TUNE, D.EMBEDDINGS
    return any(beats(x, y) and beats(y, z) and beats(z, x) for x, y, z in ((p, f, e), (p, e, f)))


@given(task=task_evidence(), labelled=st.sampled_from([0, 5, 30, 200, 1000]),
       per_day=st.sampled_from([10, 100, 1000, 100_000]),
       budget=st.sampled_from([5, 50, 300, 3000]),
       specialisation=st.sampled_from(D.SPECIALISATION), changes=st.sampled_from(D.CHANGES),
       model=st.sampled_from(D.PROMPT_MODELS), serving=st.sampled_from(D.SERVING))
def test_recommend_always_answers_within_its_rules(task, labelled, per_day, budget,
                                                   specialisation, changes, model, serving):
    case = D.Situation(labelled, per_day, budget, specialisation, changes, model, serving)
    evidence = D.Evidence(task, task, "property test", EVIDENCE.prices)
    rec = D.recommend(case, evidence)
    assert rec.choice in D.CHOICES and rec.reasons and rec.headline
    # Embeddings + a classifier (alone, or as the trained part of a hybrid) only when measured
    # and not behind the fine-tuned encoder by the sign test.
    if rec.choice == "embeddings + classifier" or (rec.choice == "hybrid"
                                                   and "embeddings" in rec.headline):
        assert task.embeddings_accuracy is not None
        only_ft, only_emb = task.paired_counts("fine-tune", D.EMBEDDINGS)
        assert not (only_ft > only_emb and sign_test(only_ft, only_emb) < D.LEVEL)
        assert changes == "rarely" or rec.choice == "hybrid"
    # Measure first only where a quality or a latency is unknown: an unmeasured prompted model,
    # fewer labels than were measured, sign tests that contradict each other, or no option
    # that fits the budget.
    if rec.choice == "measure first":
        assert rec.rule in ("unknown quality", "latency")
        if rec.rule == "unknown quality":
            assert model != D.SMALL_LOCAL or labelled < 200 or contradictory(task)
    if labelled == 0 and model == D.SMALL_LOCAL and budget >= task.prompt_p95_ms:
        assert rec.choice in ("prompt", "prompt + retrieval")


def test_reference_evidence_wires_embeddings_from_the_reference_run():
    from tune_or_prompt.measure.compare import EMBEDDINGS, reference_run

    ev = D.reference_evidence()
    for task, key in (("reviews", "general"), ("tickets", "specialised")):
        side = reference_run().side(task, EMBEDDINGS)
        got = getattr(ev, key)
        assert got.embeddings_accuracy == side.accuracy
        main = side.details[got.task]
        assert got.embeddings_labelled == main.train_size  # the main target's, not the union
        assert got.embeddings_p95_ms == pytest.approx(1000 * side.latency_p95_s)
        assert got.embeddings_train_cpu_seconds == side.setup_cpu_seconds
    assert D.Evidence.from_json(ev.to_json()) == ev
    assert D.Evidence.from_json(WITH_EMBEDDINGS.to_json()) == WITH_EMBEDDINGS


def test_the_helper_reaches_all_six_choices_with_the_reference_evidence():
    payload = D.DecisionHelper().payload()
    assert payload["choices"] == list(D.CHOICES)
    assert {payload["choices"][c] for c, _, _ in payload["results"].values()} == set(D.CHOICES)


def test_recommendation_html_shows_every_choice():
    for case, evidence, choice in SIX:
        page = D.recommendation_html(D.recommend(case, evidence))
        assert f"<strong>{choice}</strong>" in page
