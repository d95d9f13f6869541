// Pengaduan: keeps an officer's queue (#queue) current while the tab is visible.
// The list refreshes when the live stream says the queue changed (sse:queue, live.js)
// and polls every 30 s (hx-trigger "every 30s"); this file lets the poll through only while the
// live stream is down (<body data-live-fallback>), holds every request back while the tab is
// hidden, and refreshes once when it becomes visible again.
// No eval: htmx trigger filters ([...]) would need it, which the CSP forbids.
(function () {
  "use strict";
  var body = document.body;
  function queue() { return document.getElementById("queue"); }
  body.addEventListener("htmx:beforeRequest", function (e) {
    var d = e.detail;
    if (!d || d.elt !== queue()) return;
    if (document.visibilityState === "hidden") { e.preventDefault(); return; }
    // A poll has no triggering event; the live and visibility refreshes have one.
    var polled = !(d.requestConfig && d.requestConfig.triggeringEvent);
    if (polled && body.getAttribute("data-live") === "open") e.preventDefault();
  });
  document.addEventListener("visibilitychange", function () {
    var el = queue();
    if (document.visibilityState === "visible" && el && window.htmx) {
      window.htmx.trigger(el, "refresh");
    }
  });
})();
