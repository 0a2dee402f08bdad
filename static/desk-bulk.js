// The desk list's bulk selection, as progressive enhancement: without this file the
// "Send to" choices (ticked rows, this page, the whole filter) do the same job.
(function () {
  "use strict";

  function boxes() { return document.querySelectorAll("input.bulk-select"); }

  function refresh() {
    var all = boxes();
    var ticked = 0;
    all.forEach(function (box) { if (box.checked) { ticked += 1; } });
    var count = document.getElementById("bulk-selected-count");
    if (count) { count.textContent = ticked ? "(" + ticked + ")" : ""; }
    var page = document.getElementById("select-page");
    if (page) {
      page.checked = all.length > 0 && ticked === all.length;
      page.indeterminate = ticked > 0 && ticked < all.length;
    }
  }

  function setup(root) {
    (root || document).querySelectorAll(".select-page[hidden]").forEach(function (wrap) {
      wrap.hidden = false;
    });
    refresh();
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-page") {
      boxes().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.id === "select-page" || target.classList.contains("bulk-select")) {
      var selected = document.querySelector('#bulk-form input[name="scope"][value="selected"]');
      if (selected) { selected.checked = true; }
      var details = document.getElementById("bulk-details");
      if (details && target.checked) { details.open = true; }
      refresh();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { setup(document); });
  document.addEventListener("htmx:load", function (event) { setup(event.detail.elt); });

  // Land keyboard and screen-reader users on the preview, and on the result after sending.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && target.id === "bulk-preview") {
      var landing = target.querySelector(".form-errors") ||
        document.getElementById("bulk-preview-heading");
      if (landing) {
        landing.setAttribute("tabindex", "-1");
        landing.focus();
      }
    }
    var result = document.querySelector(".bulk-result");
    if (result && event.detail.elt && event.detail.elt.id === "desk-results") { result.focus(); }
  });
})();
