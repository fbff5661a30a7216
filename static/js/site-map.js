// Progressive enhancement: draw the placed site on a Leaflet map. Without JavaScript the
// page already says which ward(s) the site is in.
(function () {
  "use strict";
  var el = document.getElementById("site-map");
  if (!el || typeof L === "undefined") { return; }
  var point = el.dataset.point ? JSON.parse(el.dataset.point) : null;
  var geometry = el.dataset.geometry ? JSON.parse(el.dataset.geometry) : null;
  if (!point && !geometry) { return; }
  el.classList.add("app-map--active");
  var map = L.map(el, { scrollWheelZoom: false });
  // The default "Leaflet" prefix link fails link-in-text-block contrast; credit in text.
  map.attributionControl.setPrefix("Leaflet");
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: "&copy; OpenStreetMap contributors"
  }).addTo(map);
  if (geometry) {
    var layer = L.geoJSON(geometry).addTo(map);
    map.fitBounds(layer.getBounds(), { maxZoom: 17 });
  } else {
    L.marker([point[1], point[0]]).addTo(map);
    map.setView([point[1], point[0]], 16);
  }
})();
