// A dataset's files in the browser: the map preview of a GeoJSON file (drawn from the JSON data block the page
// carries: no inline script under the Content-Security-Policy) and, on the upload form, the size limit checked before
// a byte is sent (the server cuts a larger file anyway; this spares the wait and says why).
(function () {
  "use strict";

  function checkUploadSize() {
    var input = document.querySelector("input[type=file][data-max-bytes]");
    var warning = document.getElementById("file-too-large");
    if (!input || !warning) {
      return;
    }
    var limit = Number(input.dataset.maxBytes);
    function tooLarge() {
      var file = input.files && input.files[0];
      return Boolean(file && file.size > limit);
    }
    input.addEventListener("change", function () {
      warning.hidden = !tooLarge();
    });
    input.form.addEventListener("submit", function (event) {
      if (tooLarge()) {
        event.preventDefault();
        warning.hidden = false;
        input.focus();
      }
    });
  }

  function start() {
    checkUploadSize();
    drawMap();
  }

  function drawMap() {
    var element = document.getElementById("preview-map");
    if (!element || typeof window.L === "undefined") {
      return;
    }
    var source = document.getElementById(element.dataset.source);
    if (!source) {
      return;
    }
    var documentData;
    try {
      documentData = JSON.parse(source.textContent);
    } catch (error) {
      element.dataset.ready = "failed";
      return;
    }
    element.hidden = false;
    var map = window.L.map(element, { scrollWheelZoom: false }).setView([33.5731, -7.5898], 11);
    window.L.tileLayer(element.dataset.tiles, {
      maxZoom: 19,
      attribution: element.dataset.attribution,
    }).addTo(map);
    var layer = window.L.geoJSON(documentData, {
      onEachFeature: function (feature, shape) {
        var properties = feature.properties || {};
        var keys = Object.keys(properties).slice(0, 8);
        if (!keys.length) {
          return;
        }
        var list = document.createElement("dl");
        keys.forEach(function (key) {
          var term = document.createElement("dt");
          term.textContent = key;
          var value = document.createElement("dd");
          value.textContent = String(properties[key]);
          list.appendChild(term);
          list.appendChild(value);
        });
        shape.bindPopup(list);
      },
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15 });
    }
    element.dataset.ready = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
