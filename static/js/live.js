// Pengaduan: what htmx's SSE extension leaves to the page (README, "Live updates").
(function () {
  "use strict";
  var body = document.body, heard = new WeakSet(), parked;
  function live() { return document.querySelector("[data-sse-connect]"); }
  function state(name) {
    body.setAttribute("data-live", name);
    body.toggleAttribute("data-live-fallback", name !== "open");
  }
  function resync() {
    ["complaint", "queue", "notification", "stats"].forEach(function (kind) {
      htmx.trigger(body, "sse:" + kind, { resync: true });
    });
  }
  function on(name, fn) { body.addEventListener(name, fn); }
  on("sse:ready", function (e) {
    state("open");
    if (heard.has(e.target)) resync(); // a reconnect: fetch what the gap may hide
    heard.add(e.target);
  });
  on("sse:resync", resync);
  on("htmx:sseError", function (e) { heard.add(e.target); state("down"); });
  on("htmx:sseClose", function (e) { state(e.detail.type === "message" ? "ended" : "down"); });
  on("htmx:historyRestore", function () { htmx.trigger(body, "sse:complaint", { resync: true }); });

  // A page following a complaint hears only of it; stopped before a listener's delay restarts.
  function followed(e) {
    var follow = live() && live().dataset.follow;
    if (follow && !e.detail.resync && JSON.parse(e.detail.data).id != follow) e.stopPropagation();
  }
  document.addEventListener("sse:complaint", followed, true);
  document.addEventListener("sse:queue", followed, true);

  function all(el, selector) {
    return (el.matches(selector) ? [el] : []).concat(Array.from(el.querySelectorAll(selector)));
  }
  function busy(el) {
    // A part being typed in, sent, or given back refused with what was typed stays.
    if (all(el, ".htmx-request, form[data-live-typed]").length) return true;
    var active = document.activeElement;
    return (active !== body && el.contains(active) && !!active.form) || all(el, "input, textarea, select").some(function (f) {
      if (f.type === "checkbox" || f.type === "radio") return f.checked !== f.defaultChecked;
      if (f.tagName === "SELECT") return Array.from(f.options).some(function (o) { return o.selected !== o.defaultSelected; });
      return f.type !== "hidden" && f.value !== f.defaultValue;
    });
  }
  on("htmx:oobBeforeSwap", function (e) {
    var el = e.detail.target, fresh = e.detail.fragment.firstElementChild;
    if (!fresh || !el.hasAttribute("data-live-part")) return;
    if (fresh.outerHTML === el.outerHTML) return e.preventDefault();
    if (busy(el)) { // its own parts still refresh, one by one
      e.preventDefault();
      var ids = Array.from(fresh.querySelectorAll("[data-live-part][id]"), function (p) { return p.id; });
      if (ids.length) htmx.swap(el, fresh.outerHTML, { swapStyle: "none" }, { selectOOB: ids.join(",") });
      return;
    }
    all(el, "details[open][id]").forEach(function (d) { // stays open
      var same = fresh.id === d.id ? fresh : fresh.querySelector("#" + CSS.escape(d.id));
      if (same && same.tagName === "DETAILS") same.open = true;
    });
  });

  // A refresh that fails (the complaint went to another unit, ...) says nothing.
  on("htmx:beforeOnLoad", function (e) {
    if (e.target.hasAttribute("data-live-refresh") && e.detail.xhr.status >= 400) e.preventDefault();
  });
  // An answer older than the page (complaints/versions.py) is dropped; the element around
  // the parts takes the answer's state.
  function older(a, b) {
    a = a.getAttribute("data-version").split(".").map(Number);
    b = b.getAttribute("data-version").split(".").map(Number);
    return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  }
  on("htmx:beforeSwap", function (e) {
    var shown = document.querySelectorAll("[data-version][id]"), doc;
    if (!shown.length || !e.target.hasAttribute("data-live-refresh")) return;
    doc = new DOMParser().parseFromString(e.detail.serverResponse, "text/html");
    shown = Array.from(shown, function (el) { return [el, doc.getElementById(el.id)]; });
    if (shown.some(function (p) { return p[1] && p[1].hasAttribute("data-version") && older(p[1], p[0]); })) {
      e.detail.shouldSwap = false;
      return;
    }
    shown.forEach(function (p) {
      ["data-version", "data-status"].forEach(function (name) {
        if (p[1] && p[1].hasAttribute(name)) p[0].setAttribute(name, p[1].getAttribute(name));
      });
    });
  });

  // No open stream in the back/forward cache; back from it, a new one, everything fetched.
  addEventListener("pagehide", function () {
    var el = live();
    if (!el) return;
    parked = [el.cloneNode(), el.parentNode];
    htmx.swap(el, "", { swapStyle: "delete" }); // htmx closes its stream
  });
  addEventListener("pageshow", function (e) {
    if (parked && e.persisted) { heard.add(parked[0]); parked[1].appendChild(parked[0]); htmx.process(parked[0]); }
    parked = null;
  });
  if (live()) state("down");
})();
