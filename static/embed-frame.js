// Inside a widget's iframe: tell the host page how tall the content is, so it can size the
// frame, and show the widget's friendly refusals (403, 404, 410, 429) when htmx asked.
(function () {
  "use strict";

  // Our refusal pages are meant to be read: swap them in like any answer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403 || status === 404 || status === 410 || status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Set by the server only when the client listed the host page's origin. Pages reached
  // without it (after a form in the frame redirected) carry the client's list instead, and
  // the browser's own word on the parent's origin must be on it.
  function listedParentOrigin() {
    var listed = (document.body.getAttribute("data-embed-origins") || "").split(" ");
    var ancestors = window.location.ancestorOrigins;
    var actual = ancestors && ancestors.length ? ancestors[0] : null;
    return actual && listed.indexOf(actual) !== -1 ? actual : null;
  }

  var parentOrigin = document.body.getAttribute("data-parent-origin") || listedParentOrigin();
  if (!parentOrigin || window.parent === window) { return; }

  var lastHeight = -1;
  function postHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) { return; }
    lastHeight = height;
    window.parent.postMessage({ type: "portal:height", height: height }, parentOrigin);
  }

  postHeight();
  window.addEventListener("load", postHeight);
  if (window.ResizeObserver) {
    new ResizeObserver(postHeight).observe(document.documentElement);
  }
  document.addEventListener("htmx:afterSettle", postHeight);
  document.addEventListener("toggle", postHeight, true);
})();
