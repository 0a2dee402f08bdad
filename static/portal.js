// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Polls of the status card send the ETag they were rendered with, so an unchanged
  // status costs the server one small query and a 304 (htmx keeps the card as it is).
  document.addEventListener("htmx:configRequest", function (event) {
    var source = event.detail.elt;
    if (source && source.dataset && source.dataset.etag && event.detail.verb === "get") {
      event.detail.headers["If-None-Match"] = source.dataset.etag;
    }
  });

  // After an htmx swap that replaced a form region, move focus to the result of what the
  // user did (the errors, or the message in the page's live region), so keyboard and
  // screen-reader users land there. The status card's own polls never move focus, and the
  // desk's filters keep focus in the field being typed in: their result count is announced.
  function focusOn(element) {
    if (!element.hasAttribute("tabindex")) { element.setAttribute("tabindex", "-1"); }
    element.focus();
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && !target.isConnected && target.id) { target = document.getElementById(target.id); }
    if (!target || target.id === "status") { return; }
    if (target.id === "desk-results") {
      var region = document.getElementById("desk-results-status");
      var count = document.getElementById("results-heading");
      if (region && count) { region.textContent = count.textContent.trim(); }
      return;
    }
    var result = target.querySelector(".form-errors, .row-message, .flash, [role=alert]") ||
      document.querySelector("#live-message .flash");
    if (result) { focusOn(result); }
  });

  // "Copy link" buttons: shown only when the clipboard is available.
  function enableCopyButtons(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) { return; }
      button.hidden = false;
      if (button.dataset.bound) { return; }
      button.dataset.bound = "1";
      button.addEventListener("click", function () {
        var field = document.querySelector(button.dataset.copy);
        navigator.clipboard.writeText(field.value).then(function () {
          var original = button.textContent;
          button.textContent = button.dataset.copied || "Copied";
          setTimeout(function () { button.textContent = original; }, 2000);
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enableCopyButtons(document); });
  document.addEventListener("htmx:load", function (event) { enableCopyButtons(event.detail.elt); });
})();
