/* Pingan event pages: the workbench map, the event's small map, "use my location" on the
 * report form, "near me" on the verification list, the routing test map, and confirmations.
 * Configuration comes from json_script blocks; nothing else is inline. */
(function () {
  "use strict";

  var DEFAULT_CENTER = [30.6, 104.0];

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }

  function baseMap(el, config, options) {
    var map = L.map(el, Object.assign({ zoomSnap: 0.25 }, options || {}));
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 18 }).addTo(map);
    }
    map.setView(DEFAULT_CENTER, 6);
    return map;
  }

  /* [west, south, east, north] from the page config as Leaflet bounds, or null. */
  function extentBounds(bbox) {
    if (!bbox || bbox.length !== 4) { return null; }
    return L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]);
  }

  function drawTownships(map, url, fit) {
    if (!url) { return; }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var layer = L.geoJSON(data, {
          interactive: false,
          style: function () { return { color: "#37474f", weight: 1.5, opacity: 0.7, dashArray: "6 5", fill: false }; }
        }).addTo(map);
        layer.bringToBack();
        if (fit && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      })
      .catch(function () { /* boundaries are decoration: the points matter */ });
  }

  /* --- the workbench map -------------------------------------------------------------------- */

  function initWorkbenchMap(el) {
    var config = readJSON("events-map-config");
    var text = config.text;
    var colors = {};
    config.statuses.forEach(function (s) { colors[s.value] = s.color; });
    var map = baseMap(el, config);
    var bounds = L.latLngBounds([]);
    var group = L.featureGroup().addTo(map);
    config.points.forEach(function (p) {
      var red = p.supervision === "red";
      var marker = L.circleMarker([p.lat, p.lng], {
        radius: red ? 8 : 6,
        color: red ? "#dc3545" : (p.outside ? "#fd7e14" : "#fff"),
        weight: red || p.outside ? 3 : 1.5,
        dashArray: p.outside ? "3 3" : null,
        fillColor: colors[p.status] || "#0d6efd",
        fillOpacity: 0.9,
        className: "event-marker event-marker-" + p.status + (p.outside ? " event-marker-outside" : "")
      });
      marker.bindPopup(
        '<div class="event-popup"><a class="fw-semibold" href="' + esc(p.url) + '">' + esc(p.number) + "</a>" +
        "<div>" + esc(p.title) + "</div>" +
        '<div class="text-muted">' + esc(p.statusLabel) + "</div>" +
        (p.outside ? '<div class="text-warning-emphasis">' + esc(text.outside) + "</div>" : "") +
        '<a class="btn btn-sm btn-primary mt-1" href="' + esc(p.url) + '">' + esc(text.open) + "</a></div>"
      );
      marker.addTo(group);
      // A point outside the area (a phone's fix a thousand kilometres off) is drawn, not fitted.
      if (!p.outside) { bounds.extend([p.lat, p.lng]); }
    });
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "map-legend");
      var present = {};
      config.points.forEach(function (p) { present[p.status] = true; });
      // Built as nodes: the colour is set through the CSSOM, which the CSP allows (inline
      // style attributes it refuses).
      config.statuses.filter(function (s) { return present[s.value]; }).forEach(function (s) {
        var row = L.DomUtil.create("div", "", div);
        var dot = L.DomUtil.create("span", "status-dot", row);
        dot.style.background = s.color;
        row.appendChild(document.createTextNode(" " + s.label));
      });
      return div;
    };
    if (config.points.length) { legend.addTo(map); }
    var area = extentBounds(config.extent);
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15 });
    } else if (area) {
      map.fitBounds(area, { padding: [10, 10] });
    }
    drawTownships(map, config.regionsUrl, !bounds.isValid() && !area);
    var status = document.getElementById("events-map-status");
    if (status) {
      var line = config.points.length ? fmt(text.shown, { n: config.points.length }) : text.empty;
      if (config.truncated) { line += " " + fmt(text.truncated, { n: config.points.length }); }
      status.textContent = line;
    }
    el.setAttribute("data-point-count", String(config.points.length));
  }

  /* --- the event's small map ---------------------------------------------------------------- */

  function initEventMap(el) {
    var config = readJSON(el.getAttribute("data-event-map"));
    if (!config) { return; }
    var map = baseMap(el, config, { scrollWheelZoom: false });
    var bounds = L.latLngBounds([]);
    var shape = config.grid || config.boundary;
    if (shape) {
      var layer = L.geoJSON({ type: "Feature", geometry: shape, properties: {} }, {
        interactive: false,
        style: function () { return { color: "#1565c0", weight: 2, fillOpacity: 0.1 }; }
      }).addTo(map);
      bounds.extend(layer.getBounds());
    }
    if (config.point) {
      var latlng = [config.point[1], config.point[0]];
      L.circleMarker(latlng, {
        radius: 9, color: "#fff", weight: 2, fillColor: config.color || "#dc3545", fillOpacity: 1,
        className: "event-marker"
      }).addTo(map);
      // A point outside the county is drawn, but the map shows the place (the page says so).
      if (!config.pointOutside) { bounds.extend(latlng); }
    }
    if (!bounds.isValid() && extentBounds(config.extent)) { bounds = extentBounds(config.extent); }
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 }); }
    el.setAttribute("data-ready", "1");
  }

  /* --- routing test: click the map to pick the point ----------------------------------------- */

  function initPickMap(el) {
    var config = readJSON(el.getAttribute("data-pick-map"));
    if (!config) { return; }
    var form = el.closest("form") || document;
    var lng = form.querySelector("input[name=lng]");
    var lat = form.querySelector("input[name=lat]");
    var map = baseMap(el, config);
    var marker = null;
    drawTownships(map, config.regionsUrl, true);
    map.on("click", function (e) {
      if (marker) { map.removeLayer(marker); }
      // A circle, not Leaflet's default pin: the pin finds its image by the file's unhashed
      // name, which collectstatic changes.
      marker = L.circleMarker(e.latlng, {
        radius: 9, color: "#fff", weight: 2, fillColor: "#dc3545", fillOpacity: 1,
        className: "picked-marker"
      }).addTo(map);
      if (lng) { lng.value = e.latlng.lng.toFixed(6); }
      if (lat) { lat.value = e.latlng.lat.toFixed(6); }
      pointChanged(lng);
    });
  }

  /* --- "use my location" and "near me" ------------------------------------------------------- */

  function initGeolocate(button) {
    var form = button.closest("form");
    var status = document.getElementById(button.getAttribute("data-geolocate"));
    function say(message) { if (status) { status.textContent = message; } }
    if (!navigator.geolocation) {
      button.disabled = true;
      say(button.getAttribute("data-unsupported") || "");
      return;
    }
    button.addEventListener("click", function () {
      say(button.getAttribute("data-locating") || "");
      navigator.geolocation.getCurrentPosition(function (position) {
        var lng = position.coords.longitude.toFixed(6);
        var lat = position.coords.latitude.toFixed(6);
        form.querySelector("input[name=lng]").value = lng;
        form.querySelector("input[name=lat]").value = lat;
        say(fmt(button.getAttribute("data-located") || "%(lng)s, %(lat)s", {
          lng: lng, lat: lat, accuracy: Math.round(position.coords.accuracy)
        }));
        pointChanged(form.querySelector("input[name=lng]"));
        button.classList.remove("btn-outline-primary");
        button.classList.add("btn-success");
        button.setAttribute("data-done", "1");
      }, function () {
        say(button.getAttribute("data-failed") || "");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  function initNearMe(button) {
    if (!navigator.geolocation) { button.disabled = true; return; }
    button.addEventListener("click", function () {
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        var url = new URL(window.location.href);
        url.searchParams.set("lng", position.coords.longitude.toFixed(6));
        url.searchParams.set("lat", position.coords.latitude.toFixed(6));
        url.searchParams.delete("page");
        window.location.href = url.toString();
      }, function () {
        button.disabled = false;
        var status = document.getElementById(button.getAttribute("data-near-me"));
        if (status) { status.textContent = button.getAttribute("data-failed") || ""; }
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  /* --- a point outside the county: warn before sending ---------------------------------------- */

  /* Setting an input's value from code fires no event: tell the form's listeners. */
  function pointChanged(input) {
    if (input) { input.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  /* Even-odd ray casting over a GeoJSON ring of [lng, lat] positions. */
  function inRing(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  function inPolygon(rings, x, y) {
    if (!rings.length || !inRing(rings[0], x, y)) { return false; }
    for (var k = 1; k < rings.length; k++) { if (inRing(rings[k], x, y)) { return false; } }
    return true;
  }

  /* Whether (x, y) lies in the county's outline (already widened by the server). */
  function inArea(outline, x, y) {
    if (!outline || !outline.coordinates) { return true; }  // nothing to go by: no warning
    var polygons = outline.type === "Polygon" ? [outline.coordinates] : outline.coordinates;
    return polygons.some(function (rings) { return inPolygon(rings, x, y); });
  }

  /* The report and hotline forms know the county's outline; a point outside it shows the
   * warning at once, and sending needs a chosen village or the reporter's confirmation. The
   * server keeps the report either way and warns again on the answer page. */
  function initPlaceCheck(form) {
    var config = readJSON(form.getAttribute("data-place-check"));
    var warning = form.querySelector("#place-warning");
    var lng = form.querySelector("input[name=lng]");
    var lat = form.querySelector("input[name=lat]");
    if (!config || !warning || !lng || !lat) { return; }
    var village = form.querySelector("select[name=village]");
    var confirm = form.querySelector("#place-confirm");
    var onlyPoint = form.querySelector("#place-warning-outside");
    var withVillage = form.querySelector("#place-warning-village");
    var confirmRow = form.querySelector("#place-confirm-row");

    function outside() {
      if (lng.value === "" || lat.value === "") { return false; }
      var x = parseFloat(lng.value), y = parseFloat(lat.value);
      if (!isFinite(x) || !isFinite(y)) { return false; }  // the server names a bad number
      return !inArea(config.outline, x, y);
    }

    function update() {
      var out = outside();
      var chosen = !!(village && village.value);
      warning.classList.toggle("d-none", !out);
      onlyPoint.classList.toggle("d-none", chosen);
      withVillage.classList.toggle("d-none", !chosen);
      confirmRow.classList.toggle("d-none", chosen);
      if (!out) { warning.classList.remove("border", "border-danger"); }
      form.setAttribute("data-point-outside", out ? "1" : "0");
      return out;
    }

    [lng, lat, village, confirm].forEach(function (input) {
      if (input) { input.addEventListener("change", update); input.addEventListener("input", update); }
    });
    form.addEventListener("submit", function (e) {
      if (update() && !(village && village.value) && !(confirm && confirm.checked)) {
        e.preventDefault();
        warning.classList.add("border", "border-danger");
        warning.scrollIntoView({ block: "center" });
        (village || confirm).focus();
      }
    });
    update();
  }

  /* --- a form that must not be sent twice, and forms that ask first --------------------------- */

  function initForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      var key = form.querySelector("input[name=client_key]");
      if (key && !key.value && window.crypto && window.crypto.randomUUID) {
        key.value = window.crypto.randomUUID().replace(/-/g, "");
      }
      form.addEventListener("submit", function (e) {
        // The client key makes a second submit harmless; this only spares the wait. A submit
        // another listener stopped (a question, a warning) leaves the buttons usable.
        window.setTimeout(function () {
          if (e.defaultPrevented) { return; }
          form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    });
  }

  function init() {
    var workbench = document.getElementById("events-map");
    if (workbench && window.L) { initWorkbenchMap(workbench); }
    if (window.L) {
      document.querySelectorAll("[data-event-map]").forEach(initEventMap);
      document.querySelectorAll("[data-pick-map]").forEach(initPickMap);
    }
    document.querySelectorAll("[data-geolocate]").forEach(initGeolocate);
    document.querySelectorAll("[data-near-me]").forEach(initNearMe);
    document.querySelectorAll("form[data-place-check]").forEach(initPlaceCheck);
    initForms();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
