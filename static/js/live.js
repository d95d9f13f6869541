// Pengaduan: live updates, on htmx's SSE extension (vendor/htmx-ext-sse). A logged-in page's
// #live (templates/base.html) holds its event stream (sse-connect; on a complaint's page the
// address follows that complaint) and turns every stream event into a DOM event sse:<kind>
// that bubbles to <body>, where page parts listen (hx-trigger="sse:queue from:body"). A page
// of several parts has one element that fetches the page once per event and takes the parts
// from the answer by id (hx-select-oob, the live_parts macro in templates/_macros.html).
// What htmx leaves to the page, this file does:
// - a part with a form being typed in, given back refused (form[data-live-typed]) or being
//   sent is not replaced, though its own inner parts still are; a <details> the person opened
//   stays open;
// - an answer older than what the page shows (data-version, complaints/versions.py) is dropped;
// - a page following one complaint (#live data-follow) hears only of that one (internal notes
//   are told to the unit's queue only: queue events about it count too);
// - after a dropped stream or the back/forward cache everything is fetched again, and a page
//   htmx restores from its history gets its parts again: nothing missed in the gap;
// - <body data-live> says how the stream is; data-live-fallback while it is not open lets the
//   queue's polling run (queue.js).
(function () {
  "use strict";
  var body = document.body;
  var KINDS = ["complaint", "queue", "notification", "stats"];
  // Stream elements whose stream said `ready` or failed before: their next `ready` is a reconnect.
  var heard = new WeakSet();
  var parked = null;

  function stream() { return document.querySelector("[data-sse-connect]"); }
  function state(name) {
    body.setAttribute("data-live", name);
    if (name === "open") body.removeAttribute("data-live-fallback");
    else body.setAttribute("data-live-fallback", "");
  }
  // As if every kind of thing had changed (the follow filter lets these through).
  function resync() {
    KINDS.forEach(function (kind) { htmx.trigger(body, "sse:" + kind, { resync: true }); });
  }

  body.addEventListener("sse:ready", function (e) {
    state("open");
    if (heard.has(e.target)) resync(); // a reconnect: what happened in the gap is not known
    heard.add(e.target);
  });
  body.addEventListener("sse:resync", resync);
  body.addEventListener("htmx:sseError", function (e) { heard.add(e.target); state("down"); });
  // "message": the server said `ended` (logged out, sse-close); otherwise the page changed.
  body.addEventListener("htmx:sseClose", function (e) {
    state(e.detail && e.detail.type === "message" ? "ended" : "down");
  });

  function followedOnly(e) {
    var live = stream(), follow = live && live.getAttribute("data-follow"), d = e.detail;
    if (!follow || !d || d.resync) return;
    var id = null;
    try { id = String(JSON.parse(d.data).id); } catch (err) { /* no id: not about it */ }
    // Before any listener (and its delay): another complaint's event must not reset the wait.
    if (id !== follow) e.stopPropagation();
  }
  document.addEventListener("sse:complaint", followedOnly, true);
  document.addEventListener("sse:queue", followedOnly, true);

  function typing(el) {
    // A form given back with what the person typed (refused: 409, 422) is theirs until sent.
    if (el.matches("form[data-live-typed]") || el.querySelector("form[data-live-typed]")) return true;
    var active = document.activeElement;
    if (active && active !== body && el.contains(active) && active.form) return true;
    var fields = el.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "checkbox" || f.type === "radio") { if (f.checked !== f.defaultChecked) return true; }
      else if (f.tagName === "SELECT") { for (var j = 0; j < f.options.length; j++) if (f.options[j].selected !== f.options[j].defaultSelected) return true; }
      else if (f.type !== "hidden" && f.value !== f.defaultValue) return true;
    }
    return false;
  }
  function sending(el) {
    // Its answer (and the message it triggers) is on its way to the element as it is.
    return el.classList.contains("htmx-request") || !!el.querySelector(".htmx-request");
  }
  function keepUnfolded(el, fresh) {
    var open = el.matches("details[open][id]") ? [el] : [];
    open = open.concat(Array.prototype.slice.call(el.querySelectorAll("details[open][id]")));
    for (var i = 0; i < open.length; i++) {
      var same = fresh.id === open[i].id ? fresh : fresh.querySelector("#" + CSS.escape(open[i].id));
      if (same && same.tagName === "DETAILS") same.open = true;
    }
  }
  body.addEventListener("htmx:oobBeforeSwap", function (e) {
    var el = e.detail.target, fresh = e.detail.fragment.firstElementChild;
    if (!el.hasAttribute("data-live-part") || !fresh) return;
    if (fresh.outerHTML === el.outerHTML) { e.preventDefault(); return; }
    if (typing(el) || sending(el)) {
      e.preventDefault();
      var inner = fresh.querySelectorAll("[data-live-part][id]"), ids = [];
      for (var i = 0; i < inner.length; i++) ids.push(inner[i].id);
      // Its own parts, one by one (each passes through here again).
      if (ids.length) htmx.swap(el, fresh.outerHTML, { swapStyle: "none" }, { selectOOB: ids.join(",") });
      return;
    }
    keepUnfolded(el, fresh);
  });

  // A refresh fetched before the person's own action may answer after it, and must not put
  // the older state back. The element around the parts is not a part: its state attributes
  // follow the parts.
  function counts(v) {
    var p = (v || "").split(".");
    return [Number(p[0]) || 0, Number(p[1]) || 0];
  }
  body.addEventListener("htmx:beforeSwap", function (e) {
    var shown = document.querySelectorAll("[data-version][id]");
    if (!e.target.hasAttribute("data-live-refresh") || !shown.length) return;
    var doc = new DOMParser().parseFromString(e.detail.serverResponse, "text/html"), i, fresh;
    for (i = 0; i < shown.length; i++) {
      fresh = doc.getElementById(shown[i].id);
      if (!fresh || !fresh.hasAttribute("data-version")) continue;
      var a = counts(fresh.getAttribute("data-version")), b = counts(shown[i].getAttribute("data-version"));
      if (a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])) { e.detail.shouldSwap = false; return; }
    }
    for (i = 0; i < shown.length; i++) {
      fresh = doc.getElementById(shown[i].id);
      if (!fresh) continue;
      ["data-version", "data-status"].forEach(function (name) {
        if (fresh.hasAttribute(name)) shown[i].setAttribute(name, fresh.getAttribute(name));
      });
    }
  });

  // Back to a page htmx kept: a snapshot (its stream is the page's own again).
  body.addEventListener("htmx:historyRestore", function () {
    htmx.trigger(body, "sse:complaint", { resync: true });
  });
  // Into the back/forward cache without an open stream; back from it, a new one that starts
  // with everything again.
  window.addEventListener("pagehide", function () {
    var live = stream();
    if (!live) return;
    parked = { live: live.cloneNode(false), parent: live.parentNode };
    htmx.swap(live, "", { swapStyle: "delete" }); // htmx closes its stream
  });
  window.addEventListener("pageshow", function (e) {
    if (parked && e.persisted) {
      heard.add(parked.live);
      parked.parent.appendChild(parked.live);
      htmx.process(parked.live);
    }
    parked = null;
  });
  state(stream() && window.EventSource ? "down" : "off");
})();
