// Pengaduan: the maps (README, "Map"). Leaflet draws; the server clusters (map/clusters.py):
// each pan or zoom asks for the clusters of the view and draws them. The complaint form's
// picker (loaded on demand by geolocation.js) fills the latitude and longitude fields.
(function () {
  "use strict";
  function opening(el) {
    var v = (el.dataset.view || "0,0,2").split(",");
    return { center: [parseFloat(v[0]), parseFloat(v[1])], zoom: parseInt(v[2], 10) };
  }
  function tiles(el, map) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution }).addTo(map);
  }
  var pin = function () {
    return L.divIcon({ className: "map-pin", iconSize: [44, 44], iconAnchor: [22, 44], popupAnchor: [0, -30] });
  };
  function text(tag, content, className) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (className) node.className = className;
    return node;
  }
  function popup(c) {
    var box = document.createElement("div"), link = text("a", c.number);
    box.className = "map-popup";
    link.href = c.url;
    box.appendChild(link);
    box.appendChild(text("div", c.title));
    box.appendChild(text("span", c.status_label, "badge " + c.status));
    return box;
  }

  function clusterMap(el) {
    if (el.dataset.ready) return;
    el.dataset.ready = "1";
    while (el.firstChild) el.removeChild(el.firstChild);
    var start = opening(el), map = L.map(el).setView(start.center, start.zoom);
    var layer = L.layerGroup().addTo(map), note = document.getElementById("map-note");
    var asked = 0, drawn = 0, controller = null;
    tiles(el, map);
    function say(message) { if (note) note.textContent = message || ""; }
    function point(c) {
      return L.marker([c.lat, c.lon], { icon: pin(), title: c.number, keyboard: true }).bindPopup(popup(c));
    }
    function cluster(c) {
      var side = 38 + 6 * String(c.count).length; // at least a 44 px tap target
      var marker = L.marker([c.lat, c.lon], {
        title: el.dataset.msgCount.replace("{count}", c.count) + " · " + el.dataset.msgZoom,
        keyboard: true,
        icon: L.divIcon({ className: "map-cluster" + (c.count < 10 ? " small" : ""), html: String(c.count), iconSize: [side, side] }),
      });
      return marker.on("click", function () {
        var b = c.bounds; // south, west, north, east: the cluster's cell, shown whole, closer
        var zoom = Math.max(map.getBoundsZoom([[b[0], b[1]], [b[2], b[3]]]), map.getZoom() + 1);
        map.setView([c.lat, c.lon], Math.min(zoom, map.getMaxZoom()));
      });
    }
    var shown = {}; // key -> marker: a marker still in the view stays (an open popup too)
    function draw(data) {
      var next = {};
      data.clusters.forEach(function (c) {
        var key = c.url ? c.url : c.count + "@" + c.lat + "," + c.lon, marker = shown[key];
        if (!marker) marker = c.url ? point(c) : cluster(c);
        next[key] = marker;
        if (!layer.hasLayer(marker)) layer.addLayer(marker);
      });
      Object.keys(shown).forEach(function (key) { if (!next[key]) layer.removeLayer(shown[key]); });
      shown = next;
      say(data.capped ? el.dataset.msgCapped : data.clusters.length ? "" : el.dataset.msgEmpty);
      el.dataset.shown = String(data.clusters.length); // what the tests wait for
      el.dataset.drawn = String(++drawn);
    }
    function load() {
      var b = map.getBounds(), url = el.dataset.map;
      var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) { return n.toFixed(6); });
      url += (url.indexOf("?") < 0 ? "?" : "&") + "bbox=" + box.join(",") + "&zoom=" + map.getZoom();
      if (controller) controller.abort(); // an answer for a view already left is not drawn
      controller = new AbortController();
      var mine = ++asked;
      fetch(url, { credentials: "same-origin", signal: controller.signal, headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (data) { if (mine === asked) draw(data); })
        .catch(function (e) { if (e.name !== "AbortError") say(el.dataset.msgFailed); });
    }
    map.on("moveend", load);
    load();
    el.pengaduanMap = map;
  }

  function picker(box) {
    var lat = document.getElementById("f-latitude"), lon = document.getElementById("f-longitude");
    if (box.dataset.picker || !lat || !lon) return;
    box.dataset.picker = "1";
    var el = document.createElement("div"), pair = lat.closest(".pair") || lat;
    el.className = "map map-picker";
    el.id = "map-picker";
    el.setAttribute("aria-label", box.dataset.pickLabel || "");
    pair.parentNode.insertBefore(el, pair.nextSibling);
    var start = opening(box), marker = null;
    var map = L.map(el).setView(start.center, start.zoom);
    tiles(box, map);
    function typed() {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      return isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180 ? L.latLng(a, b) : null;
    }
    function place(where, fill) {
      if (!marker) {
        marker = L.marker(where, { icon: pin(), draggable: true, keyboard: true }).addTo(map);
        marker.on("dragend", function () { place(marker.getLatLng(), true); });
      } else {
        marker.setLatLng(where);
      }
      if (!fill) return;
      lat.value = where.lat.toFixed(6);
      lon.value = where.wrap().lng.toFixed(6);
      [lat, lon].forEach(function (f) { f.dispatchEvent(new Event("change", { bubbles: true })); });
    }
    map.on("click", function (e) { place(e.latlng, true); });
    [lat, lon].forEach(function (f) {
      f.addEventListener("input", function () { var at = typed(); if (at) { place(at, false); map.panTo(at); } });
    });
    var at = typed();
    if (at) { place(at, false); map.setView(at, 16); }
    el.pengaduanMap = map;
  }
  window.pengaduanMap = { picker: picker };

  function enhance() { document.querySelectorAll("[data-map]").forEach(clusterMap); }
  enhance();
  document.addEventListener("htmx:load", enhance);
})();
