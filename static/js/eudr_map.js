/* EUDR maps with Leaflet (static/vendor/leaflet, no CDN).
 *
 * - "overview" (the EUDR map page): the farms of the user's regions coloured by status, loaded from the
 *   map data endpoint for the part of the map in view (the server caps the features and says so).
 * - "farm" (a farm's geometry page): its current geometry (blue), the checked preview (orange, dashed),
 *   the neighbouring farms, and a simple drawing tool: click the corners, "Finish" writes a GeoJSON
 *   Polygon ([longitude, latitude], 6 decimals) into the form's text box for "Preview" or "Save".
 * - Tiles only when the server names a tile URL (settings.MAP_TILE_URL); without, the plots are drawn on a
 *   plain background with a metric scale, which is enough to check shapes, sizes and overlaps.
 */
(function () {
  "use strict";

  const configNode = document.getElementById("eudr-map-config");
  const container = document.getElementById("eudr-map");
  if (!configNode || !container || !window.L) return;
  const C = JSON.parse(configNode.textContent);
  const T = C.strings || {};
  const COLOURS = { ready: "#2e7d32", missing_geometry: "#757575", flagged: "#c62828" };
  const PERU = [[-18.4, -81.4], [0.05, -68.6]];

  const map = L.map(container, { preferCanvas: true, minZoom: 4 });
  if (C.tileUrl) {
    L.tileLayer(C.tileUrl, { attribution: C.tileAttribution, maxZoom: 19 }).addTo(map);
  } else {
    container.classList.add("no-tiles");
  }
  L.control.scale({ imperial: false }).addTo(map);
  map.fitBounds(PERU);

  const messageBox = document.getElementById("eudr-map-message");
  function say(text) {
    if (!messageBox) return;
    messageBox.textContent = text || "";
    messageBox.hidden = !text;
  }

  function style(feature) {
    const colour = COLOURS[feature.properties.status] || "#1565c0";
    return { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.25 };
  }

  function pointToLayer(feature, latlng) {
    return L.circleMarker(latlng, Object.assign(style(feature), { radius: 6, fillOpacity: 0.7 }));
  }

  function popup(feature) {
    const p = feature.properties;
    const box = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = p.name + " (" + p.member + ")";
    const state = document.createElement("div");
    state.textContent = p.status_label + " · " + p.hectares + " ha";
    box.append(title, state);
    if (p.reasons && p.reasons.length) {
      const list = document.createElement("ul");
      p.reasons.forEach(function (reason) {
        const item = document.createElement("li");
        item.textContent = reason;
        list.append(item);
      });
      box.append(list);
    }
    if (C.editUrl) {
      const link = document.createElement("a");
      link.href = C.editUrl.replace("{id}", String(feature.id));
      link.textContent = T.geometryPage;
      box.append(link);
    }
    return box;
  }

  const farms = L.geoJSON(null, {
    style: style,
    pointToLayer: pointToLayer,
    onEachFeature: function (feature, layer) { layer.bindPopup(function () { return popup(feature); }); },
  }).addTo(map);

  function clamp(value, low, high) { return Math.min(high, Math.max(low, value)); }

  function bboxParam() {
    const b = map.getBounds();
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
      .map(function (value) { return value.toFixed(6); }).join(",");
  }

  let latest = 0;
  function load(params, fit) {
    const url = new URL(C.dataUrl, window.location.href);
    Object.keys(params).forEach(function (key) { url.searchParams.set(key, params[key]); });
    const mine = ++latest;
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        if (mine !== latest) return;
        farms.clearLayers();
        farms.addData(data);
        say(data.truncated ? T.truncated : "");
        if (fit && farms.getLayers().length) map.fitBounds(farms.getBounds(), { maxZoom: 16 });
      })
      .catch(function () { say(T.loadFailed); });
  }

  let timer = null;
  function reloadInView(extra) {
    clearTimeout(timer);
    timer = setTimeout(function () { load(Object.assign({ bbox: bboxParam() }, extra || {}), false); }, 300);
  }

  if (C.mode === "overview") {
    load({}, true).then(function () { map.on("moveend", function () { reloadInView(); }); });
    return;
  }

  // -- a farm's geometry page ---------------------------------------------------------------------------

  const neighbours = { exclude: String(C.farmId) };
  const current = C.current ? L.geoJSON(C.current, {
    style: { color: "#1565c0", weight: 3, fillOpacity: 0.15 },
    pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, { radius: 7, color: "#1565c0" }); },
  }).bindTooltip(T.current).addTo(map) : null;
  const preview = C.preview ? L.geoJSON(C.preview, {
    style: { color: "#ef6c00", weight: 3, dashArray: "6 4", fillOpacity: 0.1 },
    pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, { radius: 7, color: "#ef6c00" }); },
  }).bindTooltip(T.preview).addTo(map) : null;
  const focus = preview || current;
  if (focus) map.fitBounds(focus.getBounds(), { maxZoom: 17 });
  map.on("moveend", function () { reloadInView(neighbours); });
  reloadInView(neighbours);

  const tools = document.getElementById("eudr-draw-tools");
  const text = document.getElementById("id_text");
  const drawn = document.getElementById("id_drawn");
  if (!tools || !text) return;

  let drawing = false;
  let corners = [];
  const sketch = L.polyline([], { color: "#6a1b9a", weight: 2, dashArray: "4 4" }).addTo(map);

  function button(label, action, kind) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "small " + (kind || "secondary");
    element.textContent = label;
    element.addEventListener("click", action);
    tools.append(element);
    return element;
  }

  function redraw() { sketch.setLatLngs(corners.length > 2 ? corners.concat([corners[0]]) : corners); }

  const help = document.createElement("small");
  const start = button(T.draw, function () {
    drawing = true;
    corners = [];
    redraw();
    help.textContent = T.drawHelp;
    container.style.cursor = "crosshair";
  });
  button(T.undo, function () { corners.pop(); redraw(); });
  button(T.finish, function () {
    if (corners.length < 3) { help.textContent = T.needThree; return; }
    const ring = corners.concat([corners[0]]).map(function (latlng) {
      return "[" + latlng.lng.toFixed(6) + ", " + latlng.lat.toFixed(6) + "]";
    });
    text.value = '{"type": "Polygon", "coordinates": [[' + ring.join(", ") + "]]}";
    if (drawn) drawn.value = "True";
    drawing = false;
    container.style.cursor = "";
    help.textContent = "";
  }, "");
  button(T.clear, function () { corners = []; drawing = false; redraw(); container.style.cursor = ""; help.textContent = ""; }, "secondary outline");
  tools.append(help);
  tools.hidden = false;
  start.focus({ preventScroll: true });

  map.on("click", function (event) {
    if (!drawing) return;
    corners.push(event.latlng);
    redraw();
  });
  text.addEventListener("input", function () { if (drawn) drawn.value = ""; });
})();
