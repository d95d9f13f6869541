// Adds a "use my location" button to the complaint form's location, only where the browser
// can tell it; the latitude and longitude fields work without it.
(function () {
  "use strict";
  function enhance() {
    var box = document.querySelector("#location[data-locate]");
    if (!box || box.dataset.enhanced || !("geolocation" in navigator)) return;
    var lat = document.getElementById("f-latitude");
    var lon = document.getElementById("f-longitude");
    if (!lat || !lon) return;
    box.dataset.enhanced = "1";
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
  enhance();
  // Pages swapped in by htmx (boosted links) do not load this file again.
  document.addEventListener("htmx:load", enhance);
})();
