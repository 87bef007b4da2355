/* Pingan maps: the full map page (一张图, #pingan-map) and the small maps on detail pages
 * ([data-minimap]). Configuration comes from json_script blocks; nothing else is inline.
 * Grids are drawn with Leaflet's SVG renderer, one <path class="pingan-grid"> per grid. */
(function () {
  "use strict";

  var DEFAULT_CENTER = [30.6, 104.0]; // western China, shown only when there is nothing to fit
  var DEFAULT_ZOOM = 6;

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

  function kindColors(kinds) {
    var colors = {};
    (kinds || []).forEach(function (k) { colors[k.value] = k.color; });
    return colors;
  }

  /* Style of a grid: colour by kind; mobile grids dashed; grids not in use today faded. */
  function gridStyle(p, colors) {
    var color = colors[p.kind] || "#555";
    var style = { color: color, weight: 1.5, opacity: 0.9, fillColor: color, fillOpacity: 0.22 };
    if (p.kind === "dedicated") { style.weight = 2; style.fillOpacity = 0.45; }
    if (p.kind === "mobile") { style.weight = 2.5; style.dashArray = "8 5"; style.fillOpacity = 0.15; }
    if (!p.active_now) { style.opacity = 0.45; style.fillOpacity = 0.05; style.dashArray = "4 6"; }
    return style;
  }

  function popupHtml(p, text) {
    var kind = esc(p.kind_display) + (p.subkind_display ? " · " + esc(p.subkind_display) : "");
    var html = '<div class="grid-popup" data-grid-id="' + esc(p.id) + '">' +
      "<h3>" + esc(p.name) + "</h3>" +
      '<div class="mb-1"><span class="badge kind-badge kind-' + esc(p.kind) + '">' + kind + "</span>";
    if (!p.active_now) {
      html += ' <span class="badge text-bg-secondary">' +
        esc(p.is_active ? text.outOfSeason : text.notInUse) + "</span>";
    }
    html += "</div>" +
      '<div><span class="text-muted">' + esc(text.code) + ':</span> <span class="font-monospace">' + esc(p.code) + "</span></div>" +
      '<div><span class="text-muted">' + esc(text.region) + ":</span> " + esc(p.region_name) + "</div>" +
      '<div><span class="text-muted">' + esc(text.households) + ":</span> " + esc(p.households) + "</div>";
    if (p.active_from && p.active_until) {
      html += '<div><span class="text-muted">' + esc(text.season) + ":</span> " +
        esc(p.active_from) + " – " + esc(p.active_until) + "</div>";
    }
    html += '<div class="mt-1 text-muted">' + esc(text.team) + "</div>";
    if (p.team && p.team.length) {
      html += "<ul>" + p.team.map(function (m) {
        return '<li><span class="text-muted">' + esc(m.role_display) + "</span> " + esc(m.name) + "</li>";
      }).join("") + "</ul>";
    } else {
      html += '<p class="text-muted fst-italic mb-2">' + esc(text.noTeam) + "</p>";
    }
    html += '<a class="btn btn-sm btn-primary grid-popup-link" href="' + esc(p.url) + '">' +
      esc(text.details) + "</a></div>";
    return html;
  }

  function baseMap(el, config, options) {
    var map = L.map(el, Object.assign({ zoomSnap: 0.25, preferCanvas: false }, options || {}));
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 18 }).addTo(map);
    }
    map.createPane("boundaries").style.zIndex = 380;
    // Dedicated and seasonal grids lie over the base grids: draw them above so clicks reach them.
    map.createPane("overlayGrids").style.zIndex = 420;
    map.setView(DEFAULT_CENTER, DEFAULT_ZOOM);
    return map;
  }

  /* Add one layer per grid to a per-kind group; return {groups, byId, bounds, count}. */
  function drawGrids(map, features, colors, text, target) {
    var groups = target || {};
    var byId = {};
    var bounds = L.latLngBounds([]);
    features.forEach(function (feature) {
      var p = feature.properties;
      var overlay = p.kind === "dedicated" || p.kind === "mobile";
      var layer = L.geoJSON(feature, {
        className: "pingan-grid pingan-grid-" + p.kind + (p.active_now ? "" : " pingan-grid-inactive"),
        pane: overlay ? "overlayGrids" : "overlayPane",
        style: function () { return gridStyle(p, colors); }
      });
      layer.bindPopup(popupHtml(p, text), { maxWidth: 300 });
      layer.bindTooltip(esc(p.name), { sticky: true, direction: "top" });
      layer.on("add", function () {
        layer.eachLayer(function (path) {
          var el = path.getElement && path.getElement();
          if (el) { el.setAttribute("data-grid-id", p.id); }
        });
      });
      if (!groups[p.kind]) { groups[p.kind] = L.featureGroup(); }
      groups[p.kind].addLayer(layer);
      byId[p.id] = layer;
      bounds.extend(layer.getBounds());
    });
    Object.keys(groups).forEach(function (kind) { groups[kind].addTo(map); });
    return { groups: groups, byId: byId, bounds: bounds, count: features.length };
  }

  function drawBoundaries(data, style, labels) {
    return L.geoJSON(data, {
      pane: "boundaries",
      interactive: false,
      style: function () { return style; },
      onEachFeature: function (feature, layer) {
        if (labels) {
          layer.bindTooltip(esc(feature.properties.name), {
            permanent: true, direction: "center", className: "region-label", interactive: false
          });
        }
      }
    });
  }

  var TOWNSHIP_STYLE = { color: "#37474f", weight: 2, opacity: 0.8, dashArray: "8 6", fill: false };
  var VILLAGE_STYLE = { color: "#78909c", weight: 0.7, opacity: 0.8, fill: false };
  var REGION_STYLE = { color: "#37474f", weight: 2, opacity: 0.8, dashArray: "8 6", fill: false };

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status + " " + url); }
        return response.json();
      });
  }

  function swatch(kind) {
    return '<span class="kind-swatch kind-' + esc(kind) + '"></span> ';
  }

  /* --- the map page -------------------------------------------------------------------- */

  function initMapPage(el) {
    var config = readJSON("map-config");
    var text = config.text;
    var colors = kindColors(config.kinds);
    var map = baseMap(el, config);
    var status = document.getElementById("map-status");
    var empty = document.getElementById("map-empty");
    var form = document.getElementById("map-filter");
    var control = L.control.layers(null, null, { collapsed: true }).addTo(map);
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "map-legend");
      div.id = "map-legend";
      return div;
    };
    legend.addTo(map);
    var state = { grids: null, boundaryBounds: null };
    var area = config.extent && config.extent.length === 4 ?
      L.latLngBounds([config.extent[1], config.extent[0]], [config.extent[3], config.extent[2]]) : null;
    var townships = null;
    var villages = null;

    function updateLegend(features) {
      var counts = {};
      features.forEach(function (f) { counts[f.properties.kind] = (counts[f.properties.kind] || 0) + 1; });
      var html = "<strong>" + esc(text.legend) + "</strong>";
      config.kinds.forEach(function (k) {
        html += '<div data-kind="' + esc(k.value) + '">' + swatch(k.value) + esc(k.label) +
          ' <span class="badge rounded-pill text-bg-light border" data-kind-count="' + esc(k.value) + '">' +
          (counts[k.value] || 0) + "</span></div>";
      });
      html += '<div class="text-muted small"><span class="kind-swatch kind-faded"></span> ' +
        esc(text.faded) + "</div>";
      document.getElementById("map-legend").innerHTML = html;
      return counts;
    }

    function clearGrids() {
      if (!state.grids) { return; }
      Object.keys(state.grids.groups).forEach(function (kind) {
        control.removeLayer(state.grids.groups[kind]);
        map.removeLayer(state.grids.groups[kind]);
      });
      state.grids = null;
    }

    function fit(focusId) {
      var grids = state.grids;
      if (focusId && grids && grids.byId[focusId]) {
        var layer = grids.byId[focusId];
        map.fitBounds(layer.getBounds(), { padding: [40, 40], maxZoom: 15 });
        layer.openPopup();
      } else if (grids && grids.count && fitted(grids).isValid()) {
        map.fitBounds(fitted(grids), { padding: [20, 20], maxZoom: 15 });
      } else if (area) {
        map.fitBounds(area, { padding: [20, 20] });
      } else if (state.boundaryBounds && state.boundaryBounds.isValid()) {
        map.fitBounds(state.boundaryBounds, { padding: [20, 20] });
      }
    }

    /* The bounds of the grids in the user's area: one grid drawn far away (coordinates
     * swapped at import) is still shown, but does not zoom the map out of the county. */
    function fitted(grids) {
      if (!area) { return grids.bounds; }
      var bounds = L.latLngBounds([]);
      Object.keys(grids.byId).forEach(function (id) {
        var b = grids.byId[id].getBounds();
        if (b.isValid() && area.intersects(b)) { bounds.extend(b); }
      });
      return bounds;
    }

    function loadGrids(query, focusId) {
      status.textContent = text.loading;
      var url = config.gridsUrl + (query ? "?" + query : "");
      return fetchJSON(url).then(function (data) {
        clearGrids();
        var features = data.features || [];
        state.grids = drawGrids(map, features, colors, text);
        var counts = updateLegend(features);
        config.kinds.forEach(function (k) {
          var group = state.grids.groups[k.value];
          if (group) {
            control.addOverlay(group, swatch(k.value) + esc(k.label) + " (" + (counts[k.value] || 0) + ")");
          }
        });
        el.setAttribute("data-grid-count", String(state.grids.count));
        status.textContent = fmt(text.shown, { n: state.grids.count });
        var filtered = query && query.length > 0;
        document.getElementById("map-empty-text").textContent = filtered ? text.noMatch : text.empty;
        empty.classList.toggle("d-none", state.grids.count > 0);
        fit(focusId);
      }).catch(function (error) {
        status.textContent = text.failed;
        el.setAttribute("data-grid-count", "0");
        if (window.console) { console.error(error); }
      });
    }

    function formQuery() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (String(value).trim() !== "") { params.append(key, String(value).trim()); }
      });
      return params.toString();
    }

    var regionsBase = config.regionsUrl + (config.regionsUrl.indexOf("?") < 0 ? "?" : "&");
    var boundaries = Promise.all([
      fetchJSON(regionsBase + "level=township"),
      fetchJSON(regionsBase + "level=village")
    ]).then(function (results) {
      villages = drawBoundaries(results[1], VILLAGE_STYLE, false).addTo(map);
      townships = drawBoundaries(results[0], TOWNSHIP_STYLE, true).addTo(map);
      state.boundaryBounds = L.latLngBounds([]);
      [townships, villages].forEach(function (layer) {
        if (layer.getLayers().length) { state.boundaryBounds.extend(layer.getBounds()); }
      });
      control.addOverlay(townships, esc(text.townships));
      control.addOverlay(villages, esc(text.villages));
    }).catch(function (error) {
      if (window.console) { console.error(error); }
    });

    // Boundaries first so that the layer control lists them above the grid kinds.
    boundaries.then(function () { return loadGrids(formQuery(), config.focusGrid); });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = formQuery();
      var pageUrl = window.location.pathname + (query ? "?" + query : "");
      window.history.replaceState(null, "", pageUrl);
      loadGrids(query, null);
    });
    form.querySelector("select[name=kind]").addEventListener("change", function () {
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    });
  }

  /* --- small maps on detail pages ----------------------------------------------------- */

  function initMiniMap(el) {
    var config = readJSON(el.getAttribute("data-minimap"));
    if (!config) { return; }
    var colors = kindColors(config.kinds);
    var map = baseMap(el, config, { scrollWheelZoom: false });
    var bounds = L.latLngBounds([]);
    if (config.boundary) {
      var outline = drawBoundaries({ type: "Feature", geometry: config.boundary, properties: {} }, REGION_STYLE, false).addTo(map);
      bounds.extend(outline.getBounds());
    }
    var grids = drawGrids(map, config.features || [], colors, config.text || {});
    if (grids.count) { bounds = grids.bounds.extend(bounds.isValid() ? bounds : grids.bounds); }
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [15, 15], maxZoom: 16 }); }
    el.setAttribute("data-grid-count", String(grids.count));
  }

  function init() {
    var page = document.getElementById("pingan-map");
    if (page) { initMapPage(page); }
    document.querySelectorAll("[data-minimap]").forEach(initMiniMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
