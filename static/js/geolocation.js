// Adds to the complaint form's location a "use my location" button, only where the browser
// can tell it, and a "choose on the map" button that loads the map (Leaflet, map.js) only when
// pressed; the latitude and longitude fields work without either.
(function () {
  "use strict";
  function locate(box, lat, lon) {
    if (!("geolocation" in navigator)) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn secondary locate";
    button.textContent = box.dataset.locate;
    var status = document.createElement("span");
    status.className = "hint";
    status.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () {
      status.textContent = box.dataset.locating;
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        lat.dispatchEvent(new Event("input", { bubbles: true }));
        status.textContent = box.dataset.located;
        button.disabled = false;
      }, function () {
        status.textContent = box.dataset.locateFailed;
        button.disabled = false;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
    var legend = box.querySelector("legend");
    box.insertBefore(status, legend ? legend.nextSibling : box.firstChild);
    box.insertBefore(button, status);
  }
  function load(urls, done) { // one after the other: map.js needs Leaflet
    if (!urls.length) return done();
    var script = document.createElement("script");
    script.src = urls[0];
    script.onload = function () { load(urls.slice(1), done); };
    document.head.appendChild(script);
  }
  function pick(box) {
    if (!box.dataset.mapScripts) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn secondary pick";
    button.textContent = box.dataset.pick;
    button.addEventListener("click", function () {
      button.disabled = true;
      box.dataset.mapStyles.split(" ").forEach(function (href) {
        var link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = href;
        document.head.appendChild(link);
      });
      load(window.pengaduanMap ? [] : box.dataset.mapScripts.split(" "), function () {
        window.pengaduanMap.picker(box);
        button.remove();
      });
    });
    var pair = box.querySelector(".pair");
    box.insertBefore(button, pair || null);
  }
  function enhance() {
    var box = document.querySelector("#location[data-locate]");
    if (!box || box.dataset.enhanced) return;
    var lat = document.getElementById("f-latitude");
    var lon = document.getElementById("f-longitude");
    if (!lat || !lon) return;
    box.dataset.enhanced = "1";
    locate(box, lat, lon);
    pick(box);
  }
  enhance();
  // Pages swapped in by htmx (boosted links) do not load this file again.
  document.addEventListener("htmx:load", enhance);
})();
