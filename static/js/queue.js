// Pengaduan: keeps an officer's queue (#queue) current while the tab is visible.
// The list polls every 30 s by itself (hx-trigger "every 30s, refresh"); this file holds those
// requests back while the tab is hidden and refreshes once when it becomes visible again.
// No eval: htmx trigger filters ([...]) would need it, which the CSP forbids.
(function () {
  "use strict";
  function queue() { return document.getElementById("queue"); }
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (document.visibilityState === "hidden" && e.detail && e.detail.elt === queue()) {
      e.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    var el = queue();
    if (document.visibilityState === "visible" && el && window.htmx) {
      window.htmx.trigger(el, "refresh");
    }
  });
})();
