"""The study pages on the built site, driven in headless Chromium as a learner would."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from conftest import BROWSER_ARGS, CHROMIUM
from test_quiz_browser import answer, check, quiz_url, wrong_response

from tune_or_prompt.course import decide
from tune_or_prompt.course.pages import BY_SLUG
from tune_or_prompt.course.quiz import load_bank
from tune_or_prompt.course.quiz.grading import correct_response
from tune_or_prompt.course.study import scheduler as S

pytestmark = pytest.mark.browser
BY_TITLE = {slug: lesson.title for slug, lesson in BY_SLUG.items()}


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def at(day: str) -> str:
    """An init script that makes the page's clock read noon on ``day`` (the date moving on)."""
    ms = int(dt.datetime.fromisoformat(day + "T12:00:00").timestamp() * 1000)
    return f"Date.now = () => {ms};"


def miss_on_quiz(page, site_url, q):
    page.goto(quiz_url(site_url, q))
    question = page.locator(f'[data-qid="{q.id}"]')
    answer(question, q, wrong_response(q))
    assert "Not quite." in check(question)


def test_a_missed_question_comes_back_in_review_on_schedule(browser_context, site_url, bank):
    q = next(q for q in bank.by_lesson("measuring") if q.type == "single")
    page = browser_context.new_page()
    errors = []
    page.on("pageerror", lambda e: None if "THEBE_JS_URL" in str(e) else errors.append(str(e)))
    page.add_init_script(at("2026-05-10"))  # overrides Date.now on every page this tab opens
    try:
        page.goto(f"{site_url}/study/review.html")
        assert "Nothing to review yet" in page.locator(".ts-status").inner_text()
        miss_on_quiz(page, site_url, q)
        page.goto(f"{site_url}/study/review.html")
        review = page.locator("[data-top-study]")
        assert review.locator(".ts-status").inner_text().startswith("1 question due today (2026-05-10)")
        shown = review.locator(f'.tq-question[data-qid="{q.id}"]')
        assert shown.count() == 1  # the missed question is offered
        assert "missed in its quiz" in review.locator(".ts-from").inner_text()
        answer(shown, q, correct_response(q))
        assert "Correct." in check(shown)
        note = shown.locator(".ts-scheduled")
        # it starts in box 1: a hit moves it up to box 2, two days on
        assert (note.get_attribute("data-box"), note.get_attribute("data-due")) == ("2", "2026-05-12")
        assert review.locator('.ts-boxes li[data-box="2"]').inner_text().startswith("Box 2\n1 card")

        page.goto(f"{site_url}/study/review.html?today=2026-05-10")  # the hook, same day
        assert "Nothing due today (2026-05-10). Next review: 2026-05-12." in page.locator(
            ".ts-status").inner_text()
        # Two days later (Date.now moved on) it is due again; a hit moves it to box 3, 4 days on.
        page.add_init_script(at("2026-05-12"))
        page.goto(f"{site_url}/study/review.html")
        shown = page.locator(f'[data-top-study] .tq-question[data-qid="{q.id}"]')
        answer(shown, q, correct_response(q))
        check(shown)
        note = shown.locator(".ts-scheduled")
        assert (note.get_attribute("data-box"), note.get_attribute("data-due")) == ("3", "2026-05-16")
        page.goto(f"{site_url}/study/review.html?today=2026-05-15")
        assert page.locator("[data-top-study]").get_attribute("data-due") == "0"
        page.goto(f"{site_url}/study/review.html?today=2026-05-16")
        shown = page.locator(f'[data-top-study] .tq-question[data-qid="{q.id}"]')
        answer(shown, q, wrong_response(q))  # a miss sends it back to box 1
        assert "Not quite." in check(shown)
        note = shown.locator(".ts-scheduled")
        assert (note.get_attribute("data-box"), note.get_attribute("data-due")) == ("1", "2026-05-17")
        assert errors == []
    finally:
        page.evaluate("window.localStorage.clear()")
        page.close()


def test_the_browser_and_python_schedulers_agree(page, site_url):
    page.goto(f"{site_url}/study/review.html")
    rng = random.Random(4)
    day, card_py = dt.date(2027, 12, 20), None
    steps = []
    for _ in range(60):  # across a year end and the leap day of 2028
        day += dt.timedelta(days=rng.choice([0, 1, 2, 5, 17]))
        correct = rng.random() < 0.7
        card_py = S.answer(card_py, correct, day)
        steps.append((correct, day.isoformat(), card_py.to_json()))
    got = page.evaluate("""([rules, steps]) => {
        let card = null; const out = [];
        for (const [correct, day] of steps) { card = TOPStudy.answer(rules, card, correct, day); out.push(card); }
        return out; }""", [S.rules(), [[c, d] for c, d, _ in steps]])
    assert got == [expected for _, _, expected in steps]
    assert {c["box"] for c in got} == set(range(1, len(S.INTERVALS) + 1))  # every box was visited
    # and they put the cards due on a day in the same order
    for trial in range(5):
        ids = [f"c{i}" for i in range(30)]
        cards = {i: S.Card(rng.randint(1, 5), f"2028-03-{rng.randint(1, 28):02d}")
                 for i in ids if rng.random() < 0.7}
        deck = S.Deck(ids, cards)
        due_py = deck.due("2028-03-15")
        due_js = page.evaluate("""([due, cards, ids]) => TOPStudy.dueOrder(due, cards, ids)""",
                               [sorted(due_py, reverse=True),
                                {i: c.to_json() for i, c in cards.items()}, ids])
        assert due_js == due_py, trial
    # the page got its rules from Python (the payload), not from a copy in the script
    payload = json.loads(page.locator("[data-top-study] script[type='application/json']")
                         .text_content())
    assert payload["rules"] == S.rules()
    assert "1, 2, 4, 8, 16" not in page.evaluate("document.scripts[document.scripts.length-1].text")


def test_the_drill_grades_against_the_decision_function(page, site_url):
    page.goto(f"{site_url}/study/decision-drill.html")
    drill = page.locator("[data-top-study]")
    assert drill.locator("button.ts-choice").all_inner_texts() == list(decide.CHOICES)  # all six
    right_count = 0
    for n in range(8):
        key = drill.get_attribute("data-situation")
        selection = tuple(map(int, key.split("-")))
        rec = decide.recommend(decide.situation_for(selection))
        shown = drill.locator(".ts-situation dd").all_inner_texts()
        assert shown == [options[i][0] for (_, _, options), i in zip(decide.MENUS, selection,
                                                                      strict=True)]
        choice = rec.choice if n % 2 else next(c for c in decide.CHOICES if c != rec.choice)
        drill.locator(f'button[data-choice="{choice}"]').click()
        verdict = drill.locator(".tq-feedback .tq-verdict").inner_text()
        if choice == rec.choice:
            right_count += 1
            assert verdict == f"Right: {rec.choice}."
        else:
            assert verdict.startswith(f"Not this time: you chose {choice}; the course's rules "
                                      f"say {rec.choice}.")
        assert drill.locator(".ts-reasons li").all_inner_texts() == list(rec.reasons)
        assert drill.locator(".ts-headline").inner_text() == rec.headline
        assert drill.locator(".ts-drill-score").inner_text() == (
            f"Drill score: {right_count} right of {n + 1}.")
        drill.get_by_role("button", name="Next situation").click()
    seen = drill.get_attribute("data-situation")
    page.reload()  # the drill resumes where it was
    drill = page.locator("[data-top-study]")
    assert drill.get_attribute("data-situation") == seen
    # An answered situation is never asked again: answer, reload, and the drill has moved on
    # with the answer counted once.
    drill.locator("button.ts-choice").first.click()
    page.reload()
    drill = page.locator("[data-top-study]")
    assert drill.get_attribute("data-situation") != seen
    assert drill.locator(".ts-drill-score").inner_text().endswith("right of 9.")
    assert page.errors == [] and page.outside_requests == []


def test_mistakes_lists_wrong_answers_with_feedback_to_retry(page, site_url, bank):
    q = next(q for q in bank.by_lesson("prompting") if q.type == "single")
    page.goto(f"{site_url}/study/mistakes.html")
    assert page.locator("[data-top-study]").get_attribute("data-mistakes") == "0"
    miss_on_quiz(page, site_url, q)
    page.goto(f"{site_url}/study/mistakes.html")
    shown = page.locator(f'[data-top-study] .tq-question[data-qid="{q.id}"]')
    assert "Not quite." in shown.locator(".tq-feedback").inner_text()
    wrong = q.options[wrong_response(q)]
    assert "Wrong choice" in shown.locator(".tq-opt-feedback:not([hidden])").inner_text()
    assert shown.locator(".tq-opt-feedback:not([hidden])").inner_text().count(
        wrong.feedback.split()[0]) >= 1
    shown.get_by_role("button", name="Try again").click()
    answer(shown, q, correct_response(q))
    assert "Correct." in check(shown)
    page.goto(f"{site_url}/study/mistakes.html")  # fixed: gone from Mistakes, right in its quiz
    assert page.locator("[data-top-study]").get_attribute("data-mistakes") == "0"
    page.goto(quiz_url(site_url, q))
    assert "Correct." in page.locator(f'[data-qid="{q.id}"] .tq-feedback').inner_text()
    assert page.errors == []


def test_export_then_import_into_a_fresh_profile(page, browser_context, site_url, bank, tmp_path):
    q = next(q for q in bank.by_lesson("choosing") if q.type == "single")
    miss_on_quiz(page, site_url, q)
    page.goto(f"{site_url}/study/decision-drill.html")
    page.locator("[data-top-study] button.ts-choice").first.click()
    page.goto(f"{site_url}/quizzes/progress.html")
    study = page.locator("[data-top-study]")
    assert study.locator('tr[data-mode="mistakes"] td').inner_text() == "1 wrong answer to retry"
    assert study.locator('tr[data-mode="drill"] td').inner_text().startswith("1 situation answered")
    with page.expect_download() as info:
        study.get_by_role("button", name="Export progress to a file").click()
    exported = tmp_path / "progress.json"
    info.value.save_as(exported)
    data = json.loads(exported.read_text())
    assert data["format"] == "tune-or-prompt-progress" and "top-quiz:v1:choosing" in data["data"]

    fresh = fresh_browser(browser_context, tmp_path / "fresh-profile")
    try:
        other = fresh.new_page()
        other.goto(f"{site_url}/quizzes/progress.html")
        box = other.locator("[data-top-study]")
        assert box.locator('tr[data-mode="mistakes"] td').inner_text() == "0 wrong answers to retry"
        upload = box.locator("input[type=file]")
        # A foreign file, then a damaged one, are refused and change nothing.
        other.evaluate("localStorage.setItem('top-study:v1:drill', JSON.stringify({seed: 2026, "
                       "position: 3, answered: 3, correct: 2}))")
        for name, content, why in [
            ("other.json", json.dumps({"format": "something-else", "data": {}}),
             "not a Tune or Prompt progress file"),
            ("cut.json", exported.read_text()[:-40], "not JSON"),
            ("bad-card.json", json.dumps({**data, "data": {**data["data"], "top-study:v1:review":
                                          {"cards": {"x": {"box": 9, "due": "2026-01-01"}}}}}),
             "review schedule is damaged"),
            ("foreign-key.json", json.dumps({**data, "data": {"evil": {}}}), "does not use"),
        ]:
            upload.set_input_files({"name": name, "mimeType": "application/json",
                                    "buffer": content.encode()})
            message = box.locator(".ts-message")
            message.filter(has_text="Not imported").wait_for()
            assert why in message.inner_text() and "current progress is kept" in message.inner_text()
            assert json.loads(other.evaluate("localStorage.getItem('top-study:v1:drill')"))[
                "answered"] == 3
        upload.set_input_files(str(exported))
        box.locator(".ts-message").filter(has_text="Imported").wait_for()
        assert box.locator('tr[data-mode="mistakes"] td').inner_text() == "1 wrong answer to retry"
        assert box.locator('tr[data-mode="drill"] td').inner_text().startswith("1 situation answered")
        other.goto(quiz_url(site_url, q))  # the quiz answer came across
        assert "Not quite." in other.locator(f'[data-qid="{q.id}"] .tq-feedback').inner_text()
    finally:
        fresh.close()


def fresh_browser(context, folder):
    """A second Chromium with its own, empty profile (another browser, as far as storage goes)."""
    return context.top_playwright.chromium.launch_persistent_context(str(folder), executable_path=CHROMIUM,
                                                 headless=True, args=BROWSER_ARGS,
                                                 accept_downloads=True)


def test_keyboard_only(page, site_url, bank):
    page.goto(f"{site_url}/study/decision-drill.html")
    drill = page.locator("[data-top-study]")
    first = drill.get_attribute("data-situation")
    drill.locator(".ts-choice").first.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the second choice
    assert drill.locator(".tq-feedback").get_attribute("aria-live") == "polite"
    assert drill.locator(".tq-feedback .tq-verdict").inner_text()
    assert page.evaluate("document.activeElement.textContent") == "Next situation"
    page.keyboard.press("Enter")
    assert drill.get_attribute("data-situation") != first
    assert page.evaluate("document.activeElement.id") == "ts-drill-title"

    q = next(q for q in bank.by_lesson("two-ways") if q.type == "single")
    miss_on_quiz(page, site_url, q)
    page.goto(f"{site_url}/study/review.html")
    shown = page.locator(f'[data-top-study] .tq-question[data-qid="{q.id}"]')
    shown.locator("input").first.focus()
    page.keyboard.press("Space")
    for _ in range(correct_response(q)):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Check"
    page.keyboard.press("Enter")
    assert "Moved up to box 2" in shown.locator(".tq-feedback").inner_text()
    assert page.evaluate("document.activeElement.textContent") == "Next question"


def test_mixed_practice_interleaves_and_keeps_its_score(page, site_url, bank):
    from tune_or_prompt.course.study import interleave

    order = interleave(bank, seed=2026)
    by_id = {q.id: q for q in bank.questions}
    page.goto(f"{site_url}/study/mixed-practice.html")
    mixed = page.locator("[data-top-study]")
    for n in range(4):
        q = by_id[order[n]]
        shown = mixed.locator(f'.tq-question[data-qid="{q.id}"]')
        assert shown.locator(".tq-title").inner_text() == f"Question {n + 1}"
        assert BY_TITLE[q.lesson] in shown.locator(".ts-from").inner_text()
        answer(shown, q, correct_response(q) if n % 2 else wrong_response(q))
        check(shown)
        assert mixed.locator(".ts-mixed-score").inner_text() == (
            f"Mixed practice: {(n + 1) // 2} right of {n + 1}.")
        shown.get_by_role("button", name="Next question").click()
    page.reload()  # resumes at the fifth question
    assert page.locator(f'[data-top-study] .tq-question[data-qid="{order[4]}"]').count() == 1
    assert page.errors == []


def test_flashcards_are_rated_and_come_back_on_schedule(browser_context, site_url):
    from tune_or_prompt.course.study.flashcards import cards

    deck = cards()
    page = browser_context.new_page()
    page.add_init_script(at("2026-07-01"))
    try:
        page.goto(f"{site_url}/study/flashcards.html")
        fc = page.locator("[data-top-study]")
        assert fc.get_attribute("data-due") == str(S.NEW_PER_DAY)  # the day's new cards, no more
        first, second = deck[0]["id"], deck[1]["id"]
        assert fc.locator(".ts-card").get_attribute("data-card") == first
        assert fc.locator(".ts-back").is_hidden()
        fc.get_by_role("button", name="Show answer").click()
        assert fc.locator(".ts-back").is_visible()
        fc.get_by_role("button", name="I knew it").click()
        assert fc.get_attribute("data-last") == f"{first} 2 2026-07-03"  # up from box 1
        assert fc.locator(".ts-status").inner_text().startswith("Knew it: box 2, back on 2026-07-03.")
        assert fc.locator(".ts-card").get_attribute("data-card") == second
        fc.get_by_role("button", name="Show answer").click()
        fc.get_by_role("button", name="Not yet").click()
        assert fc.get_attribute("data-last") == f"{second} 1 2026-07-02"  # not yet: tomorrow
        assert fc.get_attribute("data-due") == str(S.NEW_PER_DAY - 2)  # no new card takes their place
        assert fc.locator('.ts-boxes li[data-box="1"]').inner_text().startswith("Box 1\n1 card")
        assert fc.locator('.ts-boxes li[data-box="2"]').inner_text().startswith("Box 2\n1 card")

        page.add_init_script(at("2026-07-02"))  # the next day the missed card is back, first
        page.goto(f"{site_url}/study/flashcards.html")
        fc = page.locator("[data-top-study]")
        assert fc.get_attribute("data-due") == str(1 + S.NEW_PER_DAY)  # and a new day's new cards
        assert fc.locator(".ts-card").get_attribute("data-card") == second
        assert "box 1" in fc.locator(".ts-card .tq-title").inner_text()
        fc.get_by_role("button", name="Show answer").click()
        fc.get_by_role("button", name="Not yet").click()  # missed again: box 1, due tomorrow
        assert fc.get_attribute("data-last") == f"{second} 1 2026-07-03"
        page.goto(f"{site_url}/study/flashcards.html?today=2026-07-03")
        fc = page.locator("[data-top-study]")
        assert fc.get_attribute("data-due") == str(2 + S.NEW_PER_DAY)  # both due, then new ones
        assert fc.locator(".ts-card").get_attribute("data-card") == second  # lowest box first
        page.goto(f"{site_url}/quizzes/progress.html?today=2026-07-03")
        row = page.locator('[data-top-study] tr[data-mode="flashcards"] td').inner_text()
        assert row == f"2 cards of {len(deck)} rated, 2 of them due today"
    finally:
        page.evaluate("window.localStorage.clear()")
        page.close()


def test_the_cheat_sheet_prints_on_one_page_without_the_site_menus(page, site_url, tmp_path):
    page.goto(f"{site_url}/study/cheat-sheet.html")
    article = page.locator("article")
    assert "Decide in this order" in article.inner_text()
    assert page.locator(".bd-sidebar-primary").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".bd-sidebar-primary").is_visible()
    assert not page.locator(".bd-header").is_visible()
    assert page.get_by_role("heading", name="Decide in this order").is_visible()
    pdf = page.pdf(format="A4", print_background=False)
    pages = len(__import__("re").findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, pages  # one printable page (the theme alone prints it on two)


def test_flashcards_with_the_keyboard_only(page, site_url):
    page.goto(f"{site_url}/study/flashcards.html")
    fc = page.locator("[data-top-study]")
    fc.get_by_role("button", name="Show answer").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.textContent") == "I knew it"
    assert fc.get_by_role("button", name="Show answer").count() == 0  # replaced by the answer
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # "Not yet"
    assert fc.get_attribute("data-last").split()[1] == "1"
    assert page.evaluate("document.activeElement.textContent") == "Show answer"
    assert fc.locator(".ts-status").get_attribute("aria-live") == "polite"
    assert fc.locator(".ts-status").inner_text().startswith("Not yet: box 1")


@pytest.mark.parametrize("name", ["study/review", "study/decision-drill", "study/flashcards",
                                  "quizzes/progress", "study/worked-examples",
                                  "study/explain-it-back", "study/quick-path"])
def test_study_widgets_pass_axe_in_both_themes(page, site_url, bank, name):
    from site_audit import AXE_JS, set_theme

    if not AXE_JS.exists():
        pytest.skip("axe-core is not installed (make axe)")
    miss_on_quiz(page, site_url, next(q for q in bank.by_lesson("two-ways") if q.type == "single"))
    page.goto(f"{site_url}/{name}.html")
    study = page.locator("[data-top-study]")
    if name == "study/decision-drill":
        study.locator("button.ts-choice").first.click()  # feedback shown, choices disabled
    elif name == "study/flashcards":
        study.get_by_role("button", name="Show answer").click()
    elif name == "study/review":
        study.locator(".tq-question input").first.check()
        study.get_by_role("button", name="Check").click()
    elif name == "study/worked-examples":  # a verdict shown
        asked = study.first.locator('li[data-step="asked"]')
        asked.nth(0).locator("input").fill("1")
        asked.nth(0).get_by_role("button", name="Check").click()
    elif name == "study/explain-it-back":
        study.locator(".ts-reveal").first.click()
        study.locator(".ts-checklist input").first.check()
    elif name == "study/quick-path":
        study = page.locator("[data-top-quiz]")
        study.locator(".tq-question input").first.check()
        study.get_by_role("button", name="Check").first.click()
    widget = "[data-top-quiz]" if name == "study/quick-path" else "[data-top-study]"
    page.add_script_tag(path=str(AXE_JS))
    for theme in ("light", "dark"):
        set_theme(page, theme)
        found = page.evaluate("""async () => {  // only the study widget (the theme is audited apart)
            const r = await axe.run({include: [[WIDGET]]}, {resultTypes: ["violations"]});
            return r.violations.map(v => [v.id, v.nodes.map(n => n.target.join(" "))]); }"""
                              .replace("WIDGET", json.dumps(widget)))
        assert found == [], (theme, found)


# --- Worked examples, explain it back and the quick path (issue #16) ---------------------------

def test_a_faded_step_is_graded_wrong_then_right_and_kept(page, site_url):
    from tune_or_prompt.course.study import faded_steps
    from tune_or_prompt.course.study.worked import problems

    problem = problems("metrics", 2026)[1]  # one step (F1) left to fill in
    (index,) = problem.hidden_steps
    step = problem.steps[index]
    qid = problem.question(index).id
    page.goto(f"{site_url}/study/worked-examples.html")
    worked = page.locator("[data-top-study]").first
    first = worked.locator(f'[data-problem="{problems("metrics", 2026)[0].id}"]')
    assert first.locator('[data-step="asked"]').count() == 0  # the first is fully worked
    assert step.name in worked.locator(f'[data-problem="{problem.id}"]').inner_text()
    asked = worked.locator(f'li[data-qid="{qid}"]')
    feedback = asked.locator(".tq-feedback")
    assert feedback.get_attribute("aria-live") == "polite" and feedback.get_attribute("role") == "status"
    asked.get_by_label(step.name).fill(f"{(problem.steps[0].answer + problem.steps[1].answer) / 2 + 0.05:.3f}")
    asked.get_by_role("button", name="Check").click()
    assert feedback.inner_text().startswith("\u2718") and "Not yet." in feedback.inner_text()
    assert asked.get_attribute("data-correct") == "false"
    asked.get_by_label(step.name).fill(step.shown())
    asked.get_by_label(step.name).press("Enter")  # Enter checks too
    assert "Right." in feedback.inner_text() and step.shown() in feedback.inner_text()
    assert asked.get_attribute("data-correct") == "true"
    assert worked.locator(".ts-worked-score").inner_text() == "Steps you filled in right here: 1 of 6."
    page.reload()  # the answer and its verdict are kept
    asked = page.locator(f'[data-top-study] li[data-qid="{qid}"]')
    assert asked.locator("input").input_value() == step.shown()
    assert "Right." in asked.locator(".tq-feedback").inner_text()
    page.goto(f"{site_url}/quizzes/progress.html")
    row = page.locator('[data-top-study] tr[data-mode="worked"] td').inner_text()
    assert row == f"1 of {faded_steps()} faded steps right"
    assert page.errors == [] and page.outside_requests == []


def test_explain_it_back_reveal_and_checklist_persist(page, site_url):
    from tune_or_prompt.course.study.explain import load_prompts

    prompts = load_prompts()
    first = prompts[0]
    page.goto(f"{site_url}/study/explain-it-back.html")
    root = page.locator("[data-top-study]")
    sec = root.locator(f'[data-prompt="{first.id}"]')
    assert root.locator(".ts-explain").count() == len(prompts)
    model = sec.locator(".ts-model")
    assert model.is_hidden()
    sec.get_by_label("Your explanation, in your own words").fill("The examples sit in the prompt.")
    reveal = sec.locator("button.ts-reveal")
    assert reveal.inner_text() == "Show model answer"
    assert reveal.get_attribute("aria-expanded") == "false"
    reveal.click()
    assert model.is_visible() and reveal.get_attribute("aria-expanded") == "true"
    assert reveal.inner_text() == "Hide model answer"
    assert page.evaluate("document.activeElement.type") == "checkbox"  # focus moves to the list
    boxes = sec.locator(".ts-checklist input[type=checkbox]")
    assert boxes.count() == len(first.checklist)
    boxes.nth(0).check()
    boxes.nth(2).check()
    assert sec.locator(".ts-tally").inner_text() == (
        f"Your explanation covers 2 of {len(first.checklist)} points.")
    assert root.locator(".ts-explain-score").inner_text().startswith(
        f"1 of {len(prompts)} explanations checked against the model answer; 2 points ticked.")
    page.reload()
    sec = page.locator(f'[data-top-study] [data-prompt="{first.id}"]')
    assert sec.locator(".ts-model").is_visible()
    assert sec.locator("textarea").input_value() == "The examples sit in the prompt."
    checked = sec.locator(".ts-checklist input[type=checkbox]")
    assert [checked.nth(i).is_checked() for i in range(checked.count())][:3] == [True, False, True]
    page.goto(f"{site_url}/quizzes/progress.html")
    row = page.locator('[data-top-study] tr[data-mode="explain"] td').inner_text()
    assert row == f"1 of {len(prompts)} explanations checked, 2 checklist points ticked"
    assert page.errors == []


def test_the_quick_path_grades_its_questions_and_links_the_course(page, site_url, site, bank):
    from tune_or_prompt.course.study import QUICK_QUESTIONS

    page.goto(f"{site_url}/study/quick-path.html")
    quiz = page.locator("[data-top-quiz]")
    shown = [quiz.locator(".tq-question").nth(i).get_attribute("data-qid") for i in range(5)]
    assert shown == list(QUICK_QUESTIONS)
    right, wrong = bank.get(QUICK_QUESTIONS[0]), bank.get(QUICK_QUESTIONS[2])
    q1 = quiz.locator(f'[data-qid="{right.id}"]')
    answer(q1, right, correct_response(right))
    assert "Correct." in check(q1)
    q3 = quiz.locator(f'[data-qid="{wrong.id}"]')
    answer(q3, wrong, wrong_response(wrong))
    assert "Not quite." in check(q3)
    assert quiz.locator(".tq-score").inner_text() == "Score: 1 of 5 correct (2 answered)"
    assert page.errors == [] and page.outside_requests == []
    page.goto(f"{site_url}/quizzes/progress.html")
    row = page.locator('[data-top-study] tr[data-mode="quick"] td').inner_text()
    assert row == "1 of 5 questions right (2 answered)"
    page.goto(f"{site_url}/study/quick-path.html")
    route = page.locator("article ol").first
    hrefs = route.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(hrefs) >= 5
    for href in hrefs:  # every stop is a page (and anchor) of the built site
        path, _, anchor = href.partition("#")
        target = (site / "study" / path).resolve()
        assert target.is_file(), href
        if anchor:
            assert f'id="{anchor}"' in target.read_text(), href


def test_worked_examples_with_the_keyboard_only(page, site_url):
    from tune_or_prompt.course.study.worked import problems

    problem = problems("budget", 2026)[1]
    (index,) = problem.hidden_steps
    page.goto(f"{site_url}/study/worked-examples.html")
    box = page.locator(f'li[data-qid="{problem.question(index).id}"] input')
    box.focus()
    page.keyboard.type(problem.steps[index].shown())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Check"
    page.keyboard.press("Enter")
    assert "Right." in page.locator(f'li[data-qid="{problem.question(index).id}"] .tq-feedback'
                                     ).inner_text()
