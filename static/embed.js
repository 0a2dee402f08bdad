// The career-page loader:
//   <script src="https://portal.example/embed.js" data-client="acme" data-widget="lookup" async>
// puts an iframe of the portal's widget where its script tag stands and sizes it to the
// frame's content. Plain ES2017, no dependencies, nothing sent to the career site's server.
(function () {
  "use strict";

  var TITLES = {
    lookup: "Check my application status",
    badge: "Our feedback promise",
    status: "Your application status"
  };
  var MIN_HEIGHT = 60;
  var MAX_HEIGHT = 6000;
  var INITIAL_HEIGHT = 150;
  var CLIENT = /^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$/;
  var TOKEN = /^[A-Za-z0-9_.-]{8,1000}$/;
  var DONE = "data-portal-embedded";

  // The status link's token travels in the fragment (#t=...), which browsers never send to
  // the career site's server; it only ever goes into the frame's URL, to the portal.
  function tokenFromFragment() {
    var token = new URLSearchParams(window.location.hash.replace(/^#/, "")).get("t");
    return token && TOKEN.test(token) ? token : null;
  }

  function widgetPath(widget) {
    if (widget !== "status") { return widget; }
    var token = tokenFromFragment();
    return token ? "status/" + encodeURIComponent(token) : "lookup";
  }

  function embed(script) {
    script.setAttribute(DONE, "");
    var client = script.getAttribute("data-client") || "";
    var widget = script.getAttribute("data-widget") || "lookup";
    if (!CLIENT.test(client) || !Object.prototype.hasOwnProperty.call(TITLES, widget)) {
      console.error("embed.js: data-client must be a client's slug and data-widget one of " +
                    Object.keys(TITLES).join(", "));
      return;
    }
    var base = new URL(script.src, document.baseURI).origin;
    var url = new URL(base + "/embed/" + client + "/" + widgetPath(widget));
    // The frame posts its height to this origin only if the client listed it.
    url.searchParams.set("parent", window.location.origin);
    var lang = script.getAttribute("data-lang");
    if (lang) { url.searchParams.set("lang", lang); }

    var frame = document.createElement("iframe");
    frame.src = url.href;
    frame.title = script.getAttribute("data-title") || TITLES[widget];
    frame.referrerPolicy = "strict-origin";
    frame.style.display = "block";
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.height = INITIAL_HEIGHT + "px";
    frame.setAttribute("data-portal-widget", widget);
    script.parentNode.insertBefore(frame, script.nextSibling);

    window.addEventListener("message", function (event) {
      // Only our frame, from the portal's origin, and only a height.
      if (event.origin !== base || event.source !== frame.contentWindow) { return; }
      var data = event.data;
      if (!data || data.type !== "portal:height" || typeof data.height !== "number" ||
          !isFinite(data.height)) { return; }
      var height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(data.height)));
      frame.style.height = height + "px";
    });
  }

  // `async` scripts may run after the whole page was parsed: currentScript is this tag when
  // the browser has it; otherwise take every tag of ours not handled yet.
  var current = document.currentScript;
  if (current && current.hasAttribute("data-client") && !current.hasAttribute(DONE)) {
    embed(current);
  }
  var scripts = document.querySelectorAll('script[src$="/embed.js"][data-client]');
  for (var i = 0; i < scripts.length; i++) {
    if (!scripts[i].hasAttribute(DONE)) { embed(scripts[i]); }
  }
})();
