/* Tune or Prompt decision helper, static view: menus in, recommend()'s precomputed answer out.
   Every text is inserted with textContent (never parsed as HTML), so nothing in the data can run. */
(function () {
  "use strict";
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function mount(root, index) {
    if (root.getAttribute("data-tod-ready")) return;
    root.setAttribute("data-tod-ready", "1");
    var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
    var noscript = root.querySelector(".tod-noscript");
    if (noscript) noscript.remove();
    var form = el("form", "tod-form");
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    var selects = data.menus.map(function (menu, i) {
      var id = "tod-" + index + "-" + menu.name;
      var row = el("div", "tod-row");
      var label = el("label", null, menu.label);
      label.setAttribute("for", id);
      var select = el("select");
      select.id = id;
      select.name = menu.name;
      menu.options.forEach(function (text, j) {
        var option = el("option", null, text);
        option.value = String(j);
        if (j === data.default[i]) option.selected = true;
        select.appendChild(option);
      });
      select.addEventListener("change", show);
      row.appendChild(label);
      row.appendChild(select);
      form.appendChild(row);
      return select;
    });
    var result = el("div", "tod-result");
    result.setAttribute("aria-live", "polite");
    root.appendChild(form);
    root.appendChild(result);
    function show() {
      var key = selects.map(function (s) { return s.value; }).join("-");
      var answer = data.results[key];
      result.textContent = "";
      if (!answer) { result.appendChild(el("p", null, "No recommendation for this combination.")); return; }
      var choice = el("p", "tod-choice", "Recommendation: ");
      choice.appendChild(el("strong", null, data.choices[answer[0]]));
      result.appendChild(choice);
      result.appendChild(el("p", "tod-headline", data.texts[answer[1]]));
      var list = el("ul", "tod-reasons");
      answer[2].forEach(function (i) { list.appendChild(el("li", null, data.texts[i])); });
      result.appendChild(list);
      result.appendChild(el("p", "tod-source", "Numbers: " + data.source));
    }
    show();
  }
  function init() {
    var roots = document.querySelectorAll("[data-tod-helper]");
    for (var i = 0; i < roots.length; i++) mount(roots[i], i);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
