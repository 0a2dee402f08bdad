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

  // After an htmx swap that replaced a form region, move focus to its status message,
  // so keyboard and screen-reader users land on the result of what they did.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id === "status") { return; }
    var focusable = target.querySelector(".form-errors, .live-message .flash, .row-message");
    if (focusable) {
      focusable.setAttribute("tabindex", "-1");
      focusable.focus();
    }
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
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = original; }, 2000);
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enableCopyButtons(document); });
  document.addEventListener("htmx:load", function (event) { enableCopyButtons(event.detail.elt); });
})();
