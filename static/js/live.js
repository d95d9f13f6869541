// Pengaduan: live updates. One EventSource per open page (the address is in #live, which only
// logged-in pages carry). Each event becomes a DOM event on <body> (pengaduan:complaint,
// pengaduan:queue, pengaduan:notification, pengaduan:stats) that page parts listen to with htmx;
// parts marked data-live-part are re-fetched from the page's own address and swapped by id,
// except one holding a form the person is typing in, or one that came back refused with what
// they typed (form[data-live-typed]); inside such a part, its own inner parts are still
// refreshed one by one, and a folded <details> stays as the person left it. A page following
// one complaint (#live data-follow) refreshes on its events and on queue events about it
// (internal notes are told to the unit's queue only). After a dropped stream (and when a page
// comes back from the back/forward cache) everything is re-fetched: nothing missed in the gap.
// While the stream is down, <body> has data-live-fallback and the queue's polling runs.
(function () {
  "use strict";
  var body = document.body;
  var KINDS = ["complaint", "queue", "notification", "stats"];
  var source = null, url = null, opened = 0, retryTimer = null, retryDelay = 5000, partsTimer = null;

  function fire(kind, detail) {
    body.dispatchEvent(new CustomEvent("pengaduan:" + kind, { detail: detail || {} }));
  }
  function state(name) {
    body.setAttribute("data-live", name);
    if (name === "open") body.removeAttribute("data-live-fallback");
    else body.setAttribute("data-live-fallback", "");
  }
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
  // A complaint's version ("changed.messages.…", complaints/versions.py) on the element that
  // shows it: a refresh fetched before the person's own action may answer after it, and must
  // not put the older state back.
  function counts(v) {
    var p = (v || "").split(".");
    return [Number(p[0]) || 0, Number(p[1]) || 0];
  }
  function older(doc) {
    var shown = document.querySelectorAll("[data-version][id]");
    for (var i = 0; i < shown.length; i++) {
      var fresh = doc.getElementById(shown[i].id);
      if (!fresh || !fresh.hasAttribute("data-version")) continue;
      var a = counts(fresh.getAttribute("data-version")), b = counts(shown[i].getAttribute("data-version"));
      if (a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])) return true;
    }
    return false;
  }
  function carryVersions(doc) {
    // The element around the parts is not a part: its state attributes follow the parts.
    var shown = document.querySelectorAll("[data-version][id]");
    for (var i = 0; i < shown.length; i++) {
      var fresh = doc.getElementById(shown[i].id);
      if (!fresh) continue;
      ["data-version", "data-status"].forEach(function (name) {
        if (fresh.hasAttribute(name)) shown[i].setAttribute(name, fresh.getAttribute(name));
      });
    }
  }
  function refreshParts() {
    partsTimer = null;
    if (!document.querySelector("[data-live-part]")) return;
    fetch(location.href, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        if (older(doc)) return;
        var parts = document.querySelectorAll("[data-live-part]");
        for (var i = 0; i < parts.length; i++) {
          var el = parts[i], fresh = doc.getElementById(el.id);
          // Inside a part replaced a moment ago: it came fresh with it.
          if (!body.contains(el)) continue;
          // A part whose form is being sent stays: its answer (and the message it triggers,
          // which an element taken out of the page would never pass on) is on its way.
          if (!fresh || fresh.outerHTML === el.outerHTML || typing(el) || sending(el)) continue;
          fresh = document.importNode(fresh, true);
          keepUnfolded(el, fresh);
          el.replaceWith(fresh);
          if (window.htmx) window.htmx.process(fresh);
        }
        carryVersions(doc);
        fire("refreshed");
      })
      .catch(function () {});
  }
  function soon() { if (!partsTimer) partsTimer = setTimeout(refreshParts, 150); }
  function resync() {
    for (var i = 0; i < KINDS.length; i++) fire(KINDS[i], { resync: true });
    soon();
  }
  function followed() {
    var live = document.getElementById("live");
    return live && live.getAttribute("data-follow");
  }
  function onComplaint(detail) {
    var follow = followed();
    fire("complaint", detail);
    if (!follow || String(detail.id) === follow) soon();
  }
  function onQueue(detail) {
    var follow = followed();
    fire("queue", detail);
    if (follow && String(detail.id) === follow) soon();
  }
  function close() {
    if (source) source.close();
    source = null;
    clearTimeout(retryTimer);
  }
  function open(address, resumed) {
    close();
    url = address;
    opened = resumed ? 1 : 0;
    state("down");
    source = new EventSource(address);
    source.addEventListener("ready", function () {
      state("open");
      retryDelay = 5000;
      if (opened++) resync(); // a reconnect: what happened in the gap is not known
    });
    source.addEventListener("complaint", function (e) { onComplaint(JSON.parse(e.data)); });
    source.addEventListener("queue", function (e) { onQueue(JSON.parse(e.data)); });
    source.addEventListener("notification", function () { fire("notification"); });
    source.addEventListener("stats", function () { fire("stats"); });
    source.addEventListener("resync", resync);
    source.addEventListener("ended", function () { close(); state("ended"); });
    source.onerror = function () {
      state("down");
      // The browser retries a dropped stream itself; a refused one (logged out, error) it
      // gives up on: try again later, less and less often.
      if (source && source.readyState === EventSource.CLOSED) {
        var again = url;
        close();
        retryTimer = setTimeout(function () { open(again, true); }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 300000);
      }
    };
  }
  function connect(resumed) {
    var live = document.getElementById("live");
    var address = live && live.getAttribute("data-stream");
    if (!address || !window.EventSource) { close(); url = null; state("off"); return; }
    if (resumed || address !== url || !source) open(address, resumed);
  }
  body.addEventListener("htmx:afterSettle", function () { connect(false); });
  // Back to a page htmx kept: it may follow another complaint, and it is a snapshot.
  body.addEventListener("htmx:historyRestore", function () { connect(false); soon(); });
  window.addEventListener("pagehide", close);
  // Back from the back/forward cache: the stream was closed meanwhile.
  window.addEventListener("pageshow", function (e) { if (e.persisted) connect(true); });
  connect(false);
})();
