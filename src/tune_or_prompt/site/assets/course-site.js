/* Tune or Prompt site: a table wider than the page scrolls sideways inside its own box, never the
 * page. The box shows a cue while there is more to see: a written hint above the table and a fade
 * on the side that scrolls (course-site.css). Tables added later (the quizzes build theirs in the
 * browser) get the same treatment. No network, no dependencies. */
(function () {
  "use strict";
  var HINT = "Scroll sideways to see the whole table \u2192";
  var FIGURE_HINT = "Scroll sideways to see the whole figure \u2192";

  /* A table only a few px wider than its box (up to SNUG) gets no cue and no fade when nothing
   * readable is hidden: either the overflow is the last column's padding or border alone
   * ("snug": the box simply does not scroll), or the table fits once its cells' side padding is
   * narrowed ("tight"). Only a table whose text still runs past the edge is "wide". */
  var SNUG = 16;  /* px */
  function overflow(box) { return box.scrollWidth - box.clientWidth; }
  /* how far the table's text reaches past the box's right edge (px; negative: it ends inside) */
  function textPastEdge(box) {
    var edge = box.getBoundingClientRect().right - box.scrollLeft;  /* as if scrolled to the start */
    var range = document.createRange(), far = -Infinity;
    box.querySelectorAll("th, td").forEach(function (cell) {
      range.selectNodeContents(cell);
      var rects = range.getClientRects();
      for (var i = 0; i < rects.length; i++) { if (rects[i].width) { far = Math.max(far, rects[i].right); } }
    });
    return far - edge;
  }
  function hidesNothing(box) {
    var extra = overflow(box);
    return extra <= 1 || (extra <= SNUG && !box.classList.contains("top-figure-scroll") && textPastEdge(box) <= 0.5);
  }

  /* Decide how the table fits (this changes its layout: run on resize, not on scroll). */
  function fit(box) {
    box.classList.remove("top-table-tight", "top-table-snug");
    var wide = false;
    if (overflow(box) > 1) {
      if (overflow(box) > SNUG) { wide = true; }
      else if (!hidesNothing(box)) {
        box.classList.add("top-table-tight");
        if (!hidesNothing(box)) { box.classList.remove("top-table-tight"); wide = true; }
      }
    }
    box.classList.toggle("top-table-snug", !wide && overflow(box) > 1);
    box.classList.toggle("top-table-wide", wide);
    if (!wide) { box.scrollLeft = 0; }
    update(box);
  }

  /* The cue for a wide table, following the scroll position. */
  function update(box) {
    var extra = overflow(box);
    var wide = box.classList.contains("top-table-wide");
    box.classList.toggle("top-more-left", wide && box.scrollLeft > 1);
    box.classList.toggle("top-more-right", wide && box.scrollLeft < extra - 1);
    if (wide) {  /* keyboard users can focus the box and scroll it with the arrow keys */
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", box.getAttribute("data-top-label") + ", scrolls sideways");
    } else {
      ["tabindex", "role", "aria-label"].forEach(function (name) { box.removeAttribute(name); });
    }
    var hint = box.previousElementSibling;
    if (hint && hint.classList.contains("top-scroll-hint")) { hint.hidden = !wide; }
  }

  /* (in the next frame: a change made inside the observer's callback, such as the scrollbar
   * going, would otherwise be a ResizeObserver loop) */
  var resized = typeof ResizeObserver === "function" ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var box = entry.target.closest(".top-table-scroll");
      if (box) { requestAnimationFrame(function () { fit(box); }); }
    });
  }) : null;

  var count = 0;

  /* A figure (a notebook's plot) gets the same box: on a phone it keeps its own size, so its text
   * stays readable (course-site.css), and scrolls sideways with the same cue as a table. */
  var figures = 0;
  function wrap(table) {
    var box = table.parentElement;
    if (box.classList.contains("top-table-scroll")) { return; }
    var figure = table.tagName === "IMG";
    box = document.createElement("div");
    box.className = "top-table-scroll" + (figure ? " top-figure-scroll" : "");
    var label;
    if (figure) { figures += 1; label = "Figure " + figures; }
    else {
      count += 1;  /* each region needs its own name */
      label = (table.caption && table.caption.textContent.trim()) || "Table " + count;
    }
    box.setAttribute("data-top-label", label);
    var hint = document.createElement("p");
    hint.className = "top-scroll-hint";
    hint.setAttribute("aria-hidden", "true");
    hint.hidden = true;
    hint.textContent = figure ? FIGURE_HINT : HINT;
    table.parentNode.insertBefore(hint, table);
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
    box.addEventListener("scroll", function () { update(box); }, { passive: true });
    if (resized) { resized.observe(box); resized.observe(table); }
    if (figure && !table.complete) { table.addEventListener("load", function () { fit(box); }); }
    fit(box);
  }

  function scan() {
    document.querySelectorAll(".bd-article table").forEach(function (table) {
      if (!table.parentElement.closest("table")) { wrap(table); }
    });
    document.querySelectorAll(".bd-article .cell_output > img").forEach(wrap);
  }

  var pending = false;
  function soon() {
    if (pending) { return; }
    pending = true;
    requestAnimationFrame(function () { pending = false; scan(); });
  }

  function init() {
    scan();
    var article = document.querySelector(".bd-article");
    if (article) { new MutationObserver(soon).observe(article, { childList: true, subtree: true }); }
    window.addEventListener("load", function () {
      document.querySelectorAll(".top-table-scroll").forEach(fit);
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }

  /* The ☰ button. sphinx-book-theme shows its own .primary-toggle in the article header, while
   * pydata-sphinx-theme's navbar keeps another, hidden, earlier in the page; both themes bind
   * document.querySelector(".primary-toggle"), the hidden one, so a tap on the visible button did
   * nothing: no sidebar on a phone, no collapsing on a desktop (pydata-sphinx-theme #2451,
   * sphinx-book-theme #988). A tap on any other ☰ is handed to the bound one, so the themes' own
   * code runs: the sidebar opens as a dialog on a narrow screen and collapses on a wide one.
   * (Capture phase on the document: it runs before anything bound to the button itself.) */
  document.addEventListener("click", function (event) {
    var toggle = event.target && event.target.closest ? event.target.closest(".primary-toggle") : null;
    var bound = document.querySelector(".primary-toggle");
    if (!toggle || !bound || toggle === bound) { return; }
    event.preventDefault();
    event.stopPropagation();
    bound.click();
  }, true);
})();
