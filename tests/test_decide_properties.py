"""The decision rules' properties (issue #25), each over thousands of situations and of
evidence, and the named situations of the lessons and the decision guide with their verdicts.

The evidence is drawn: paired counts (the rows only one option got right) from clear wins to
ties, latencies, tokens and curves; or it is the course's reference run. Both trained
approaches learn from the same labelled examples, as in the head-to-head (`compare.Settings.
train_size`): with different sizes, more labels could bring in one trained option, beating the
other, and leave the prompt as the cheaper of the two left. The prompt's measured
p95 is drawn at least the encoders' (a generative model reading a prompt of examples against an
encoder reading one query on the same CPU), which the latency property relies on: a tie on cost
goes to the simpler option, and with an encoder slower than the prompt a tighter budget could
make the (simpler) prompt the pick over a faster encoder.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from properties import examples

from tune_or_prompt.course import decide as D
from tune_or_prompt.measure import costs

TRAINED = (D.FINE_TUNE, D.EMBEDDINGS, "hybrid")
PROMPTED = (D.PROMPT, "prompt + retrieval")
RULES = {r.name: r for r in D.RULES}
PRICES = costs.Prices(usd_per_cpu_hour=0.05, usd_per_label=0.25)
right = st.integers(0, 40)


@st.composite
def task_evidence(draw, equal: bool = False) -> D.TaskEvidence:
    """A task measured head to head; ``equal``: every pair got the same number of rows right
    alone (no quality difference at all)."""
    emb = draw(st.booleans())
    pairs = [(D.PROMPT, D.FINE_TUNE), (D.PROMPT, D.EMBEDDINGS), (D.FINE_TUNE, D.EMBEDDINGS)]
    counts = []
    for a, b in pairs if emb else pairs[:1]:
        x = draw(right)
        counts.append((a, b, x, x if equal else draw(right)))
    labelled = draw(st.sampled_from([100, 200, 400]))  # both trained on the same examples
    tuned_p95 = draw(st.floats(2, 400))
    emb_p95 = draw(st.floats(2, 400))
    acc = st.floats(0.2, 1.0)
    return D.TaskEvidence(
        task="intent", prompt_accuracy=draw(acc),
        prompt_p95_ms=max(tuned_p95, emb_p95 if emb else 0) + draw(st.floats(0, 2000)),
        prompt_tokens=draw(st.floats(20, 3000)), prompt_cpu_s_per_query=draw(st.floats(0.01, 2)),
        finetune_accuracy=draw(acc), finetune_labelled=labelled,
        finetune_p95_ms=tuned_p95, finetune_cpu_s_per_query=draw(st.floats(0.001, 0.2)),
        train_cpu_seconds=draw(st.floats(1, 500)),
        curve=((8, draw(acc)), (32, draw(acc)), (128, draw(acc))),
        requests_per_item=draw(st.sampled_from([1, 2])),
        embeddings_accuracy=draw(acc) if emb else None,
        embeddings_labelled=labelled if emb else None,
        embeddings_p95_ms=emb_p95 if emb else None,
        embeddings_train_cpu_seconds=draw(st.floats(0.1, 50)) if emb else None,
        embeddings_cpu_s_per_query=draw(st.floats(0.001, 0.2)) if emb else None,
        dataset="tickets", test_rows=80, paired=tuple(counts))


@st.composite
def evidence(draw, equal: bool = False) -> D.Evidence:
    if not equal and draw(st.integers(0, 4)) == 0:
        return D.reference_evidence()
    task = draw(task_evidence(equal))
    return D.Evidence(task, task, "drawn", PRICES)


@st.composite
def situations(draw) -> D.Situation:
    model = draw(st.sampled_from((*D.PROMPT_MODELS, costs.SMALL_API)))
    costing = D.Costing(horizon_months=draw(st.sampled_from([3, 12, 36])),
                        usd_per_engineering_hour=draw(st.sampled_from([0, 50, 150])))
    return D.Situation(
        labelled_examples=draw(st.sampled_from([0, 5, 30, 100, 200, 400, 5000])),
        queries_per_day=draw(st.sampled_from([10, 100, 3000, 20_000, 1_000_000])),
        latency_budget_ms=draw(st.sampled_from([5, 50, 200, 300, 1000, 3000])),
        specialisation=draw(st.sampled_from(D.SPECIALISATION)),
        knowledge_changes=draw(st.sampled_from(D.CHANGES)), prompt_model=model,
        serving=draw(st.sampled_from(D.SERVING)), data_may_leave=draw(st.booleans()),
        labels_consistent=draw(st.integers(0, 5)) > 0,
        labels_to_make=draw(st.sampled_from([0, 0, 200, 1000])),
        hosted_p95_ms=draw(st.none() | st.floats(50, 5000)),
        prompt_tokens=draw(st.none() | st.floats(50, 5000)), costing=costing)


def training_rank(choice: str) -> int:
    """How far a verdict goes towards training: prompt 0, measure first 1, trained 2."""
    return 2 if choice in TRAINED else 1 if choice == D.MEASURE_FIRST else 0


@settings(max_examples=examples(2000), deadline=None)
@given(situation=situations(), ev=evidence())
def test_an_unmeasured_prompt_is_never_beaten_on_cost_alone(situation, ev):
    rec = D.recommend(situation, ev)
    if situation.hosted and situation.data_may_leave:  # the prompt's quality is unknown
        assert not (rec.choice in TRAINED and rec.rule == "cost"), rec.as_text()


@settings(max_examples=examples(2000), deadline=None)
@given(situation=situations(), ev=evidence(), more=st.integers(1, 5000))
def test_holding_more_labels_never_makes_training_less_favourable(situation, ev, more):
    fewer = D.recommend(situation, ev)
    richer = D.recommend(replace(situation, labelled_examples=situation.labelled_examples + more),
                         ev)
    assert training_rank(richer.choice) >= training_rank(fewer.choice), (
        fewer.as_text(), richer.as_text())


@settings(max_examples=examples(2000), deadline=None)
@given(situation=situations(), ev=evidence(), factor=st.floats(1.01, 50), local=st.booleans())
def test_a_dearer_prompt_never_makes_prompting_more_favourable(situation, ev, factor, local):
    """Dearer: more tokens per query to a hosted model, or more CPU time per query for the
    model you run (the prompt's measured latency unchanged). Half the situations prompt the
    small local model: a hosted model's quality is unknown, so its price never reaches a
    verdict (rule 4), and only a measured prompt tests the cost rule."""
    if local:
        situation = replace(situation, prompt_model=D.SMALL_LOCAL)
    task = ev.for_task(situation.specialisation)
    tokens = situation.prompt_tokens or task.prompt_tokens
    dearer_task = replace(task, prompt_cpu_s_per_query=task.prompt_cpu_s_per_query * factor)
    dearer_ev = replace(ev, general=dearer_task, specialised=dearer_task)
    before = D.recommend(situation, ev)
    after = D.recommend(replace(situation, prompt_tokens=tokens * factor), dearer_ev)
    assert 2 - training_rank(after.choice) <= 2 - training_rank(before.choice), (
        before.as_text(), after.as_text())


def p95(rec: D.Recommendation, situation: D.Situation, ev: D.Evidence) -> float | None:
    task = ev.for_task(situation.specialisation)
    return {D.PROMPT: rec.numbers["prompt_p95_ms"], D.FINE_TUNE: task.finetune_p95_ms,
            D.EMBEDDINGS: task.embeddings_p95_ms}.get(rec.choice)


@settings(max_examples=examples(2000), deadline=None)
@given(situation=situations(), ev=evidence(), tighter=st.floats(0.05, 0.95))
def test_a_tighter_latency_budget_never_favours_a_slower_option(situation, ev, tighter):
    situation = replace(situation, knowledge_changes="rarely")  # verdicts are single options
    loose = D.recommend(situation, ev)
    tight_situation = replace(situation,
                              latency_budget_ms=situation.latency_budget_ms * tighter)
    tight = D.recommend(tight_situation, ev)
    slow, fast = p95(loose, situation, ev), p95(tight, tight_situation, ev)
    if tight.choice != loose.choice and None not in (slow, fast):
        assert fast <= slow, (loose.as_text(), tight.as_text())


@settings(max_examples=examples(2000), deadline=None)
@given(situation=situations(), ev=evidence(equal=True))
def test_equal_quality_never_yields_a_quality_reason(situation, ev):
    rec = D.recommend(situation, ev)
    assert rec.rule != "quality", rec.as_text()
    assert not any("more accurate" in r for r in rec.reasons), rec.as_text()


@settings(max_examples=examples(2000), deadline=None)
@given(situation=situations(), ev=evidence())
def test_every_recommendation_names_the_rule_that_decided(situation, ev):
    rec = D.recommend(situation, ev)
    rule = RULES[rec.rule]
    assert rec.reasons[0].startswith(f"Decided by {rule.title}: {rule.summary}")
    assert any(r.startswith(f"{rule.title}: ") for r in rec.reasons[1:]), rec.as_text()
    assert not any("clearly" in r for r in rec.reasons)


# --- The named situations of the lessons and the decision guide ------------------------------

LESSON_7 = D.Situation(labelled_examples=200, queries_per_day=3_000, latency_budget_ms=300,
                       specialisation="in-house", knowledge_changes="rarely")
NAMED = {  # name: (situation, verdict, the rule that decided)
    "issue 25's first bullet (frontier API, 200 labels, 3,000 a day)": (
        D.Situation(200, 3000, 3000, "general", "rarely", costs.FRONTIER_API, costs.SERVERLESS),
        D.MEASURE_FIRST, "unknown quality"),
    "Lesson 7: Quillfield": (LESSON_7, D.EMBEDDINGS, "cost"),
    "Lesson 7: fee facts change weekly": (
        replace(LESSON_7, knowledge_changes="weekly"), "hybrid", "cost"),
    "Lesson 7: no labelled tickets yet": (
        replace(LESSON_7, labelled_examples=0), D.MEASURE_FIRST, "latency"),
    "Lesson 7: 50 tickets a day": (replace(LESSON_7, queries_per_day=50), D.EMBEDDINGS, "cost"),
    "Lesson 7: a general task (sentiment)": (
        replace(LESSON_7, specialisation="general"), D.PROMPT, "cost"),
    "300 labels, 20,000 a day, 200 ms, frontier API, serverless": (
        D.Situation(300, 20_000, 200, "in-house", "rarely", costs.FRONTIER_API,
                    costs.SERVERLESS), D.MEASURE_FIRST, "unknown quality"),
    "50 labels, 100 a day, a few seconds, a small API": (
        D.Situation(50, 100, 3000, "in-house", "rarely", costs.SMALL_API), D.MEASURE_FIRST,
        "unknown quality"),
    "5,000 labels, 1,000,000 a day, 50 ms, an open 1-8B model": (
        D.Situation(5000, 1_000_000, 50, "in-house", "rarely", costs.OPEN_MODEL),
        D.MEASURE_FIRST, "unknown quality"),
    "Quillfield, facts weekly, labels applied unevenly": (
        replace(LESSON_7, knowledge_changes="weekly", labels_consistent=False),
        D.MEASURE_FIRST, "latency"),
    "the same, with a few seconds to answer": (
        replace(LESSON_7, knowledge_changes="weekly", labels_consistent=False,
                latency_budget_ms=3000), "prompt + retrieval", "what can be trained"),
    "Quillfield's text may not leave the bank, frontier API wanted": (
        replace(LESSON_7, prompt_model=costs.FRONTIER_API, data_may_leave=False), D.EMBEDDINGS,
        "cost"),
}


def test_the_named_situations_get_their_verdicts_and_rules():
    ev = D.reference_evidence()
    got = {name: (D.recommend(s, ev).choice, D.recommend(s, ev).rule)
           for name, (s, *_) in NAMED.items()}
    assert got == {name: (verdict, rule) for name, (_, verdict, rule) in NAMED.items()}


def test_quillfields_reasons_name_their_evidence():
    """The issue's mislabelled evidence: 268 was the union of two targets' labels, 6 and 83
    CPU seconds the sums of two trainings, and embeddings + classifier went unnamed."""
    rec = D.recommend(LESSON_7, D.reference_evidence())
    text = " ".join(rec.reasons)
    assert "268" not in text
    assert "trained on 200 labelled examples" in text and "80 test rows of tickets (intent)" in text
    assert "intent: 49.0 s on 200 labels" in text and "intent: 3.6 s on 200 labels" in text
    assert "embeddings + classifier (trained on 200 labelled examples) alone got 5 right" in text
    assert "sign test p = 0.727" in text and "tied on quality" in text
    assert "clearly" not in text


def test_measure_first_gives_the_command_and_what_each_result_means():
    s, *_ = NAMED["300 labels, 20,000 a day, 200 ms, frontier API, serverless"]
    rec = D.recommend(s, D.reference_evidence())
    reason = next(r for r in rec.reasons if r.startswith("Rule 4 (unknown quality)"))
    assert ("`tune-or-prompt compare --data YOUR_FILE.csv --text-field TEXT_FIELD --label-field "
            "LABEL_FIELD --train-size 300 --base-url YOUR_ENDPOINT --model YOUR_MODEL_ID --out "
            "compare-out`") in reason
    assert "a trained approach ahead (p < 0.05): train it; the prompt ahead: prompt" in reason
    assert "If they tie, cost decides (rule 6)" in reason
    assert all(r.startswith(("Published (", "Published, GPT-3-era")) and "20" in r
               for r in rec.reasons if "Published" in r)


def test_labels_already_held_cost_nothing_and_labels_to_make_do():
    ev = D.reference_evidence()
    held = D.tco(D.FINE_TUNE, LESSON_7, ev)
    to_make = D.tco(D.FINE_TUNE, replace(LESSON_7, labelled_examples=0, labels_to_make=200), ev)
    assert dict(held.parts)["labels to make"] == 0
    assert to_make.total - held.total == 200 * ev.prices.usd_per_label


def test_materiality_is_editable():
    ev = D.reference_evidence()
    strict = replace(LESSON_7, costing=D.Costing(materiality_share=0, materiality_floor_usd=0))
    rec = D.recommend(strict, ev)  # 8 engineering hours apart: no longer a tie
    assert rec.choice == D.EMBEDDINGS and rec.rule == "cost"
    assert any("cheaper by more than the materiality" in r for r in rec.reasons)


def test_new_situation_fields_are_checked():
    import pytest

    with pytest.raises(ValueError, match="labels_to_make"):
        replace(LESSON_7, labels_to_make=-1)
    with pytest.raises(ValueError, match="hosted_p95_ms"):
        replace(LESSON_7, hosted_p95_ms=0)
    with pytest.raises(ValueError, match="horizon_months"):
        D.Costing(horizon_months=0)


def test_sign_tests_that_contradict_each_other_ask_to_measure_more():
    """The prompt ahead of the fine-tuned encoder, embeddings + classifier ahead of the prompt,
    the fine-tuned encoder ahead of embeddings + classifier: each option is behind another, so
    quality decides nothing and the answer is to measure on more rows, whatever cost says."""
    task = replace(D.reference_evidence().specialised,
                   paired=((D.PROMPT, D.FINE_TUNE, 12, 0), (D.PROMPT, D.EMBEDDINGS, 0, 12),
                           (D.FINE_TUNE, D.EMBEDDINGS, 12, 0)))
    ev = replace(D.reference_evidence(), specialised=task)
    rec = D.recommend(replace(LESSON_7, latency_budget_ms=3000), ev)
    assert (rec.choice, rec.rule) == (D.MEASURE_FIRST, "unknown quality")
    assert "contradict each other" in rec.as_text()
