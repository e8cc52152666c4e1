/* Tune or Prompt: the static (kernel-free) quiz view.
 * Reads the JSON that tune_or_prompt.quiz exported from the question bank and grades with the
 * same rules as grading.py. Every string from the bank arrives as HTML rendered by markdown-it
 * with raw HTML disabled; everything else is set with textContent. No network requests. */
(function () {
  "use strict";
  if (window.TOPQuiz) { window.TOPQuiz.mountAll(); return; }

  var EPS = 1e-12;

  /* How learners type numbers: the rules and patterns of grading.parse_number (read its comment),
   * tested against the same table of cases (quiz/number_cases.json) in both languages. */
  var SPACES = " \u00a0\u2009\u202f";
  var TRIM = new RegExp("^[ \\t\\r\\n" + SPACES + "]+|[ \\t\\r\\n" + SPACES + "]+$", "g");
  var SIGN = /^[+\-\u2212]$/;
  var PLAIN = /^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
  var COMMA_GROUPS = /^[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+)?$/;
  var SPACE_GROUPS = new RegExp("^[1-9][0-9]{0,2}([" + SPACES + "][0-9]{3})+([.,][0-9]+)?$");
  var DECIMAL_COMMA = /^(0*,[0-9]+|[0-9]*,([0-9]{1,2}|[0-9]{4,}))$/;
  var SUFFIX = new RegExp("^(.*?)[" + SPACES + "]?([kKM])$");
  var SPACE_ANY = new RegExp("[" + SPACES + "]", "g");
  var TWO_WAYS = /^([1-9][0-9]{0,2})\.([0-9]{3})$/;  /* 500.000: 500 or 500000 (grading.two_readings) */
  var SCALE = { k: 1e3, K: 1e3, M: 1e6 };
  var NUMBER_HELP = "Type the number as you would write it: 500000, 500,000, 500 000, 500k, 2.5M, 0.25, 0,25 and $0.25 all work.";
  var NUMBER_PLACEHOLDER = "a number, e.g. 1,500 or 0.25";

  function unsigned(text, scaled) {
    if (PLAIN.test(text) && !(scaled && /e/i.test(text))) { return Number(text); }
    if (COMMA_GROUPS.test(text)) { return Number(text.replace(/,/g, "")); }
    if (SPACE_GROUPS.test(text)) { return Number(text.replace(SPACE_ANY, "").replace(",", ".")); }
    if (DECIMAL_COMMA.test(text)) { return Number(text.replace(",", ".")); }
    return null;
  }

  /* typed text as {text (digits and separators), negative, scale}: sign, $ and suffix taken off */
  function split(response) {
    var text = response.replace(TRIM, "");
    var scale = 1;
    var suffix = SUFFIX.exec(text);
    if (suffix) { text = suffix[1]; scale = SCALE[suffix[2]]; }
    var negative = false;
    if (text.charAt(0) === "$") { text = text.slice(1); }  /* a dollar amount: "$0.26" */
    if (text.length && SIGN.test(text.charAt(0))) {
      negative = text.charAt(0) !== "+"; text = text.slice(1);
      if (text.charAt(0) === "$") { text = text.slice(1); }  /* "-$5" */
    }
    return { text: text, negative: negative, scale: scale };
  }

  /* A number that reads two ways (500.000): a message naming both readings, else null */
  function twoReadings(response) {
    if (typeof response !== "string") { return null; }
    var text = split(response).text;
    var m = TWO_WAYS.exec(text);
    if (!m) { return null; }
    var whole = m[1], digits = m[2], kept = digits.replace(/0+$/, "");
    var decimal = kept ? whole + "." + kept : whole;
    var typed = kept === digits ? whole + "." + digits + "0" : decimal;
    return text + " reads two ways: " + whole + digits + " (a thousands point) or " + decimal + " (a decimal point). Type " +
      whole + "," + digits + " for the first or " + typed + " for the second.";
  }

  function parseNumber(response) {
    if (typeof response === "number") { return isFinite(response) ? response : null; }
    if (typeof response !== "string") { return null; }
    var parts = split(response), text = parts.text, scale = parts.scale, negative = parts.negative;
    if (TWO_WAYS.test(text)) { return null; }
    var value = unsigned(text, scale !== 1);
    if (value === null) { return null; }
    value *= negative ? -scale : scale;
    return isFinite(value) ? value : null;
  }

  /* Mirrors grading.grade(): {correct, answered, message (HTML), optionFeedback: [[i, HTML]]} */
  function grade(q, response) {
    var key = q.key;
    function result(correct, answered, message, optionFeedback) {
      return { correct: correct, answered: answered, message: message || "", optionFeedback: optionFeedback || [] };
    }
    if (q.type === "single") {
      if (typeof response !== "number" || response < 0 || response >= q.options.length || response % 1 !== 0) {
        return result(false, false, "Choose an option first.");
      }
      return result(key.correct.indexOf(response) >= 0, true, "", [[response, key.feedback[response]]]);
    }
    if (q.type === "multiple") {
      var chosen = [];
      (response || []).forEach(function (i) {
        if (typeof i === "number" && i >= 0 && i < q.options.length && chosen.indexOf(i) < 0) { chosen.push(i); }
      });
      chosen.sort(function (a, b) { return a - b; });
      if (!chosen.length) { return result(false, false, "Select at least one option first."); }
      var missed = key.correct.filter(function (i) { return chosen.indexOf(i) < 0; }).length;
      var extra = chosen.filter(function (i) { return key.correct.indexOf(i) < 0; }).length;
      var correct = missed === 0 && extra === 0;
      var message = (!correct && missed) ? "You left out " + missed + " correct option" + (missed > 1 ? "s" : "") + "." : "";
      return result(correct, true, message, chosen.map(function (i) { return [i, key.feedback[i]]; }));
    }
    if (q.type === "numeric") {
      var value = parseNumber(response);
      if (value === null) { return result(false, false, twoReadings(response) || "Enter a number. " + NUMBER_HELP); }
      if (Math.abs(value - key.answer) <= key.tolerance + EPS) { return result(true, true, key.correct); }
      for (var n = 0; n < key.near.length; n++) {
        if (Math.abs(value - key.near[n].value) <= key.near[n].tolerance + EPS) {
          return result(false, true, key.near[n].feedback);
        }
      }
      return result(false, true, key.incorrect);
    }
    /* ordering: response lists item indices (0 = first in the correct order) as arranged */
    var order = (response || []).slice();
    var count = q.items.length;
    var sorted = order.slice().sort(function (a, b) { return a - b; });
    for (var s = 0; s < count; s++) {
      if (sorted.length !== count || sorted[s] !== s) { return result(false, false, "Arrange all the items first."); }
    }
    var inPlace = order.filter(function (item, position) { return item === position; }).length;
    if (inPlace === count) { return result(true, true, key.correct); }
    return result(false, true, key.incorrect + " (" + inPlace + " of " + count + " in the right place.)");
  }

  var TYPE_LABEL = {
    single: "Choose one answer",
    multiple: "Select all that apply",
    numeric: "Enter a number",
    ordering: "Put in order"
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "class") { node.className = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function html(tag, attrs, trustedHtml) {  /* only for markdown-it output from the bank */
    var node = el(tag, attrs);
    node.innerHTML = trustedHtml;
    return node;
  }
  function button(label, cls, onClick) {
    var b = el("button", { type: "button", class: "tq-btn " + (cls || "") }, label);
    b.addEventListener("click", onClick);
    return b;
  }

  function storage() {
    try { var s = window.localStorage; s.setItem("top-quiz:probe", "1"); s.removeItem("top-quiz:probe"); return s; }
    catch (e) { return null; }
  }
  function load(key) {
    var s = storage();
    if (!s) { return {}; }
    try { return JSON.parse(s.getItem(key) || "{}") || {}; } catch (e) { return {}; }
  }
  function save(key, value) {
    var s = storage();
    if (s) { try { s.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full or blocked */ } }
  }

  /* ---- what the pages store, and the one check of its shape: the pages read a stored entry only
   * when it passes, and an imported progress file is refused whole when any entry fails ---- */
  var ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
  function isObject(v) { return !!v && typeof v === "object" && !Array.isArray(v); }
  function isCount(v) { return typeof v === "number" && v >= 0 && v % 1 === 0; }
  function validResponse(r) {
    if (typeof r === "number") { return isFinite(r); }
    if (typeof r === "string") { return r.length <= 200; }
    return Array.isArray(r) && r.every(function (i) { return isCount(i); });
  }
  function validAnswer(a) {
    return isObject(a) && (a.response === undefined || validResponse(a.response)) &&
      (a.correct === undefined || typeof a.correct === "boolean") && (a.attempts === undefined || isCount(a.attempts));
  }
  /* A quiz's entry: a lesson quiz (or the quick path) keeps {answers: {id: {response, correct,
   * attempts}}, total, title}; Test yourself keeps {last: {correct, total}, best, total, title}.
   * Returns "" when it is sound, else what is wrong with it. */
  function quizEntryError(v) {
    if (!isObject(v)) { return "it is not an object"; }
    if (v.answers !== undefined) {
      if (!isObject(v.answers)) { return "its answers are not a list of questions"; }
      var ids = Object.keys(v.answers);
      for (var i = 0; i < ids.length; i++) {
        if (!validAnswer(v.answers[ids[i]])) { return "the answer to " + ids[i].slice(0, 60) + " is damaged"; }
      }
    }
    if (v.last !== undefined && !(isObject(v.last) && isCount(v.last.correct) && isCount(v.last.total))) { return "its last result is damaged"; }
    if (v.best !== undefined && !isCount(v.best)) { return "its best score is damaged"; }
    if (v.total !== undefined && !isCount(v.total)) { return "its question count is damaged"; }
    if (v.title !== undefined && typeof v.title !== "string") { return "its title is damaged"; }
    return "";
  }
  /* The grading ledger: the latest verdict on every question, wherever it was answered (a lesson
   * quiz, the quick path, Test yourself, Review, Mistakes, Mixed practice, a worked step). Mistakes
   * and Review read it, so a right answer anywhere clears a mistake everywhere. */
  var ANSWERS_KEY = "top-study:v1:answers";
  /* Every key the course keeps starts with one of these (quiz.STORAGE_PREFIX, study.STUDY_PREFIX) */
  var QUIZ_PREFIX = "top-quiz:v1:";
  var PREFIXES = [QUIZ_PREFIX, "top-study:v1:"];
  function courseKey(key) {
    return typeof key === "string" && PREFIXES.some(function (p) { return key.indexOf(p) === 0 && key.length > p.length; });
  }
  function ledgerError(v) {
    if (!isObject(v) || !isObject(v.answers)) { return "it is not a list of answers"; }
    var ids = Object.keys(v.answers);
    for (var i = 0; i < ids.length; i++) {
      var a = v.answers[ids[i]];
      if (!isObject(a) || typeof a.correct !== "boolean" || typeof a.day !== "string" || !ISO_DAY.test(a.day) ||
          typeof a.from !== "string") { return "the verdict on " + ids[i].slice(0, 60) + " is damaged"; }
    }
    return "";
  }
  function ledger() {
    var v = load(ANSWERS_KEY);
    return ledgerError(v) ? {} : v.answers;
  }
  function dayToday() {
    var hook = null;
    try { hook = new URLSearchParams(window.location.search).get("today"); } catch (e) { hook = null; }
    if (hook && ISO_DAY.test(hook)) { return hook; }
    var d = new Date(Date.now());
    return d.getFullYear() + "-" + (d.getMonth() < 9 ? "0" : "") + (d.getMonth() + 1) + "-" + (d.getDate() < 10 ? "0" : "") + d.getDate();
  }
  function record(id, correct, from, response) {
    var answers = ledger();
    answers[id] = { correct: !!correct, day: dayToday(), from: from || "quiz" };
    save(ANSWERS_KEY, { answers: answers });
    if (correct && response !== undefined) { clearMistake(id, response); }
    changed();
  }
  /* A right answer anywhere clears the mistake everywhere: a wrong answer to the same question kept
   * by a lesson quiz or the quick path becomes this right one, so their marks, their scores and the
   * quiz table agree with Mistakes and Review. Blank questions stay blank (nothing is filled in). */
  function clearMistake(id, response) {
    var s = storage();
    if (!s) { return; }
    var keys = [];
    for (var i = 0; i < s.length; i++) { if (s.key(i).indexOf(QUIZ_PREFIX) === 0) { keys.push(s.key(i)); } }
    keys.forEach(function (key) {
      var entry = loadQuiz(key), before = entry.answers && entry.answers[id];
      if (before && before.response !== undefined && before.response !== null && !before.correct) {
        entry.answers[id] = { response: response, correct: true, attempts: (before.attempts || 0) + 1 };
        save(key, entry);
      }
    });
  }
  /* Pages that show counts (Review's boxes, Mistakes, My progress) follow every answer: one given on
   * the same page (after its own handlers have saved) or in another tab of the course (a storage event). */
  var listeners = [];
  function changed() {
    setTimeout(function () { listeners.forEach(function (fn) { fn(); }); }, 0);
  }
  function onProgress(fn) { listeners.push(fn); }
  window.addEventListener("storage", function (e) {
    if (e.key === null || courseKey(e.key)) { listeners.forEach(function (fn) { fn(); }); }
  });
  /* A quiz's stored entry, read only when sound (a damaged one reads as empty, so the quiz still
   * shows its questions and Reset works) */
  function loadQuiz(key) {
    var v = load(key);
    return quizEntryError(v) ? {} : v;
  }

  var uid = 0;

  /* One question's view. opts: {number, total, sequential, state, onChange} */
  /* Show a question of a one-at-a-time sequence in ``container``: its title can take focus, and
     does when ``focus`` (every question after the first), so a screen reader reads it next. */
  function placeInSequence(view, container, focus) {
    container.appendChild(view.root);
    var heading = view.root.querySelector(".tq-title");
    heading.setAttribute("tabindex", "-1");
    if (focus) { heading.focus(); }
  }

  function QuestionView(q, opts) {
    var self = this;
    uid += 1;
    var base = "tq" + uid;
    this.q = q;
    this.state = opts.state || {};
    this.source = opts.source === undefined ? "quiz" : opts.source;  /* where the ledger says it was answered; null: not recorded */
    this.root = el("section", { class: "tq-question", "data-qid": q.id, "data-type": q.type, "aria-labelledby": base + "-title" });

    var head = el("div", { class: "tq-head" });
    /* a quiz sits right under its page title (h1): questions are h2, their parts h3 */
    head.appendChild(el("h2", { class: "tq-title", id: base + "-title" }, "Question " + opts.number + " of " + opts.total));
    head.appendChild(el("span", { class: "tq-badge tq-" + q.difficulty }, q.difficulty));
    head.appendChild(el("span", { class: "tq-kind" }, TYPE_LABEL[q.type]));
    this.root.appendChild(head);
    this.root.appendChild(html("div", { class: "tq-prompt", id: base + "-prompt" }, q.prompt));

    var answer = el("div", { class: "tq-answer" });
    this.optionFeedback = [];
    if (q.type === "single" || q.type === "multiple") {
      var fs = el("fieldset", { class: "tq-options", "aria-describedby": base + "-prompt" });
      fs.appendChild(el("legend", { class: "tq-sr" }, TYPE_LABEL[q.type]));
      this.inputs = q.options.map(function (optionHtml, i) {
        var row = el("div", { class: "tq-option" });
        var input = el("input", { type: q.type === "single" ? "radio" : "checkbox", name: base + "-opt", id: base + "-o" + i, value: String(i) });
        var label = html("label", { for: base + "-o" + i }, optionHtml);
        var fb = el("div", { class: "tq-opt-feedback", id: base + "-f" + i, hidden: "" });
        input.setAttribute("aria-describedby", base + "-f" + i);
        row.appendChild(input); row.appendChild(label); row.appendChild(fb);
        fs.appendChild(row);
        self.optionFeedback.push(fb);
        return input;
      });
      answer.appendChild(fs);
    } else if (q.type === "numeric") {
      var wrap = el("div", { class: "tq-numeric" });
      var lab = el("label", { for: base + "-num" }, "Your answer");
      /* inputmode "text": a phone's decimal keypad has no space, k or M */
      this.number = el("input", { type: "text", inputmode: "text", id: base + "-num", autocomplete: "off",
                                  placeholder: NUMBER_PLACEHOLDER, "aria-describedby": base + "-prompt " + base + "-numhelp" });
      this.number.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); self.check(); } });
      wrap.appendChild(lab); wrap.appendChild(this.number);
      if (q.unit) { wrap.appendChild(el("span", { class: "tq-unit" }, q.unit)); }
      answer.appendChild(wrap);
      answer.appendChild(el("p", { class: "tq-help tq-number-help", id: base + "-numhelp" }, NUMBER_HELP));
    } else {
      this.order = (this.state.response || q.start).slice();
      this.list = el("ol", { class: "tq-order", "aria-label": "Items to put in order" });
      answer.appendChild(el("p", { class: "tq-help" }, "Use the Up and Down buttons to arrange the items from first to last."));
      answer.appendChild(this.list);
    }
    this.root.appendChild(answer);

    var actions = el("div", { class: "tq-actions" });
    this.checkBtn = button("Check", "tq-primary", function () { self.check(); });
    this.hintBtn = button("Hint", "", function () { self.toggle(self.hintBox, self.hintBtn, "Hint", "Hide hint"); });
    this.solBtn = button("Show solution", "", function () { self.toggle(self.solBox, self.solBtn, "Show solution", "Hide solution"); });
    this.againBtn = button("Try again", "", function () { self.reset(); });
    this.hintBtn.setAttribute("aria-expanded", "false");
    this.solBtn.setAttribute("aria-expanded", "false");
    [this.checkBtn, this.hintBtn, this.solBtn].forEach(function (b) { actions.appendChild(b); });
    if (!opts.sequential) { actions.appendChild(this.againBtn); }
    this.root.appendChild(actions);

    this.feedback = el("div", { class: "tq-feedback", role: "status", "aria-live": "polite" });
    this.root.appendChild(this.feedback);
    this.hintBox = el("div", { class: "tq-hint", id: base + "-hint", hidden: "" });
    this.hintBox.appendChild(el("strong", {}, "Hint: "));
    this.hintBox.appendChild(html("span", {}, q.hint));
    this.hintBtn.setAttribute("aria-controls", base + "-hint");
    this.root.appendChild(this.hintBox);

    this.solBox = el("div", { class: "tq-solution", id: base + "-sol", hidden: "" });
    this.solBtn.setAttribute("aria-controls", base + "-sol");
    this.solBox.appendChild(el("h3", {}, "Solution"));
    var steps = el("ol", { class: "tq-steps" });
    q.solution.steps.forEach(function (s) { steps.appendChild(html("li", {}, s)); });
    this.solBox.appendChild(steps);
    var ans = el("p", {}); ans.appendChild(el("strong", {}, "Answer: ")); ans.appendChild(html("span", {}, q.solution.answer));
    var chk = el("p", {}); chk.appendChild(el("strong", {}, "Quick check: ")); chk.appendChild(html("span", {}, q.solution.check));
    this.solBox.appendChild(ans); this.solBox.appendChild(chk);
    if (q.mistakes.length) {
      this.solBox.appendChild(el("p", {}, "Common mistakes:"));
      var ul = el("ul", {});
      q.mistakes.forEach(function (m) { ul.appendChild(html("li", {}, m)); });
      this.solBox.appendChild(ul);
    }
    this.root.appendChild(this.solBox);

    this.onChange = opts.onChange || function () {};
    this.sequential = !!opts.sequential;
    if (q.type === "ordering") { this.renderOrder(); }
    if (this.state.response !== undefined && this.state.response !== null) {
      this.setResponse(this.state.response);
      this.show(grade(q, this.state.response));
    }
  }

  QuestionView.prototype.renderOrder = function (focusIndex, focusDir) {
    var self = this;
    var q = this.q;
    this.list.textContent = "";
    this.order.forEach(function (item, position) {
      var li = el("li", { class: "tq-item", "data-item": String(item) });
      var text = html("span", { class: "tq-item-text" }, q.items[item]);
      var plain = text.textContent;
      var up = button("Up", "tq-move", function () { self.move(position, -1); });
      var down = button("Down", "tq-move", function () { self.move(position, 1); });
      up.setAttribute("aria-label", "Move up: " + plain);
      down.setAttribute("aria-label", "Move down: " + plain);
      if (position === 0) { up.disabled = true; }
      if (position === self.order.length - 1) { down.disabled = true; }
      li.appendChild(text); li.appendChild(up); li.appendChild(down);
      self.list.appendChild(li);
      if (focusIndex === position) {
        var target = focusDir < 0 ? (up.disabled ? down : up) : (down.disabled ? up : down);
        setTimeout(function () { target.focus(); }, 0);
      }
    });
  };

  QuestionView.prototype.move = function (position, dir) {
    var to = position + dir;
    if (to < 0 || to >= this.order.length || this.locked) { return; }
    var item = this.order[position];
    this.order[position] = this.order[to];
    this.order[to] = item;
    this.renderOrder(to, dir);
  };

  QuestionView.prototype.response = function () {
    var q = this.q;
    if (q.type === "single") {
      for (var i = 0; i < this.inputs.length; i++) { if (this.inputs[i].checked) { return i; } }
      return null;
    }
    if (q.type === "multiple") {
      return this.inputs.map(function (inp, i) { return inp.checked ? i : -1; }).filter(function (i) { return i >= 0; });
    }
    if (q.type === "numeric") { return this.number.value; }
    return this.order.slice();
  };

  QuestionView.prototype.setResponse = function (response) {
    var q = this.q;
    if (q.type === "single") { this.inputs.forEach(function (inp, i) { inp.checked = i === response; }); }
    else if (q.type === "multiple") { this.inputs.forEach(function (inp, i) { inp.checked = (response || []).indexOf(i) >= 0; }); }
    else if (q.type === "numeric") { this.number.value = response; }
    else { this.order = response.slice(); this.renderOrder(); }
  };

  QuestionView.prototype.toggle = function (box, btn, showLabel, hideLabel) {
    var open = box.hasAttribute("hidden");
    if (open) { box.removeAttribute("hidden"); } else { box.setAttribute("hidden", ""); }
    btn.textContent = open ? hideLabel : showLabel;
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  };

  QuestionView.prototype.clearFeedback = function () {
    this.feedback.textContent = "";
    this.feedback.className = "tq-feedback";
    this.root.classList.remove("tq-is-correct", "tq-is-wrong");
    this.optionFeedback.forEach(function (fb) { fb.textContent = ""; fb.setAttribute("hidden", ""); });
  };

  QuestionView.prototype.show = function (result) {
    this.clearFeedback();
    if (!result.answered) {
      this.feedback.appendChild(el("span", { class: "tq-verdict" }, result.message));
      return;
    }
    var ok = result.correct;
    this.root.classList.add(ok ? "tq-is-correct" : "tq-is-wrong");
    this.feedback.classList.add(ok ? "tq-ok" : "tq-no");
    this.feedback.appendChild(el("span", { class: "tq-icon", "aria-hidden": "true" }, ok ? "\u2714" : "\u2718"));
    this.feedback.appendChild(el("strong", { class: "tq-verdict" }, ok ? "Correct." : "Not quite."));
    if (result.message) { this.feedback.appendChild(document.createTextNode(" ")); this.feedback.appendChild(html("span", {}, result.message)); }
    var self = this;
    var key = this.q.key;
    result.optionFeedback.forEach(function (pair) {
      var fb = self.optionFeedback[pair[0]];
      var right = key.correct.indexOf(pair[0]) >= 0;
      fb.textContent = "";
      fb.appendChild(el("strong", {}, right ? "\u2714 Right choice: " : "\u2718 Wrong choice: "));
      fb.appendChild(html("span", {}, pair[1]));
      fb.className = "tq-opt-feedback " + (right ? "tq-ok" : "tq-no");
      fb.removeAttribute("hidden");
    });
    if (result.optionFeedback.length) {
      var summary = result.optionFeedback.map(function (pair) {
        var tmp = document.createElement("span"); tmp.innerHTML = pair[1]; return tmp.textContent;
      }).join(" ");
      this.feedback.appendChild(el("span", { class: "tq-sr" }, " " + summary));
    }
    if (this.sequential) { this.lock(); }
  };

  QuestionView.prototype.lock = function () {
    this.locked = true;
    this.checkBtn.disabled = true;
    (this.inputs || []).forEach(function (inp) { inp.disabled = true; });
    if (this.number) { this.number.disabled = true; }
    if (this.list) { this.list.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }
  };

  QuestionView.prototype.check = function () {
    if (this.locked) { return; }
    var response = this.response();
    var result = grade(this.q, response);
    if (result.answered) {
      this.state.response = response;
      this.state.correct = result.correct;
      this.state.attempts = (this.state.attempts || 0) + 1;
    }
    this.show(result);
    if (result.answered) {
      if (this.source) { record(this.q.id, result.correct, this.source, response); }
      this.onChange(this.q, this.state);
    }
  };

  QuestionView.prototype.close = function (box, btn, showLabel) {
    box.setAttribute("hidden", "");
    btn.textContent = showLabel;
    btn.setAttribute("aria-expanded", "false");
  };

  QuestionView.prototype.reset = function () {
    this.close(this.hintBox, this.hintBtn, "Hint");
    this.close(this.solBox, this.solBtn, "Show solution");
    if (this.q.type === "ordering") { this.order = this.q.start.slice(); this.renderOrder(); }
    else if (this.q.type === "numeric") { this.number.value = ""; }
    else { this.inputs.forEach(function (inp) { inp.checked = false; }); }
    this.clearFeedback();
    delete this.state.response;
    this.state.correct = false;
    this.onChange(this.q, this.state);
    var first = this.inputs ? this.inputs[0] : (this.number || this.list.querySelector("button:not([disabled])"));
    if (first) { first.focus(); }
  };

  function scoreText(questions, answers) {
    var correct = 0, answered = 0;
    questions.forEach(function (q) {
      var s = answers[q.id];
      if (s && s.response !== undefined) { answered += 1; if (s.correct) { correct += 1; } }
    });
    return { correct: correct, answered: answered, text: "Score: " + correct + " of " + questions.length + " correct (" + answered + " answered)" };
  }

  function mountLesson(root, cfg) {
    var saved = loadQuiz(cfg.storageKey);
    var answers = saved.answers || {};
    var bar = el("div", { class: "tq-scorebar" });
    var scoreEl = el("p", { class: "tq-score", role: "status", "aria-live": "polite" });
    var resetBtn = button("Reset quiz", "", function () {
      var n = scoreText(cfg.questions, answers).answered;
      if (n && !window.confirm("Clear your " + n + " answer" + (n === 1 ? "" : "s") + " to this quiz? This cannot be undone.")) { return; }
      save(cfg.storageKey, {});
      root.removeAttribute("data-mounted");
      root.querySelectorAll(".tq-body").forEach(function (n) { n.remove(); });
      mount(root);
    });
    bar.appendChild(scoreEl); bar.appendChild(resetBtn);
    var body = el("div", { class: "tq-body" });
    if (cfg.title) { body.appendChild(el("p", { class: "tq-quiz-title" }, cfg.title)); }
    body.appendChild(bar);
    function update() {
      var s = scoreText(cfg.questions, answers);
      scoreEl.textContent = s.text;
      root.setAttribute("data-score", String(s.correct));
      save(cfg.storageKey, { answers: answers, total: cfg.questions.length, title: cfg.title });
    }
    var led = ledger();
    var where = { review: "in Review", mistakes: "in Mistakes", mixed: "in Mixed practice", test: "in Test yourself" };
    cfg.questions.forEach(function (q, i) {
      answers[q.id] = answers[q.id] || {};
      var view = new QuestionView(q, { number: i + 1, total: cfg.questions.length, state: answers[q.id], onChange: update });
      var last = led[q.id];
      if (answers[q.id].correct && last && last.correct && where[last.from]) {  /* a mistake cleared elsewhere (clearMistake) */
        view.feedback.appendChild(el("span", { class: "tq-cleared" }, " Answered right " + where[last.from] + " on " + last.day + "."));
      }
      body.appendChild(view.root);
    });
    root.appendChild(body);
    var s = scoreText(cfg.questions, answers);
    scoreEl.textContent = s.text;
    root.setAttribute("data-score", String(s.correct));
  }

  function mountSequential(root, cfg) {
    var body = el("div", { class: "tq-body" });
    root.appendChild(body);
    var answers = {};
    var index = 0;
    var scoreEl = el("p", { class: "tq-score", role: "status", "aria-live": "polite" });
    function renderQuestion() {
      body.textContent = "";
      var s = scoreText(cfg.questions, answers);
      scoreEl.textContent = s.text;
      root.setAttribute("data-score", String(s.correct));
      body.appendChild(scoreEl);
      var q = cfg.questions[index];
      answers[q.id] = {};
      var next = button(index + 1 < cfg.questions.length ? "Next question" : "See my results", "tq-primary tq-next", function () {
        index += 1;
        if (index < cfg.questions.length) { renderQuestion(); } else { renderSummary(); }
      });
      next.hidden = true;
      var view = new QuestionView(q, {
        number: index + 1, total: cfg.questions.length, sequential: true, state: answers[q.id], source: "test",
        onChange: function () {
          var s2 = scoreText(cfg.questions, answers);
          scoreEl.textContent = s2.text;
          root.setAttribute("data-score", String(s2.correct));
          next.hidden = false;
          next.focus();
        }
      });
      view.root.querySelector(".tq-actions").appendChild(next);
      placeInSequence(view, body, index > 0);
    }
    function renderSummary() {
      body.textContent = "";
      var s = scoreText(cfg.questions, answers);
      root.setAttribute("data-score", String(s.correct));
      var box = el("div", { class: "tq-summary", role: "status", "aria-live": "polite", tabindex: "-1" });
      box.appendChild(el("h2", { class: "tq-result" }, "Your result: " + s.correct + " of " + cfg.questions.length));
      var table = el("table", { class: "tq-table" });
      var head = el("tr", {});
      ["Difficulty", "Correct", "Questions"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
      table.appendChild(head);
      ["easy", "medium", "hard"].forEach(function (d) {
        var qs = cfg.questions.filter(function (q) { return q.difficulty === d; });
        if (!qs.length) { return; }
        var ok = qs.filter(function (q) { return answers[q.id] && answers[q.id].correct; }).length;
        var tr = el("tr", { "data-difficulty": d });
        tr.appendChild(el("th", { scope: "row" }, d));
        tr.appendChild(el("td", {}, String(ok)));
        tr.appendChild(el("td", {}, String(qs.length)));
        table.appendChild(tr);
      });
      box.appendChild(table);
      /* lessonOrder: this quiz's lessons in the order the course teaches them (grading.revisit_order) */
      var wrong = cfg.questions.filter(function (q) { return !(answers[q.id] && answers[q.id].correct); })
        .map(function (q) { return q.lesson; });
      var missed = (cfg.lessonOrder || []).filter(function (slug) { return wrong.indexOf(slug) >= 0; });
      wrong.forEach(function (slug) { if (missed.indexOf(slug) < 0) { missed.push(slug); } });
      if (missed.length) {
        box.appendChild(el("p", {}, "Lessons to revisit:"));
        var ul = el("ul", { class: "tq-revisit" });
        missed.forEach(function (slug) {
          var info = cfg.lessons[slug] || { title: slug, href: "#" };
          var li = el("li", {});
          li.appendChild(el("a", { href: info.href }, info.title));
          ul.appendChild(li);
        });
        box.appendChild(ul);
      } else {
        box.appendChild(el("p", {}, "Every answer right: well done."));
      }
      box.appendChild(button("Start again", "tq-primary", function () { index = 0; answers = {}; renderQuestion(); }));
      body.appendChild(box);
      var history = loadQuiz(cfg.storageKey);
      save(cfg.storageKey, { last: { correct: s.correct, total: cfg.questions.length }, best: Math.max(s.correct, (history.best || 0)), title: cfg.title, total: cfg.questions.length });
      box.focus();
    }
    renderQuestion();
  }

  function mountProgress(root, cfg) {
    if (!root.getAttribute("data-follows")) {  /* once per root: a remount must not add a second listener */
      root.setAttribute("data-follows", "1");
      onProgress(function () { remount(root); });
    }
    var body = el("div", { class: "tq-body" });
    var table = el("table", { class: "tq-table tq-progress" });
    var head = el("tr", {});
    ["Quiz", "Answered", "Correct", "Questions"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    table.appendChild(head);
    var totalCorrect = 0, totalQuestions = 0;
    cfg.quizzes.forEach(function (quiz) {
      var saved = loadQuiz(quiz.storageKey);
      var tr = el("tr", { "data-quiz": quiz.id });
      var name = el("th", { scope: "row" });
      name.appendChild(el("a", { href: quiz.href }, quiz.title));
      tr.appendChild(name);
      if (quiz.kind === "sequential") {
        var last = saved.last;
        tr.appendChild(el("td", {}, last ? "last try" : "not yet"));
        tr.appendChild(el("td", {}, last ? last.correct + " (best " + (saved.best || 0) + ")" : "\u2013"));
        tr.appendChild(el("td", {}, String(quiz.total)));
      } else {
        var answers = saved.answers || {};
        var answered = 0, correct = 0;
        Object.keys(answers).forEach(function (k) {
          if (answers[k] && answers[k].response !== undefined) { answered += 1; if (answers[k].correct) { correct += 1; } }
        });
        totalCorrect += correct; totalQuestions += quiz.total;
        tr.appendChild(el("td", {}, String(answered)));
        tr.appendChild(el("td", {}, String(correct)));
        tr.appendChild(el("td", {}, String(quiz.total)));
      }
      table.appendChild(tr);
    });
    body.appendChild(el("p", { class: "tq-score" }, "Lesson quizzes: " + totalCorrect + " of " + totalQuestions + " questions answered correctly."));
    body.appendChild(table);
    root.appendChild(body);
  }

  function mount(root) {
    if (root.getAttribute("data-mounted")) { return; }
    var data = root.querySelector("script[type='application/json']");
    if (!data) { return; }
    var cfg = JSON.parse(data.textContent);
    root.setAttribute("data-mounted", "1");
    var nos = root.querySelector(".tq-noscript");
    if (nos) { nos.remove(); }
    if (cfg.mode === "sequential") { mountSequential(root, cfg); }
    else if (cfg.mode === "progress") { mountProgress(root, cfg); }
    else { mountLesson(root, cfg); }
  }

  function mountAll() {
    document.querySelectorAll("[data-top-quiz]").forEach(mount);
  }
  /* After an import: every quiz view on the page shows the new state, without a reload. */
  function remount(root) {
    root.querySelectorAll(".tq-body").forEach(function (n) { n.remove(); });
    root.removeAttribute("data-mounted");
    mount(root);
  }
  function remountAll() {
    document.querySelectorAll("[data-top-quiz][data-mounted]").forEach(remount);
  }

  /* QuestionView is shared with the study pages (tune_or_prompt.study), which ask the same questions. */
  window.TOPQuiz = { grade: grade, parseNumber: parseNumber, twoReadings: twoReadings, numberHelp: NUMBER_HELP, numberPlaceholder: NUMBER_PLACEHOLDER,
                    answersKey: ANSWERS_KEY, courseKey: courseKey, ledger: ledger, ledgerError: ledgerError, record: record,
                    onProgress: onProgress,
                    quizEntryError: quizEntryError, remountAll: remountAll, mountAll: mountAll, QuestionView: QuestionView,
                    placeInSequence: placeInSequence, version: 1 };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mountAll); } else { mountAll(); }
})();
