// Pengaduan: small enhancements only; every page works without this file.
(function () {
  "use strict";
  var body = document.body;
  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    // One message at a time: the newest replaces the one before (actions in a row on the
    // handling page would otherwise stack a toast per swap).
    while (box.firstChild) box.removeChild(box.firstChild);
    var el = document.createElement("div");
    el.className = "toast " + (level || "info");
    el.setAttribute("role", level === "error" ? "alert" : "status");
    el.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", body.dataset.msgClose || "Close");
    close.textContent = "\u00d7";
    close.addEventListener("click", function () { el.remove(); });
    el.appendChild(close);
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 8000);
  }
  window.pengaduanToast = toast;
  // Each message is shown once: a page htmx keeps for the back button is kept without its
  // toasts and its one-time messages (flashes), which would otherwise come back with it.
  body.addEventListener("htmx:beforeHistorySave", function () {
    var shown = document.querySelectorAll("#toasts > *, main [data-flash]");
    for (var i = 0; i < shown.length; i++) shown[i].remove();
  });
  body.addEventListener("pengaduan:toast", function (e) {
    var d = e.detail || {};
    toast(d.title && d.message ? d.title + ": " + d.message : d.message || d.title, d.level);
  });
  // The CSRF token changes at login and logout, but a boosted page swap keeps the old
  // <body hx-headers>: send the current one, which the cookie always holds (web/csrf.py).
  body.addEventListener("htmx:configRequest", function (e) {
    var m = document.cookie.match(/(?:^|;\s*)(?:__Host-)?csrftoken=([0-9a-f]{64})/);
    if (m && e.detail && e.detail.headers) e.detail.headers["x-csrftoken"] = m[1];
  });
  body.addEventListener("htmx:sendError", function () { toast(body.dataset.msgOffline, "error"); });
  body.addEventListener("htmx:responseError", function (e) {
    // Our error responses carry their own toast (HX-Trigger); others get a plain one.
    var xhr = e.detail && e.detail.xhr;
    if (!xhr || !xhr.getResponseHeader("HX-Trigger")) toast(body.dataset.msgError, "error");
  });
})();
