// The experimentation sites' map: reads the GeoJSON feed and draws it over the configured tiles. The list of sites
// on the page works without it (no JavaScript, tiles blocked or offline): the map only adds to it.
(function () {
  "use strict";

  function start() {
    var element = document.getElementById("sites-map");
    if (!element || typeof window.L === "undefined") {
      return;
    }
    element.hidden = false;
    var map = window.L.map(element, { scrollWheelZoom: false }).setView([33.5731, -7.5898], 11);
    window.L.tileLayer(element.dataset.tiles, {
      maxZoom: 19,
      attribution: element.dataset.attribution,
    }).addTo(map);
    fetch(element.dataset.geojson, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (collection) {
        var layer = window.L.geoJSON(collection, {
          onEachFeature: function (feature, shape) {
            var link = document.createElement("a");
            link.href = feature.properties.url;
            link.textContent = feature.properties.name;
            var popup = document.createElement("div");
            var kind = document.createElement("p");
            kind.textContent = feature.properties.kind_label + " · " + feature.properties.partner;
            popup.appendChild(link);
            popup.appendChild(kind);
            shape.bindPopup(popup);
          },
        }).addTo(map);
        if (collection.features.length) {
          map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 15 });
        }
        element.dataset.ready = "true";
      })
      .catch(function () {
        element.dataset.ready = "failed";
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
