/* Walking a farm's boundary in the field app (members.views.eudr.field_boundary_walk).
 *
 * - navigator.geolocation.watchPosition records the phone's positions while the technician walks round
 *   the plot: only fixes at most 30 m accurate, and at least 3 m from the previous point. The page shows
 *   the number of points, the accuracy and the distance back to the start.
 * - The points are kept in localStorage (per farm) as they come, so a reload, a closed tab or a lost
 *   connection loses nothing. They are not queued for automatic upload: sending needs a connection, and
 *   offline the page says so and keeps them until "Send" is pressed online. The server answers with the
 *   saved boundary, or with the reasons it was refused (the points stay for another try or "Discard").
 * - Numbers are sent as written (7 decimals), so the server's 6-decimal rule sees their full precision.
 */
(function () {
  "use strict";

  const box = document.getElementById("boundary-walk");
  if (!box) return;
  const T = JSON.parse(document.getElementById("walk-strings").textContent);
  const KEY = "boundary-walk-" + box.dataset.farmId;
  const MAX_ACCURACY_M = 30;
  const MIN_STEP_M = 3;
  const form = document.getElementById("walk-form");
  const input = document.getElementById("walk-positions");
  const startButton = document.getElementById("walk-start");
  const stopButton = document.getElementById("walk-stop");
  const discardButton = document.getElementById("walk-discard");
  const state = document.getElementById("walk-state");
  let watchId = null;

  box.hidden = false;
  if (box.dataset.saved) {
    try { localStorage.removeItem(KEY); } catch (error) { /* storage blocked: nothing kept */ }
  }

  function loadPoints() {
    try {
      const stored = JSON.parse(localStorage.getItem(KEY) || "[]");
      if (stored.length) return stored;
    } catch (error) { /* unreadable: start again */ }
    try {
      // After a refusal the server sends the posted points back.
      const posted = JSON.parse(input.value || "[]");
      return posted.map(function (p) { return [String(p[0]), String(p[1]), p[2]]; });
    } catch (error) {
      return [];
    }
  }

  let points = loadPoints();

  function save() {
    try { localStorage.setItem(KEY, JSON.stringify(points)); } catch (error) { /* full: kept in the page */ }
  }

  function say(text, kind) {
    state.textContent = text || "";
    state.className = "message" + (kind ? " message-" + kind : "");
    state.hidden = !text;
  }

  // Metres between two [longitude, latitude] positions (haversine; enough for steps of a few metres).
  function distance(a, b) {
    const radians = Math.PI / 180;
    const dLat = (b[1] - a[1]) * radians;
    const dLon = (b[0] - a[0]) * radians;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * radians) * Math.cos(b[1] * radians) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
  }

  function numbers(point) { return [parseFloat(point[0]), parseFloat(point[1])]; }

  function render(accuracy) {
    document.getElementById("walk-count").textContent = String(points.length);
    if (accuracy !== undefined) document.getElementById("walk-accuracy").textContent = Math.round(accuracy) + " m";
    const toStart = document.getElementById("walk-to-start");
    toStart.textContent = points.length > 1 ? Math.round(distance(numbers(points[0]), numbers(points[points.length - 1]))) + " m" : "–";
    if (points.length && watchId === null && !state.textContent) say(T.kept + ": " + points.length);
  }

  function onPosition(position) {
    const accuracy = position.coords.accuracy;
    if (accuracy > MAX_ACCURACY_M) {
      say(T.poorAccuracy, "warning");
      render(accuracy);
      return;
    }
    say("");
    const point = [position.coords.longitude.toFixed(7), position.coords.latitude.toFixed(7), Math.round(accuracy)];
    const last = points[points.length - 1];
    if (!last || distance(numbers(last), numbers(point)) >= MIN_STEP_M) {
      points.push(point);
      save();
    }
    render(accuracy);
  }

  function onError() { say(T.denied, "error"); stop(); }

  function start() {
    if (!navigator.geolocation) { say(T.unsupported, "error"); return; }
    watchId = navigator.geolocation.watchPosition(onPosition, onError, { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 });
    startButton.hidden = true;
    stopButton.hidden = false;
  }

  function stop() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    startButton.hidden = false;
    startButton.textContent = points.length ? T.resume : T.start;
    stopButton.hidden = true;
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  discardButton.addEventListener("click", function () {
    if (!points.length || !window.confirm(T.confirmDiscard)) return;
    stop();
    points = [];
    save();
    say("");
    render();
  });

  form.addEventListener("submit", function (event) {
    if (!navigator.onLine) {
      event.preventDefault();
      say(T.offline, "warning");
      return;
    }
    if (points.length < 3) {
      event.preventDefault();
      say(T.needThree, "warning");
      return;
    }
    stop();
    input.value = "[" + points.map(function (p) { return "[" + p[0] + "," + p[1] + "," + p[2] + "]"; }).join(",") + "]";
  });

  window.addEventListener("offline", function () { say(T.offline, "warning"); });
  window.addEventListener("online", function () { say(""); });
  if (points.length) startButton.textContent = T.resume;
  render();
})();
