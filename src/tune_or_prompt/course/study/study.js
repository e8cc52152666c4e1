/* Tune or Prompt: the static (kernel-free) study pages: Review, Mistakes, Decision drill, Mixed
 * practice, Flashcards, Worked examples, Explain it back and the study part of My progress
 * (with export and import).
 * Questions are shown and graded by quiz.js (window.TOPQuiz, loaded first), from the bank's data.
 * Reviews follow the Leitner rules sent by tune_or_prompt.study.scheduler (cfg.rules); the drill
 * shows decide.recommend()'s precomputed answers. Bank strings arrive as HTML rendered by
 * markdown-it with raw HTML disabled; everything else is set with textContent. No network. */
(function () {
  "use strict";
  if (window.TOPStudy) { window.TOPStudy.mountAll(); return; }
  var Q = window.TOPQuiz;
  var DAY_MS = 86400000;
  var ISO = /^\d{4}-\d{2}-\d{2}$/;

  /* ---- dates: ISO strings (YYYY-MM-DD), compared as text ---- */
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function today() {
    var hook = null;
    try { hook = new URLSearchParams(window.location.search).get("today"); } catch (e) { hook = null; }
    if (hook && ISO.test(hook)) { return hook; }
    var d = new Date(Date.now());
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }
  function addDays(day, n) {
    var p = day.split("-").map(Number);
    return new Date(Date.UTC(p[0], p[1] - 1, p[2]) + n * DAY_MS).toISOString().slice(0, 10);
  }

  /* ---- the scheduler: scheduler.answer() / is_due(), applied from the rules as data ---- */
  function answer(rules, card, correct, day) {
    var last = rules.intervals.length;
    var box = correct ? Math.min((card ? card.box : rules.newBox) + 1, last) : rules.missBox;
    return { box: box, due: addDays(day, rules.intervals[box - 1]) };
  }
  function isDue(card, day) { return !card || card.due <= day; }
  function validCard(rules, card) {
    return !!card && typeof card === "object" && typeof card.box === "number" && card.box % 1 === 0 &&
      card.box >= 1 && card.box <= rules.intervals.length && typeof card.due === "string" && ISO.test(card.due) &&
      !isNaN(Date.parse(card.due + "T00:00:00Z"));
  }

  /* scheduler.Deck.due's order: scheduled cards first (box, then date), then new ones in deck order */
  function dueOrder(due, cards, deckOrder) {
    function key(id) { return cards[id] ? [0, cards[id].box, cards[id].due] : [1, 0, ""]; }
    return due.slice().sort(function (a, b) {
      var ka = key(a), kb = key(b);
      return ka[0] - kb[0] || ka[1] - kb[1] || (ka[2] < kb[2] ? -1 : ka[2] > kb[2] ? 1 : 0) ||
        deckOrder.indexOf(a) - deckOrder.indexOf(b);
    });
  }

  /* ---- storage ---- */
  function storage() {
    try { var s = window.localStorage; s.setItem("top-study:probe", "1"); s.removeItem("top-study:probe"); return s; }
    catch (e) { return null; }
  }
  function load(key) {
    var s = storage();
    if (!s) { return {}; }
    try { var v = JSON.parse(s.getItem(key) || "{}"); return (v && typeof v === "object") ? v : {}; } catch (e) { return {}; }
  }
  function save(key, value) {
    var s = storage();
    if (s) { try { s.setItem(key, JSON.stringify(value)); } catch (e) { /* full or blocked */ } }
  }

  /* ---- the shape of each study entry: the pages read an entry only when it passes, and an
   * import is refused whole when one fails (quiz entries and the ledger: quiz.js's checks) ---- */
  function isObject(v) { return !!v && typeof v === "object" && !Array.isArray(v); }
  function isCount(v) { return typeof v === "number" && v >= 0 && v % 1 === 0; }
  /* Each check returns "" for a sound entry, else what in it is damaged (the entry itself is named
   * in words by keyName: "your flashcard schedule", never by its storage key) */
  function cardsError(rules, v) {
    if (!isObject(v) || (v.cards !== undefined && !isObject(v.cards))) { return "it is not a schedule of cards"; }
    var cards = v.cards || {}, ids = Object.keys(cards);
    for (var j = 0; j < ids.length; j++) {
      if (!validCard(rules, cards[ids[j]])) { return "card " + ids[j].slice(0, 60) + " has no valid box or date"; }
    }
    return "";
  }
  var SHAPES = {
    review: function (rules, v) { return cardsError(rules, v); },
    flashcards: function (rules, v) {
      var e = cardsError(rules, v);
      if (!e && v.newToday !== undefined && !(isObject(v.newToday) && ISO.test(v.newToday.day) && isCount(v.newToday.count))) {
        e = "its count of new cards today is not valid";
      }
      return e;
    },
    practice: function (rules, v) {  /* the drill and mixed practice */
      return isObject(v) && isCount(v.seed) && isCount(v.position) && isCount(v.answered) && isCount(v.correct) &&
        v.correct <= v.answered && (v.last === undefined || isObject(v.last)) ? "" : "its score is not valid";
    },
    worked: function (rules, v) {
      if (!isObject(v) || (v.steps !== undefined && !isObject(v.steps))) { return "it is not a list of steps"; }
      var steps = v.steps || {}, ids = Object.keys(steps);
      for (var i = 0; i < ids.length; i++) {
        var st = steps[ids[i]];
        if (!isObject(st) || typeof st.response !== "string" || typeof st.correct !== "boolean" || !isCount(st.attempts)) {
          return "step " + ids[i].slice(0, 60) + " is not valid";
        }
      }
      return "";
    },
    explain: function (rules, v) {
      if (!isObject(v) || (v.prompts !== undefined && !isObject(v.prompts))) { return "it is not a list of explanations"; }
      var all = v.prompts || {}, ids = Object.keys(all);
      for (var i = 0; i < ids.length; i++) {
        var e = all[ids[i]];
        if (!isObject(e) || (e.text !== undefined && typeof e.text !== "string") ||
            (e.revealed !== undefined && typeof e.revealed !== "boolean") ||
            (e.checked !== undefined && !(Array.isArray(e.checked) && e.checked.every(isCount)))) {
          return "explanation " + ids[i].slice(0, 60) + " is not valid";
        }
      }
      return "";
    },
    quiz: function (rules, v) { return Q.quizEntryError(v); },
    answers: function (rules, v) { return Q.ledgerError(v); }
  };
  /* An entry, read only when sound: a damaged one reads as empty (the page starts afresh). */
  function loadShape(key, shape, rules) {
    var v = load(key);
    return SHAPES[shape](rules || { intervals: [1] }, v) ? {} : v;
  }

  /* ---- DOM helpers ---- */
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "class") { node.className = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function button(label, cls, onClick) {
    var b = el("button", { type: "button", class: "tq-btn " + (cls || "") }, label);
    b.addEventListener("click", onClick);
    return b;
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  /* ---- what the lesson quizzes stored ---- */
  function quizAnswers(cfg) {
    var out = [];  /* [{lesson, id, state}] in lesson order, bank order within a lesson */
    var byId = {};
    cfg.questions.forEach(function (q) { byId[q.id] = q; });
    Object.keys(cfg.quizKeys).forEach(function (slug) {
      var answers = loadShape(cfg.quizKeys[slug], "quiz").answers || {};
      cfg.questions.forEach(function (q) {
        var s = answers[q.id];
        if (q.lesson === slug && s && s.response !== undefined && s.response !== null) {
          out.push({ lesson: slug, id: q.id, state: s });
        }
      });
    });
    return out;
  }

  /* The latest verdict on each question, wherever it was answered: quiz.js's ledger, and for
   * answers stored before the ledger existed, the lesson quizzes' own answers. */
  function verdicts(cfg) {
    var out = {};
    quizAnswers(cfg).forEach(function (a) { out[a.id] = { correct: !!a.state.correct, from: "quiz", day: null }; });
    var led = Q.ledger();
    Object.keys(led).forEach(function (id) { out[id] = led[id]; });
    return out;
  }
  /* Mistakes: every question whose latest answer, anywhere, was wrong, in the bank's order. */
  function mistakeIds(cfg) {
    var v = verdicts(cfg);
    return cfg.questions.map(function (q) { return q.id; }).filter(function (id) { return v[id] && !v[id].correct; });
  }

  /* The review deck: stored cards, plus every question answered anywhere. A question missed and
   * never reviewed is due now, and so is one missed elsewhere since its last review; one answered
   * right enters the boxes as a first hit on the day it was answered. */
  function reviewDeck(cfg, day) {
    var cards = loadShape(cfg.reviewKey, "review", cfg.rules).cards || {};
    var missed = {};
    var changed = false;
    var v = verdicts(cfg);
    Object.keys(v).forEach(function (id) {
      if (!v[id].correct && v[id].from !== "review") { missed[id] = true; return; }
      if (cards[id] || !v[id].correct || v[id].from === "review") { return; }  /* Review files its own answers */
      cards[id] = answer(cfg.rules, null, true, v[id].day && v[id].day <= day ? v[id].day : day); changed = true;
    });
    if (changed) { save(cfg.reviewKey, { cards: cards }); }
    var ids = cfg.questions.map(function (q) { return q.id; })
      .filter(function (id) { return cards[id] || missed[id]; });
    var due = ids.filter(function (id) { return missed[id] || isDue(cards[id], day); });
    due = dueOrder(due, cards, ids);
    return { cards: cards, ids: ids, due: due, missed: missed };
  }

  function boxList(cfg, cards) {
    var counts = cfg.rules.intervals.map(function () { return 0; });
    Object.keys(cards).forEach(function (id) { if (validCard(cfg.rules, cards[id])) { counts[cards[id].box - 1] += 1; } });
    var ul = el("ul", { class: "ts-boxes", "aria-label": "Cards in each box" });
    counts.forEach(function (n, i) {
      var li = el("li", { "data-box": String(i + 1) });
      li.appendChild(el("strong", {}, "Box " + (i + 1)));
      li.appendChild(el("span", {}, plural(n, "card")));
      li.appendChild(el("span", { class: "ts-muted" }, "every " + plural(cfg.rules.intervals[i], "day")));
      ul.appendChild(li);
    });
    return ul;
  }

  /* Review and Flashcards: a status line (announced), the card area, then the Leitner boxes. */
  function boxPanel(root) {
    var body = el("div", { class: "tq-body ts-body" });
    root.appendChild(body);
    var panel = { status: el("p", { class: "ts-status", role: "status", "aria-live": "polite" }),
                  area: el("div", { class: "ts-area" }), boxes: el("div", {}) };
    body.appendChild(panel.status); body.appendChild(panel.area); body.appendChild(panel.boxes);
    return panel;
  }

  /* "From <lesson>": where a question comes from, linked to its lesson. */
  function fromLesson(cfg, q) {
    var lesson = cfg.lessons[q.lesson];
    var from = el("p", { class: "ts-from" });
    from.appendChild(document.createTextNode("From "));
    from.appendChild(el("a", { href: lesson ? lesson.href : "#" }, lesson ? lesson.title : q.lesson));
    return from;
  }

  /* ---- Review ---- */
  function mountReview(root, cfg) {
    var day = today();
    var byId = {};
    cfg.questions.forEach(function (q) { byId[q.id] = q; });
    var panel = boxPanel(root), status = panel.status, area = panel.area, boxes = panel.boxes;
    var done = 0, total = 0;

    function next() {
      var deck = reviewDeck(cfg, day);
      area.textContent = "";
      boxes.textContent = "";
      boxes.appendChild(boxList(cfg, deck.cards));
      root.setAttribute("data-due", String(deck.due.length));
      if (!total) { total = deck.due.length; }
      if (!deck.due.length) {
        var dates = Object.keys(deck.cards).map(function (id) { return deck.cards[id].due; }).sort();
        if (!deck.ids.length) {
          status.textContent = "Nothing to review yet. Answer a lesson quiz first: what you miss there comes back here.";
          var ul = el("ul", { class: "ts-links" });
          Object.keys(cfg.quizLinks).forEach(function (slug) {
            var li = el("li", {});
            li.appendChild(el("a", { href: cfg.quizLinks[slug].href }, cfg.quizLinks[slug].title));
            ul.appendChild(li);
          });
          area.appendChild(ul);
        } else {
          status.textContent = "Nothing due today (" + day + ")." + (dates.length ? " Next review: " + dates[0] + "." : "");
        }
        return;
      }
      status.textContent = plural(deck.due.length, "question") + " due today (" + day + ").";
      var q = byId[deck.due[0]];
      var from = fromLesson(cfg, q);
      var wasCard = deck.cards[q.id];
      var where = { quiz: "in its quiz", test: "in Test yourself", mixed: "in mixed practice", mistakes: "in Mistakes" };
      var missedIn = deck.missed[q.id] ? where[verdicts(cfg)[q.id].from] || "elsewhere" : "";
      from.appendChild(document.createTextNode(deck.missed[q.id] ? " \u00b7 missed " + missedIn + (wasCard ? " since its last review (box " + wasCard.box + ")" : "") : " \u00b7 box " + wasCard.box));
      area.appendChild(from);
      var nextBtn = button("Next question", "tq-primary ts-next", function () { next(); });
      nextBtn.hidden = true;
      var view = new Q.QuestionView(q, {
        number: done + 1, total: Math.max(total, done + deck.due.length), sequential: true, state: {}, source: "review",
        onChange: function (question, state) {
          var current = reviewDeck(cfg, day).cards;
          var card = answer(cfg.rules, current[question.id] || null, !!state.correct, day);
          current[question.id] = card;
          save(cfg.reviewKey, { cards: current });
          done += 1;
          var left = reviewDeck(cfg, day).due.length;
          status.textContent = left ? plural(left, "question") + " still due today (" + day + ")." : "That was the last question due today (" + day + ").";
          var note = el("p", { class: "ts-scheduled", "data-box": String(card.box), "data-due": card.due },
            (state.correct ? "Moved up to box " : "Back to box ") + card.box + ": this question comes back on " + card.due + ".");
          view.feedback.appendChild(note);
          boxes.textContent = "";
          boxes.appendChild(boxList(cfg, current));
          nextBtn.hidden = false;
          nextBtn.focus();
        }
      });
      view.root.querySelector(".tq-actions").appendChild(nextBtn);
      Q.placeInSequence(view, area, done > 0);
    }
    next();
    /* an answer in another tab (or a clear on My progress): the boxes and the count follow; with
     * nothing on screen, a question that has become due is shown */
    Q.onProgress(function () {
      var deck = reviewDeck(cfg, day);
      boxes.textContent = "";
      boxes.appendChild(boxList(cfg, deck.cards));
      root.setAttribute("data-due", String(deck.due.length));
      if (!area.querySelector(".tq-question")) { next(); }
    });
  }

  /* ---- Mistakes ---- */
  function mountMistakes(root, cfg) {
    var byId = {};
    cfg.questions.forEach(function (q) { byId[q.id] = q; });
    var stored = {};
    quizAnswers(cfg).forEach(function (a) { stored[a.id] = a.state; });
    var wrong = mistakeIds(cfg).map(function (id) { return { id: id, state: stored[id] || {} }; });
    var body = el("div", { class: "tq-body ts-body" });
    root.appendChild(body);
    root.setAttribute("data-mistakes", String(wrong.length));
    var status = el("p", { class: "ts-status", role: "status", "aria-live": "polite" });
    body.appendChild(status);
    var none = "No wrong answers stored in this browser. Questions you miss anywhere in the course (lesson quizzes, the quick path, Test yourself, Review, Mixed practice) appear here until you answer them right.";
    if (!wrong.length) {
      status.textContent = none;
      return;
    }
    /* the count follows each answer, here or in another tab; the questions stay on the page */
    function count() {
      var left = mistakeIds(cfg).length;
      root.setAttribute("data-mistakes", String(left));
      status.textContent = !left ? "No wrong answers left: you cleared " + plural(wrong.length, "mistake") + " on this page." :
        plural(left, "wrong answer") + " to reread and retry" + (left < wrong.length ? " (" + (wrong.length - left) + " cleared since you opened this page)" : "") +
        ". Each shows your answer and its feedback (when the lesson quiz kept it); press Try again to answer afresh. A right answer here or anywhere else clears it.";
    }
    count();
    Q.onProgress(count);
    wrong.forEach(function (a, i) {
      var q = byId[a.id];
      var state = a.state.response !== undefined && !a.state.correct ? { response: a.state.response, correct: false, attempts: a.state.attempts || 1 } : {};
      var from = fromLesson(cfg, q);
      var view = new Q.QuestionView(q, {
        number: i + 1, total: wrong.length, state: state, source: "mistakes",
        onChange: function (question, st) {
          /* a retry is an answer to the lesson quiz: it updates that quiz's stored answer */
          var key = cfg.quizKeys[question.lesson];
          var saved = load(key);
          saved.answers = saved.answers || {};
          saved.answers[question.id] = { response: st.response, correct: !!st.correct, attempts: st.attempts || 0 };
          if (st.response === undefined) { delete saved.answers[question.id].response; }
          save(key, saved);
        }
      });
      view.root.insertBefore(from, view.root.querySelector(".tq-prompt"));
      body.appendChild(view.root);
    });
  }

  /* ---- Flashcards: glossary cards, self-rated, filed by the same scheduler as Review ---- */
  function mountFlashcards(root, cfg) {
    var day = today();
    var byId = {};
    cfg.cards.forEach(function (c) { byId[c.id] = c; });
    var panel = boxPanel(root), status = panel.status, area = panel.area, boxes = panel.boxes;
    var last = "";
    function stored() {
      return loadShape(cfg.storageKey, "flashcards", cfg.rules).cards || {};
    }
    /* new cards rated today (scheduler.Deck.new_seen): at most cfg.newPerDay a day */
    function newToday() {
      var n = loadShape(cfg.storageKey, "flashcards", cfg.rules).newToday;
      return (n && n.day === day && typeof n.count === "number") ? n.count : 0;
    }
    function newLeft() { return Math.max(cfg.newPerDay - newToday(), 0); }
    function dueIds(cards) {
      var ids = cfg.cards.map(function (c) { return c.id; });
      var due = dueOrder(ids.filter(function (id) { return isDue(cards[id], day); }), cards, ids);
      var seen = due.filter(function (id) { return cards[id]; });
      return seen.concat(due.filter(function (id) { return !cards[id]; }).slice(0, newLeft()));
    }
    function next(focus) {
      var cards = stored();
      var due = dueIds(cards);
      area.textContent = "";
      boxes.textContent = "";
      boxes.appendChild(boxList(cfg, cards));
      root.setAttribute("data-due", String(due.length));
      if (!due.length) {
        var dates = Object.keys(cards).map(function (id) { return cards[id].due; }).sort();
        status.textContent = last + "No cards due today (" + day + ")." + (dates.length ? " Next: " + dates[0] + "." : "") +
          (newToday() ? " You met " + plural(newToday(), "new card") + " today; up to " + cfg.newPerDay + " more come tomorrow." : "");
        return;
      }
      status.textContent = last + plural(due.length, "card") + " due today (" + day + "); new cards come at most " + cfg.newPerDay + " a day.";
      var c = byId[due[0]];
      var card = el("section", { class: "tq-question ts-card", "data-card": c.id, "aria-labelledby": "ts-card-title" });
      var title = el("h2", { class: "tq-title", id: "ts-card-title", tabindex: "-1" },
        (c.direction === "term" ? "Term" : "Definition") + (cards[c.id] ? " \u00b7 box " + cards[c.id].box : " \u00b7 new"));
      card.appendChild(title);
      var front = el("div", { class: "ts-front" }); front.innerHTML = c.front;  /* markdown-it output */
      card.appendChild(front);
      card.appendChild(el("p", { class: "ts-ask" }, c.ask));
      var back = el("div", { class: "ts-back", id: "ts-card-back", hidden: "" });
      var backText = el("div", {}); backText.innerHTML = c.back;
      back.appendChild(backText);
      var more = el("p", { class: "ts-muted" });
      more.appendChild(el("a", { href: cfg.glossary + "#" + c.anchor }, "In the glossary"));
      back.appendChild(more);
      var rate = el("div", { class: "tq-actions ts-rate", role: "group", "aria-label": "How did you do?" });
      function rated(knew) {
        var current = stored();
        var fresh = !current[c.id];
        var after = answer(cfg.rules, current[c.id] || null, knew, day);
        current[c.id] = after;
        save(cfg.storageKey, { cards: current, newToday: { day: day, count: newToday() + (fresh ? 1 : 0) } });
        last = (knew ? "Knew it: box " : "Not yet: box ") + after.box + ", back on " + after.due + ". ";
        root.setAttribute("data-last", c.id + " " + after.box + " " + after.due);
        next(true);
      }
      rate.appendChild(button("I knew it", "ts-knew", function () { rated(true); }));
      rate.appendChild(button("Not yet", "ts-not-yet", function () { rated(false); }));
      back.appendChild(rate);
      var show = button("Show answer", "tq-primary ts-show", function () {
        back.removeAttribute("hidden");
        show.setAttribute("aria-expanded", "true");
        show.hidden = true;
        rate.querySelector("button").focus();
      });
      show.setAttribute("aria-expanded", "false");
      show.setAttribute("aria-controls", "ts-card-back");
      card.appendChild(show);
      card.appendChild(back);
      area.appendChild(card);
      if (focus) { show.focus(); }
    }
    next(false);
  }

  /* ---- Mixed practice: questions from every lesson in study.interleave()'s order, no end ---- */
  function mountMixed(root, cfg) {
    var byId = {};
    cfg.questions.forEach(function (q) { byId[q.id] = q; });
    var state = loadShape(cfg.storageKey, "practice");
    if (state.seed !== cfg.seed) { state = { seed: cfg.seed, position: 0, answered: 0, correct: 0 }; }
    var body = el("div", { class: "tq-body ts-body" });
    root.appendChild(body);
    var score = el("p", { class: "tq-score ts-mixed-score", role: "status", "aria-live": "polite" });
    var area = el("div", { class: "ts-area" });
    body.appendChild(score); body.appendChild(area);
    function showScore() {
      score.textContent = "Mixed practice: " + state.correct + " right of " + state.answered + ".";
      root.setAttribute("data-score", String(state.correct));
    }
    function render(focus) {
      area.textContent = "";
      var q = byId[cfg.order[state.position % cfg.order.length]];
      root.setAttribute("data-position", String(state.position));
      var nextBtn = button("Next question", "tq-primary ts-next", function () {
        state.position += 1; save(cfg.storageKey, state); render(true);
      });
      nextBtn.hidden = true;
      var view = new Q.QuestionView(q, {
        number: state.position + 1, total: state.position + 1, sequential: true, state: {}, source: "mixed",
        onChange: function (question, st) {
          state.answered += 1; if (st.correct) { state.correct += 1; }
          save(cfg.storageKey, state);
          showScore();
          nextBtn.hidden = false;
          nextBtn.focus();
        }
      });
      view.root.querySelector(".tq-title").textContent = "Question " + (state.position + 1);  /* no "of N": it has no end */
      var from = fromLesson(cfg, q);
      view.root.insertBefore(from, view.root.querySelector(".tq-prompt"));
      view.root.querySelector(".tq-actions").appendChild(nextBtn);
      Q.placeInSequence(view, area, focus);
    }
    showScore();
    render(false);
  }

  /* ---- Decision drill ---- */
  function mountDrill(root, cfg) {
    var state = loadShape(cfg.storageKey, "practice");
    if (state.seed !== cfg.seed) { state = { seed: cfg.seed, position: 0, answered: 0, correct: 0 }; }
    var body = el("div", { class: "tq-body ts-body" });
    root.appendChild(body);
    var score = el("p", { class: "tq-score ts-drill-score" });
    body.appendChild(score);
    var card = el("section", { class: "tq-question ts-drill", "aria-labelledby": "ts-drill-title" });
    body.appendChild(card);

    function showScore() {
      score.textContent = "Drill score: " + state.correct + " right of " + state.answered + ".";
      root.setAttribute("data-score", String(state.correct));
    }
    function render(focus) {
      card.textContent = "";
      card.classList.remove("tq-is-correct", "tq-is-wrong");
      var here = state.position;  /* an answer moves the stored position on at once, so a reload
                                     never asks (and counts) the same situation twice */
      var key = cfg.situations[cfg.order[here % cfg.order.length]];
      var selection = key.split("-").map(Number);
      root.setAttribute("data-situation", key);
      var title = el("h2", { class: "tq-title", id: "ts-drill-title", tabindex: "-1" }, "Situation " + (here + 1));
      card.appendChild(title);
      var dl = el("dl", { class: "ts-situation" });
      cfg.menus.forEach(function (menu, i) {
        dl.appendChild(el("dt", {}, menu.label));
        dl.appendChild(el("dd", {}, menu.options[selection[i]]));
      });
      card.appendChild(dl);
      var group = el("div", { class: "tq-actions ts-choices", role: "group", "aria-labelledby": "ts-drill-ask" });
      card.appendChild(el("p", { id: "ts-drill-ask", class: "ts-ask" }, "What would you do?"));
      var feedback = el("div", { class: "tq-feedback", role: "status", "aria-live": "polite" });
      var nextBtn = button("Next situation", "tq-primary ts-next", function () {
        if (state.position === here) { state.position += 1; save(cfg.storageKey, state); }
        render(true);
      });
      nextBtn.hidden = true;
      var buttons = cfg.choices.map(function (choice) {
        var b = button(choice, "ts-choice", function () {
          var res = cfg.results[key];
          var right = cfg.choices[res[0]];
          var ok = choice === right;
          state.answered += 1; if (ok) { state.correct += 1; }
          state.last = { situation: key, chosen: choice, correct: ok };
          state.position = here + 1;
          save(cfg.storageKey, state);
          buttons.forEach(function (other) { other.disabled = true; other.setAttribute("aria-pressed", other === b ? "true" : "false"); });
          card.classList.add(ok ? "tq-is-correct" : "tq-is-wrong");
          feedback.className = "tq-feedback " + (ok ? "tq-ok" : "tq-no");
          feedback.textContent = "";
          feedback.appendChild(el("span", { class: "tq-icon", "aria-hidden": "true" }, ok ? "\u2714" : "\u2718"));
          feedback.appendChild(el("strong", { class: "tq-verdict" }, ok ? "Right: " + right + "." : "Not this time: you chose " + choice + "; the course's rules say " + right + "."));
          feedback.appendChild(el("p", { class: "ts-headline" }, cfg.texts[res[1]]));
          var ul = el("ul", { class: "ts-reasons" });
          res[2].forEach(function (r) { ul.appendChild(el("li", {}, cfg.texts[r])); });
          feedback.appendChild(ul);
          showScore();
          nextBtn.hidden = false;
          nextBtn.focus();
        });
        b.setAttribute("data-choice", choice);
        group.appendChild(b);
        return b;
      });
      card.appendChild(group);
      card.appendChild(feedback);
      card.appendChild(nextBtn);
      if (focus) { title.focus(); }
    }
    showScore();
    render(false);
  }

  /* ---- Worked examples, faded: the asked steps are numeric questions (tune_or_prompt.study.worked)
   * graded by quiz.js's grade() from the answers Python computed; nothing is computed here ---- */
  function safeId(text) { return String(text).replace(/[^A-Za-z0-9_-]/g, "-"); }
  function mountWorked(root, cfg) {
    var body = el("div", { class: "tq-body ts-body" });
    root.appendChild(body);
    var asked = [];
    cfg.problems.forEach(function (p) { p.steps.forEach(function (s) { if (s.question) { asked.push(s.question.id); } }); });
    var score = el("p", { class: "tq-score ts-worked-score", role: "status", "aria-live": "polite" });
    body.appendChild(score);
    function stored() {
      return loadShape(cfg.storageKey, "worked").steps || {};
    }
    function showScore() {
      var steps = stored();
      var right = asked.filter(function (id) { return steps[id] && steps[id].correct === true; }).length;
      score.textContent = "Steps you filled in right here: " + right + " of " + asked.length + ".";
      root.setAttribute("data-right", String(right));
    }
    cfg.problems.forEach(function (p) {
      var base = "ts-w-" + safeId(p.id);
      /* a group, not a region: "Problem 2" comes back in each section of the page */
      var sec = el("div", { class: "tq-question ts-worked", role: "group", "data-problem": p.id, "aria-labelledby": base + "-title" });
      sec.appendChild(el("h3", { class: "tq-title", id: base + "-title" }, "Problem " + p.number + ": " +
        (p.hidden ? plural(p.hidden, "step") + " for you" : "fully worked")));
      var givens = el("div", { class: "ts-givens" });
      givens.innerHTML = p.givens;  /* markdown-it output, raw HTML escaped */
      sec.appendChild(givens);
      var ol = el("ol", { class: "ts-steps" });
      if (p.hidden) { sec.appendChild(el("p", { class: "tq-help tq-number-help", id: base + "-numhelp" }, Q.numberHelp)); }
      p.steps.forEach(function (s, i) {
        var li = el("li", { class: "ts-step" });
        var name = el("span", { class: "ts-step-name" });
        name.appendChild(el("strong", {}, s.name));
        name.appendChild(document.createTextNode(" = "));
        var formula = el("span", {}); formula.innerHTML = s.formula;
        name.appendChild(formula);
        if (!s.question) {
          li.setAttribute("data-step", "worked");
          li.appendChild(name);
          var work = el("span", {}); work.innerHTML = " = " + s.working + " = ";
          li.appendChild(work);
          li.appendChild(el("strong", { class: "ts-step-answer" }, s.answer + (s.unit ? " " + s.unit : "")));
          ol.appendChild(li);
          return;
        }
        var q = s.question;
        var id = base + "-s" + (i + 1);
        li.setAttribute("data-step", "asked");
        li.setAttribute("data-qid", q.id);
        var label = el("label", { for: id, class: "ts-step-label" });
        label.appendChild(name);
        label.appendChild(document.createTextNode(" ="));
        li.appendChild(label);
        var row = el("div", { class: "ts-step-input tq-numeric" });
        var input = el("input", { type: "text", inputmode: "text", id: id, autocomplete: "off",
                                  placeholder: Q.numberPlaceholder, title: Q.numberHelp, "aria-describedby": id + "-fb " + base + "-numhelp" });
        row.appendChild(input);
        if (q.unit) { row.appendChild(el("span", { class: "tq-unit" }, q.unit)); }
        var feedback = el("div", { class: "tq-feedback", id: id + "-fb", role: "status", "aria-live": "polite" });
        function show(result) {
          feedback.textContent = "";
          feedback.className = "tq-feedback";
          li.removeAttribute("data-correct");
          if (!result.answered) { feedback.appendChild(el("span", { class: "tq-verdict" }, result.message)); return; }
          var ok = result.correct;
          li.setAttribute("data-correct", ok ? "true" : "false");
          feedback.classList.add(ok ? "tq-ok" : "tq-no");
          feedback.appendChild(el("span", { class: "tq-icon", "aria-hidden": "true" }, ok ? "\u2714" : "\u2718"));
          feedback.appendChild(el("strong", { class: "tq-verdict" }, ok ? "Right." : "Not yet."));
          var msg = el("span", {}); msg.innerHTML = " " + result.message;
          feedback.appendChild(msg);
        }
        function check() {
          var result = Q.grade(q, input.value);
          if (result.answered) {
            var steps = stored();
            var before = steps[q.id] || {};
            steps[q.id] = { response: input.value, correct: result.correct, attempts: (before.attempts || 0) + 1 };
            save(cfg.storageKey, { steps: steps });
            Q.record(q.id, result.correct, "worked");
          }
          show(result);
          showScore();
        }
        input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); check(); } });
        row.appendChild(button("Check", "tq-primary ts-check", check));
        li.appendChild(row);
        li.appendChild(feedback);
        var was = stored()[q.id];
        if (was && typeof was.response === "string") { input.value = was.response; show(Q.grade(q, was.response)); }
        ol.appendChild(li);
      });
      sec.appendChild(ol);
      body.appendChild(sec);
    });
    showScore();
  }

  /* ---- Explain it back: your words, then a model answer and a checklist you tick yourself ---- */
  function explainState(cfg) {
    return loadShape(cfg.storageKey, "explain").prompts || {};
  }
  function mountExplain(root, cfg) {
    var body = el("div", { class: "tq-body ts-body" });
    root.appendChild(body);
    var status = el("p", { class: "tq-score ts-explain-score", role: "status", "aria-live": "polite" });
    body.appendChild(status);
    function update(id, change) {
      var all = explainState(cfg);
      var entry = all[id] && typeof all[id] === "object" ? all[id] : {};
      change(entry);
      all[id] = entry;
      save(cfg.storageKey, { prompts: all });
      showStatus();
    }
    function showStatus() {
      var all = explainState(cfg), done = 0, points = 0;
      cfg.prompts.forEach(function (p) {
        var e = all[p.id];
        if (e && e.revealed) { done += 1; }
        if (e && Array.isArray(e.checked)) { points += e.checked.length; }
      });
      status.textContent = done + " of " + cfg.prompts.length + " explanations checked against the model answer; " + plural(points, "point") + " ticked.";
      root.setAttribute("data-done", String(done));
    }
    var saved = explainState(cfg);
    cfg.prompts.forEach(function (p) {
      var base = "ts-e-" + safeId(p.id);
      var mine = saved[p.id] && typeof saved[p.id] === "object" ? saved[p.id] : {};
      var sec = el("section", { class: "tq-question ts-explain", "data-prompt": p.id, "aria-labelledby": base + "-title" });
      /* the page has no sections of its own: prompts are h2 under its title, their parts h3 */
      sec.appendChild(el("h2", { class: "tq-title", id: base + "-title" }, p.title));
      var from = el("p", { class: "ts-from" });
      from.appendChild(document.createTextNode("From "));
      var lesson = cfg.lessons[p.lesson];
      from.appendChild(el("a", { href: lesson ? lesson.href : "#" }, lesson ? lesson.title : p.lesson));
      sec.appendChild(from);
      var prompt = el("div", { class: "tq-prompt", id: base + "-prompt" }); prompt.innerHTML = p.prompt;
      sec.appendChild(prompt);
      sec.appendChild(el("label", { for: base + "-text", class: "ts-text-label" }, "Your explanation, in your own words"));
      var text = el("textarea", { id: base + "-text", class: "ts-text", rows: "6", "aria-describedby": base + "-prompt" });
      text.value = typeof mine.text === "string" ? mine.text : "";
      text.addEventListener("input", function () { update(p.id, function (e) { e.text = text.value; }); });
      sec.appendChild(text);
      var panel = el("div", { class: "ts-model", id: base + "-model" });
      panel.hidden = true;
      panel.appendChild(el("h3", {}, "A model answer"));
      var answer = el("div", {}); answer.innerHTML = p.answer;
      panel.appendChild(answer);
      var fs = el("fieldset", { class: "ts-checklist" });
      fs.appendChild(el("legend", {}, "Grade yourself: tick each point your explanation made"));
      var tally = el("p", { class: "ts-tally" });
      var boxes = p.checklist.map(function (point, i) {
        var row = el("div", { class: "tq-option" });
        var box = el("input", { type: "checkbox", id: base + "-c" + i, value: String(i) });
        var lab = el("label", { for: base + "-c" + i }); lab.innerHTML = point;
        box.checked = Array.isArray(mine.checked) && mine.checked.indexOf(i) >= 0;
        box.addEventListener("change", function () {
          var checked = boxes.filter(function (b) { return b.checked; }).map(function (b) { return Number(b.value); });
          update(p.id, function (e) { e.checked = checked; });
          showTally();
        });
        row.appendChild(box); row.appendChild(lab);
        fs.appendChild(row);
        return box;
      });
      function showTally() {
        var n = boxes.filter(function (b) { return b.checked; }).length;
        tally.textContent = "Your explanation covers " + n + " of " + boxes.length + " points.";
      }
      panel.appendChild(fs);
      panel.appendChild(tally);
      showTally();
      var reveal = button("Show model answer", "tq-primary ts-reveal", function () {
        var open = panel.hidden;
        panel.hidden = !open;
        reveal.setAttribute("aria-expanded", open ? "true" : "false");
        reveal.textContent = open ? "Hide model answer" : "Show model answer";
        if (open) { update(p.id, function (e) { e.revealed = true; }); boxes[0].focus(); }
      });
      reveal.setAttribute("aria-expanded", "false");
      reveal.setAttribute("aria-controls", base + "-model");
      if (mine.revealed) {
        panel.hidden = false; reveal.setAttribute("aria-expanded", "true"); reveal.textContent = "Hide model answer";
      }
      var actions = el("div", { class: "tq-actions" });
      actions.appendChild(reveal);
      sec.appendChild(actions);
      sec.appendChild(panel);
      body.appendChild(sec);
    });
    showStatus();
  }

  /* ---- export / import ---- */
  function ownKey(cfg, key) { return cfg.prefixes.some(function (p) { return key.indexOf(p) === 0 && key.length > p.length; }); }
  /* which shape an exported key must have: the same checks the pages read it with */
  function shapeOf(cfg, key) {
    if (key === cfg.reviewKey) { return "review"; }
    if (key === cfg.flashKey) { return "flashcards"; }
    if (key === cfg.drillKey || key === cfg.mixedKey) { return "practice"; }
    if (key === cfg.workedKey) { return "worked"; }
    if (key === cfg.explainKey) { return "explain"; }
    if (key === Q.answersKey) { return "answers"; }
    if (key.indexOf(cfg.prefixes[0]) === 0 && key.length > cfg.prefixes[0].length) { return "quiz"; }
    return "";
  }
  /* A stored entry in a learner's words ("your flashcard schedule"), for messages: never its key */
  function keyName(cfg, key, value) {
    var names = {};
    names[Q.answersKey] = "your record of right and wrong answers";
    names[cfg.reviewKey] = "your review schedule";
    names[cfg.flashKey] = "your flashcard schedule";
    names[cfg.drillKey] = "your decision drill score";
    names[cfg.mixedKey] = "your mixed practice score";
    names[cfg.workedKey] = "your worked-example steps";
    names[cfg.explainKey] = "your explanations";
    names[cfg.quickKey] = "your quick path answers";
    if (names[key]) { return names[key]; }
    var slug = key.slice(cfg.prefixes[0].length);
    if (cfg.quizLinks[slug]) { return "your answers to " + cfg.quizLinks[slug].title; }
    if (isObject(value) && typeof value.title === "string" && value.title) { return "your answers to " + value.title.slice(0, 80); }
    return "your answers to a quiz";
  }
  /* What a set of stored entries holds, in one phrase: the quizzes counted, the rest named */
  function describe(cfg, keys) {
    var quizzes = keys.filter(function (k) { return k.indexOf(cfg.prefixes[0]) === 0 && k !== cfg.quickKey; });
    var parts = [];
    if (quizzes.length === 1) { parts.push(keyName(cfg, quizzes[0], load(quizzes[0]))); }
    if (quizzes.length > 1) { parts.push("your answers to " + quizzes.length + " quizzes"); }
    keys.filter(function (k) { return quizzes.indexOf(k) < 0; }).sort().forEach(function (k) { parts.push(keyName(cfg, k)); });
    return parts.length < 2 ? parts.join("") : parts.slice(0, -1).join(", ") + " and " + parts[parts.length - 1];
  }
  function storedKeys(cfg) {
    var s = storage(), keys = [];
    if (s) { for (var i = 0; i < s.length; i++) { if (ownKey(cfg, s.key(i))) { keys.push(s.key(i)); } } }
    return keys;
  }
  function exportData(cfg) {
    var s = storage(), data = {};
    if (s) {
      for (var i = 0; i < s.length; i++) {
        var key = s.key(i);
        if (ownKey(cfg, key)) { try { data[key] = JSON.parse(s.getItem(key)); } catch (e) { /* skip */ } }
      }
    }
    return { format: cfg.format, version: cfg.version, exported: today(), data: data };
  }
  /* {ok: true, data} or {ok: false, error}: the whole file is checked before anything is written */
  function checkImport(cfg, text) {
    var parsed;
    if (typeof text !== "string" || text.length > 5000000) { return { ok: false, error: "the file is empty or too large" }; }
    try { parsed = JSON.parse(text); } catch (e) { return { ok: false, error: "it is not JSON (it may be damaged or cut short)" }; }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) { return { ok: false, error: "it is not a progress file" }; }
    if (parsed.format !== cfg.format) { return { ok: false, error: "it is not a Tune or Prompt progress file" }; }
    if (parsed.version !== cfg.version) { return { ok: false, error: "it was written by another version of the course (version " + parsed.version + ")" }; }
    var data = parsed.data;
    if (!data || typeof data !== "object" || Array.isArray(data)) { return { ok: false, error: "it holds no progress data" }; }
    var keys = Object.keys(data);
    for (var i = 0; i < keys.length; i++) {
      var key = keys[i], value = data[key];
      var shape = shapeOf(cfg, key);
      if (!shape) { return { ok: false, error: "it holds something this course does not use (\u201c" + key.slice(0, 60) + "\u201d)" }; }
      var problem = SHAPES[shape](cfg.rules, value);
      if (problem) { return { ok: false, error: "the file's copy of " + keyName(cfg, key, value) + " is damaged (" + problem + ")" }; }
    }
    return { ok: true, data: data };
  }
  function applyImport(cfg, data) {
    var s = storage();
    if (!s) { return false; }
    var old = [];
    for (var i = 0; i < s.length; i++) { if (ownKey(cfg, s.key(i))) { old.push(s.key(i)); } }
    old.forEach(function (k) { s.removeItem(k); });
    Object.keys(data).forEach(function (k) { s.setItem(k, JSON.stringify(data[k])); });
    return true;
  }

  /* ---- what to do next: from the same verdicts Mistakes and Review read ---- */
  function weakLessons(cfg) {
    var v = verdicts(cfg), per = {};
    cfg.questions.forEach(function (q) {
      if (!v[q.id]) { return; }
      var p = per[q.lesson] || (per[q.lesson] = { slug: q.lesson, answered: 0, wrong: 0 });
      p.answered += 1;
      if (!v[q.id].correct) { p.wrong += 1; }
    });
    var order = Object.keys(cfg.lessons);
    return Object.keys(per).map(function (slug) { return per[slug]; })
      .filter(function (p) { return p.wrong > 0; })
      .sort(function (a, b) { return b.wrong / b.answered - a.wrong / a.answered || b.wrong - a.wrong || order.indexOf(a.slug) - order.indexOf(b.slug); });
  }
  function nextSteps(cfg, deck, wrong) {
    var box = el("section", { class: "ts-next", "aria-labelledby": "ts-next-title" });
    box.appendChild(el("h3", { id: "ts-next-title" }, "What to do next"));
    var ul = el("ul", {});
    function item(parts) {
      var li = el("li", {});
      parts.forEach(function (p) { li.appendChild(typeof p === "string" ? document.createTextNode(p) : el("a", { href: p[1] }, p[0])); });
      ul.appendChild(li);
    }
    if (!Object.keys(verdicts(cfg)).length) {
      item(["Nothing answered yet in this browser: start with ", ["the quick path", cfg.pages.quick], ", or any lesson quiz."]);
    }
    if (wrong) { item([["Retry your " + plural(wrong, "wrong answer"), cfg.pages.mistakes], ": read the feedback, then answer afresh."]); }
    if (deck.due.length) { item([["Review " + plural(deck.due.length, "question") + " due today", cfg.pages.review], "."]); }
    weakLessons(cfg).slice(0, 3).forEach(function (p) {
      var lesson = cfg.lessons[p.slug] || { title: p.slug, href: "#" };
      var quiz = cfg.quizLinks[p.slug];
      var parts = ["Weak topic: " + p.wrong + " of " + p.answered + " answers wrong in ", [lesson.title, lesson.href]];
      if (quiz) { parts.push(": reread it, then try "); parts.push([quiz.title, quiz.href]); parts.push(" again."); }
      item(parts);
    });
    if (!ul.children.length) { item(["Nothing due and no mistakes: try ", ["mixed practice", cfg.pages.mixed], " or ", ["the decision drill", cfg.pages.drill], "."]); }
    box.appendChild(ul);
    return box;
  }

  /* ---- study progress (on My progress) ---- */
  function mountProgress(root, cfg) {
    var body = el("div", { class: "tq-body ts-body" });
    root.appendChild(body);
    var tableBox = el("div", {});
    body.appendChild(tableBox);
    function renderTable() {
      tableBox.textContent = "";
      var day = today();
      var deck = reviewDeck(cfg, day);
      var wrong = mistakeIds(cfg).length;
      var drillState = loadShape(cfg.drillKey, "practice"), mixedState = loadShape(cfg.mixedKey, "practice");
      var flash = loadShape(cfg.flashKey, "flashcards", cfg.rules).cards || {};
      var flashIds = Object.keys(flash).filter(function (id) { return validCard(cfg.rules, flash[id]); });
      var flashDue = flashIds.filter(function (id) { return isDue(flash[id], day); }).length;
      var workedSteps = loadShape(cfg.workedKey, "worked").steps || {};
      var workedRight = Object.keys(workedSteps).filter(function (id) { return workedSteps[id] && workedSteps[id].correct === true; }).length;
      var explained = explainState({ storageKey: cfg.explainKey }), explainDone = 0, explainPoints = 0;
      Object.keys(explained).forEach(function (id) {
        var e = explained[id];
        if (e && e.revealed) { explainDone += 1; }
        if (e && Array.isArray(e.checked)) { explainPoints += e.checked.length; }
      });
      var quick = loadShape(cfg.quickKey, "quiz").answers || {}, quickAnswered = 0, quickRight = 0;
      Object.keys(quick).forEach(function (id) {
        if (quick[id] && quick[id].response !== undefined) { quickAnswered += 1; if (quick[id].correct) { quickRight += 1; } }
      });
      var table = el("table", { class: "tq-table ts-progress" });
      var head = el("tr", {});
      ["Study mode", "Where you stand"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
      table.appendChild(head);
      [["review", "Review (spaced)", plural(deck.ids.length, "question") + " in review, " + deck.due.length + " due today"],
       ["mistakes", "Mistakes", plural(wrong, "wrong answer") + " to retry"],
       ["drill", "Decision drill", plural(drillState.answered || 0, "situation") + " answered, " + (drillState.correct || 0) + " right"],
       ["mixed", "Mixed practice", plural(mixedState.answered || 0, "question") + " answered, " + (mixedState.correct || 0) + " right"],
       ["flashcards", "Flashcards", plural(flashIds.length, "card") + " of " + cfg.flashTotal + " rated, " + flashDue + " of them due today"],
       ["worked", "Worked examples", workedRight + " of " + cfg.workedTotal + " faded steps right"],
       ["explain", "Explain it back", explainDone + " of " + cfg.explainTotal + " explanations checked, " + plural(explainPoints, "checklist point") + " ticked"],
       ["quick", "Quick path", quickRight + " of " + cfg.quickTotal + " questions right (" + quickAnswered + " answered)"]]
        .forEach(function (row) {
          var tr = el("tr", { "data-mode": row[0] });
          var th = el("th", { scope: "row" });
          th.appendChild(el("a", { href: cfg.pages[row[0]] }, row[1]));
          tr.appendChild(th);
          tr.appendChild(el("td", {}, row[2]));
          table.appendChild(tr);
        });
      tableBox.appendChild(nextSteps(cfg, deck, wrong));
      tableBox.appendChild(table);
    }
    renderTable();
    Q.onProgress(renderTable);  /* an answer in another tab shows here at once */

    var backup = el("section", { class: "ts-backup", "aria-labelledby": "ts-backup-title" });
    backup.appendChild(el("h3", { id: "ts-backup-title" }, "Keep, move or clear your progress"));
    backup.appendChild(el("p", {}, "Export saves every quiz answer, review and flashcard schedule, practice score, worked step and explanation from this browser to a file. Import reads such a file and replaces the progress in this browser with it; a file that is damaged or not from this course is refused and nothing changes. Clear all my progress removes all of it from this browser, after asking."));
    var message = el("p", { class: "ts-message", role: "status", "aria-live": "polite" });
    var exportBtn = button("Export progress to a file", "tq-primary ts-export", function () {
      var payload = exportData(cfg);
      var blob = new Blob([JSON.stringify(payload, null, 1)], { type: "application/json" });
      var a = el("a", { href: URL.createObjectURL(blob), download: "tune-or-prompt-progress-" + payload.exported + ".json" });
      document.body.appendChild(a); a.click(); a.remove();
      message.className = "ts-message";
      var saved = Object.keys(payload.data);
      message.textContent = saved.length ? "Exported " + describe(cfg, saved) + " to " + a.getAttribute("download") + "." :
        "Exported an empty file (" + a.getAttribute("download") + "): no progress is stored in this browser yet.";
    });
    var fileId = "ts-import-" + Math.random().toString(36).slice(2, 8);
    var label = el("label", { for: fileId, class: "ts-file-label" }, "Import progress from a file");
    var input = el("input", { type: "file", id: fileId, accept: ".json,application/json", class: "ts-import" });
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) { return; }
      var reader = new FileReader();
      reader.onload = function () {
        var result = checkImport(cfg, String(reader.result));
        if (!result.ok) {
          message.className = "ts-message tq-no";
          message.textContent = "\u2718 Not imported: " + result.error + ". Your current progress is kept.";
        } else if (!applyImport(cfg, result.data)) {
          message.className = "ts-message tq-no";
          message.textContent = "\u2718 Not imported: this browser does not allow local storage.";
        } else {
          message.className = "ts-message tq-ok";
          var keys = Object.keys(result.data);
          message.textContent = keys.length ? "\u2714 Imported " + describe(cfg, keys) + ": every page now shows them." :
            "\u2714 Imported an empty file: this browser now holds no progress.";
          renderTable();
          Q.remountAll();  /* the quiz table beside this one shows the imported answers too */
        }
        input.value = "";
      };
      reader.onerror = function () {
        message.className = "ts-message tq-no";
        message.textContent = "\u2718 Not imported: the file could not be read. Your current progress is kept.";
      };
      reader.readAsText(file);
    });
    /* Clear all: every key the course keeps (the ones export and import handle), after asking */
    var clearBtn = button("Clear all my progress", "ts-clear", function () {
      var keys = storedKeys(cfg);
      if (!keys.length) {
        message.className = "ts-message";
        message.textContent = "Nothing to clear: no progress from this course is stored in this browser.";
        return;
      }
      var what = describe(cfg, keys);
      if (!window.confirm("Clear all your progress in this browser: " + what + "? This cannot be undone (export it to a file first to keep a copy).")) { return; }
      var s = storage();
      keys.forEach(function (k) { s.removeItem(k); });
      message.className = "ts-message tq-ok";
      message.textContent = "\u2714 Cleared " + what + " from this browser.";
      renderTable();
      Q.remountAll();  /* the quiz table beside this one too */
    });
    var row = el("div", { class: "tq-actions ts-backup-actions" });
    row.appendChild(exportBtn);
    var pick = el("div", { class: "ts-file" });
    pick.appendChild(label); pick.appendChild(input);
    row.appendChild(pick);
    row.appendChild(clearBtn);
    backup.appendChild(row);
    backup.appendChild(message);
    body.appendChild(backup);
  }

  function mount(root) {
    if (root.getAttribute("data-mounted")) { return; }
    var data = root.querySelector("script[type='application/json']");
    if (!data) { return; }
    var cfg = JSON.parse(data.textContent);
    if (!(Q && Q.QuestionView && Q.ledger)) { return; }  /* needs quiz.js: its question view, checks and ledger */
    root.setAttribute("data-mounted", "1");
    var nos = root.querySelector(".ts-noscript");
    if (nos) { nos.remove(); }
    if (cfg.mode === "review") { mountReview(root, cfg); }
    else if (cfg.mode === "mistakes") { mountMistakes(root, cfg); }
    else if (cfg.mode === "drill") { mountDrill(root, cfg); }
    else if (cfg.mode === "mixed") { mountMixed(root, cfg); }
    else if (cfg.mode === "flashcards") { mountFlashcards(root, cfg); }
    else if (cfg.mode === "worked") { mountWorked(root, cfg); }
    else if (cfg.mode === "explain") { mountExplain(root, cfg); }
    else if (cfg.mode === "progress") { mountProgress(root, cfg); }
  }
  function mountAll() { document.querySelectorAll("[data-top-study]").forEach(mount); }

  window.TOPStudy = { answer: answer, isDue: isDue, dueOrder: dueOrder, addDays: addDays, today: today, validCard: validCard,
                      checkImport: checkImport, mountAll: mountAll, version: 1 };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mountAll); } else { mountAll(); }
})();
