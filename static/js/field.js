/* The technicians' field app: works without a connection and sends each visit exactly once.
 *
 * - A saved visit always goes first into a queue in IndexedDB (database "field-visits", store "queue"),
 *   keyed by a UUID made on the phone; then, when there is a connection, it is uploaded to
 *   POST /api/v1/visits/. The server stores a visit once per UUID, so a retry after a lost answer is
 *   harmless: 201 (stored) and 200 (already stored) both remove the visit from the queue.
 * - A visit the server refuses (400 bad data, 404 farm no longer in the technician's regions, 409) stays
 *   in the queue marked "not accepted", with the server's reason, until the technician corrects it or
 *   discards it (after a confirmation). Nothing is ever dropped silently.
 * - A 409 with code "replay_differs" means the server already holds this UUID with other content (the
 *   visit was changed on the phone after it was stored): the server keeps its copy, so the item is marked
 *   "already sent with other data" and never sent again (another upload of the UUID could only get the
 *   same answer). It stays on the list, so the technician learns the changes were not stored, until they
 *   remove it; no confirmation, since the visit itself is safe on the server.
 * - A network failure, a server error or an ended session stops the round; the visits wait for the next
 *   one (on "online", on page load, every minute, or with "Send now").
 * - "My farms" leaves the farm list in localStorage so that the visit form, served offline by the
 *   service worker for any farm, can name the farm and show the pests of its crop.
 */
(function () {
  "use strict";

  const bar = document.getElementById("field-bar");
  if (!bar) return;
  const T = JSON.parse(document.getElementById("field-strings").textContent);
  const API_URL = bar.dataset.apiUrl;
  const FARMS_URL = bar.dataset.farmsUrl;
  const VISIT_URL = bar.dataset.visitUrl;
  const FARMS_KEY = "field-farms";
  const FLASH_KEY = "field-flash";
  const MAX_PHOTOS = 3;
  const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  const RETRY_MS = 60 * 1000;

  // -- the queue in IndexedDB ---------------------------------------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      const request = indexedDB.open("field-visits", 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("queue", { keyPath: "client_uuid" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, action) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        const transaction = db.transaction("queue", mode);
        const request = action(transaction.objectStore("queue"));
        transaction.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  const queue = {
    all: function () {
      return withStore("readonly", function (store) { return store.getAll(); }).then(function (items) {
        return (items || []).sort(function (a, b) { return a.saved_at - b.saved_at; });
      });
    },
    get: function (id) { return withStore("readonly", function (store) { return store.get(id); }); },
    put: function (item) { return withStore("readwrite", function (store) { return store.put(item); }); },
    remove: function (id) { return withStore("readwrite", function (store) { return store.delete(id); }); },
  };

  // -- small helpers ------------------------------------------------------------------------------------

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function todayIso() {
    const now = new Date();
    return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  function cookie(name) {
    const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function showMessage(text, kind) {
    const box = document.getElementById("sync-message");
    if (!box) return;
    box.textContent = text;
    box.className = "message" + (kind ? " message-" + kind : "");
    box.hidden = !text;
  }

  function farmsOnPhone() {
    try { return JSON.parse(localStorage.getItem(FARMS_KEY) || "{}"); } catch (error) { return {}; }
  }

  // Server error answers as one readable line: "Visit date: The visit date cannot be in the future."
  function reasonOf(body, status) {
    if (!body || typeof body !== "object") return T.rejected + " (" + status + ")";
    const parts = [];
    (function walk(value, label) {
      if (value == null) return;
      if (typeof value === "string") { parts.push(label ? label + ": " + value : value); return; }
      if (Array.isArray(value)) { value.forEach(function (v) { walk(v, label); }); return; }
      Object.keys(value).forEach(function (key) {
        const name = key === "detail" || key === "non_field_errors" || /^\d+$/.test(key) ? label : (T.fields[key] || key);
        walk(value[key], name);
      });
    })(body, "");
    return parts.join(" · ") || T.rejected + " (" + status + ")";
  }

  // -- sending --------------------------------------------------------------------------------------------

  function upload(item) {
    const headers = { "X-CSRFToken": cookie("csrftoken"), "Accept": "application/json" };
    let body;
    if (item.photos && item.photos.length) {
      body = new FormData();
      body.append("visit", JSON.stringify(item.visit));
      item.photos.forEach(function (photo, index) { body.append("photos", photo, photo.name || "photo-" + (index + 1) + ".jpg"); });
    } else {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(item.visit);
    }
    return fetch(API_URL, { method: "POST", headers: headers, body: body, credentials: "same-origin" });
  }

  let syncing = false;

  async function syncRound() {
    // Only visits waiting to be sent: "rejected" and "differs" items wait for the technician.
    const items = (await queue.all()).filter(function (item) { return !item.status || item.status === "pending"; });
    let sent = 0;
    for (const item of items) {
      if (!navigator.onLine) { showMessage(T.offline); break; }
      let response;
      try {
        response = await upload(item);
      } catch (error) {
        showMessage(T.serverBusy, "warning");
        break;
      }
      if (response.status === 200 || response.status === 201) {
        await queue.remove(item.client_uuid);
        sent += 1;
        continue;
      }
      let body = null;
      try { body = await response.json(); } catch (error) { body = null; }
      const csrf = response.status === 403 && body && /csrf/i.test(String(body.detail || ""));
      if (response.status === 401 || csrf) {
        showMessage(T.loginAgain, "warning");
        break;
      }
      if (response.status === 409 && body && body.code === "replay_differs") {
        item.status = "differs";
        item.error = "";
        await queue.put(item);
        continue;
      }
      if ([400, 403, 404, 409, 413].indexOf(response.status) >= 0) {
        item.status = "rejected";
        item.error = reasonOf(body, response.status);
        await queue.put(item);
        continue;
      }
      showMessage(T.serverBusy, "warning");  // 429, 5xx: try again later
      break;
    }
    if (sent) showMessage(T.sent + ": " + sent, "success");
  }

  async function sync() {
    if (syncing || !navigator.onLine) return;
    syncing = true;
    try {
      if (navigator.locks) await navigator.locks.request("field-visit-sync", syncRound);
      else await syncRound();
    } catch (error) {
      showMessage(T.serverBusy, "warning");
    } finally {
      syncing = false;
      await renderQueue();
    }
  }

  // -- the badge and the queue list ----------------------------------------------------------------------

  async function renderQueue() {
    let items = [];
    try { items = await queue.all(); } catch (error) { items = []; }
    const badge = document.getElementById("queue-count");
    if (badge) {
      badge.textContent = String(items.length);
      badge.classList.toggle("badge-waiting", items.length > 0);
      badge.classList.toggle("badge-rejected", items.some(function (i) { return i.status === "rejected" || i.status === "differs"; }));
    }
    const section = document.getElementById("queue");
    const list = document.getElementById("queue-list");
    if (!section || !list) return;
    section.hidden = items.length === 0;
    list.replaceChildren.apply(list, items.map(queueRow));
  }

  function queueRow(item) {
    const row = document.createElement("li");
    row.className = "queue-item queue-" + item.status;
    row.dataset.uuid = item.client_uuid;
    const title = document.createElement("strong");
    title.textContent = item.farm_label + " – " + item.visit.visited_on;
    const state = document.createElement("div");
    state.className = "queue-state";
    if (item.status === "rejected") state.textContent = T.rejected + ": " + item.error;
    else if (item.status === "differs") state.textContent = T.replayDiffers + ". " + T.replayDiffersDetail;
    else state.textContent = T.waiting;
    row.append(title, state);
    if (item.status === "differs") {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary outline small";
      remove.textContent = T.removeFromPhone;
      remove.addEventListener("click", async function () {
        await queue.remove(item.client_uuid);
        await renderQueue();
      });
      const actions = document.createElement("div");
      actions.append(remove);
      row.append(actions);
    }
    if (item.status === "rejected") {
      const actions = document.createElement("div");
      const edit = document.createElement("a");
      edit.setAttribute("role", "button");
      edit.className = "small";
      edit.href = VISIT_URL + "?farm=" + item.visit.farm + "&queued=" + encodeURIComponent(item.client_uuid);
      edit.textContent = T.edit;
      const discard = document.createElement("button");
      discard.type = "button";
      discard.className = "secondary outline small";
      discard.textContent = T.discard;
      discard.addEventListener("click", async function () {
        if (!window.confirm(T.confirmDiscard)) return;
        await queue.remove(item.client_uuid);
        await renderQueue();
      });
      actions.append(edit, discard);
      row.append(actions);
    }
    return row;
  }

  function showConnection() {
    const state = document.getElementById("connection-state");
    if (state) {
      state.textContent = navigator.onLine ? T.online : T.offline;
      state.classList.toggle("is-offline", !navigator.onLine);
    }
  }

  // -- "My farms" -------------------------------------------------------------------------------------------

  function initFarmList() {
    const cards = document.querySelectorAll(".farm-card");
    if (!cards.length) return;
    const farms = farmsOnPhone();
    cards.forEach(function (card) {
      farms[card.dataset.farmId] = {
        name: card.dataset.name, member: card.dataset.member, crop: card.dataset.crop, crop_label: card.dataset.cropLabel,
      };
    });
    try { localStorage.setItem(FARMS_KEY, JSON.stringify(farms)); } catch (error) { /* full: the form falls back to the server */ }

    const filter = document.getElementById("farm-filter");
    const noMatch = document.getElementById("no-match");
    function apply() {
      const words = fold(filter.value).split(/\s+/).filter(Boolean);
      let shown = 0;
      cards.forEach(function (card) {
        const text = fold(card.dataset.search);
        const match = words.every(function (word) { return text.indexOf(word) >= 0; });
        card.hidden = !match;
        if (match) shown += 1;
      });
      if (noMatch) noMatch.hidden = shown > 0;
    }
    if (filter) {
      filter.addEventListener("input", apply);
      document.getElementById("farm-search").addEventListener("submit", function (event) {
        if (!navigator.onLine) { event.preventDefault(); apply(); }
      });
      if (filter.value) apply();
    }
  }

  // -- the visit form ---------------------------------------------------------------------------------------

  function initVisitForm() {
    const form = document.getElementById("visit-form");
    if (!form) return;
    const params = new URLSearchParams(location.search);
    const farmBox = document.getElementById("visit-farm");
    const errorsBox = document.getElementById("form-errors");
    const submit = form.querySelector("button[type=submit]");
    let editing = null;

    function setFarm(farmId) {
      const known = farmsOnPhone()[farmId];
      let crop = farmBox.dataset.farmId === farmId ? farmBox.dataset.crop : null;
      if (!crop && known) {
        crop = known.crop;
        farmBox.replaceChildren();
        const name = document.createElement("strong");
        name.textContent = known.name;
        farmBox.append(name, " – " + known.member + " · " + known.crop_label);
      }
      form.elements.farm.value = farmId || "";
      const problem = !farmId ? T.noFarm : (!crop ? T.unknownFarm : "");
      if (problem) {
        farmBox.textContent = problem;
        farmBox.classList.add("message", "message-error");
      }
      submit.disabled = Boolean(problem);
      form.querySelectorAll(".pest").forEach(function (box) {
        box.hidden = box.dataset.crop !== crop;
        if (box.hidden) box.querySelector("select").value = "";
      });
      farmBox.dataset.label = known ? known.name + " (" + known.member + ")" : farmBox.textContent.trim();
    }

    function fill(item) {
      const v = item.visit;
      form.elements.client_uuid.value = item.client_uuid;
      form.elements.visited_on.value = v.visited_on;
      form.elements.purpose.value = v.purpose;
      form.querySelectorAll("input[name=practices_observed]").forEach(function (box) {
        box.checked = v.practices_observed.indexOf(box.value) >= 0;
      });
      (v.pests || []).forEach(function (p) {
        const select = form.elements["pest_" + p.pest];
        if (select) select.value = String(p.severity);
      });
      form.elements.estimated_yield_kg.value = v.estimated_yield_kg || "";
      form.elements.recommendations.value = v.recommendations || "";
      form.elements.follow_up_on.value = v.follow_up_on || "";
      form.elements.latitude.value = v.latitude || "";
      form.elements.longitude.value = v.longitude || "";
      if (v.latitude) document.getElementById("location-state").textContent = v.latitude + ", " + v.longitude;
      if (item.error) showErrors([T.rejected + ": " + item.error]);
    }

    function showErrors(messages) {
      errorsBox.replaceChildren.apply(errorsBox, messages.map(function (text) {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      }));
      errorsBox.hidden = messages.length === 0;
      if (messages.length) errorsBox.scrollIntoView({ block: "center" });
    }

    function collect() {
      const f = form.elements;
      const errors = [];
      const today = todayIso();
      if (!f.visited_on.value) errors.push(T.fields.visited_on + ": " + T.required);
      else if (f.visited_on.value > today) errors.push(T.fields.visited_on + ": " + T.futureDate);
      if (!f.purpose.value) errors.push(T.fields.purpose + ": " + T.required);
      if (f.follow_up_on.value && f.visited_on.value && f.follow_up_on.value < f.visited_on.value) {
        errors.push(T.fields.follow_up_on + ": " + T.followUpBefore);
      }
      const files = Array.from(f.photos.files || []);
      if (files.length > MAX_PHOTOS) errors.push(T.tooManyPhotos);
      if (files.some(function (file) { return file.size > MAX_PHOTO_BYTES; })) errors.push(T.photoTooLarge);
      const pests = [];
      form.querySelectorAll(".pest").forEach(function (box) {
        const select = box.querySelector("select");
        if (!box.hidden && select.value !== "") pests.push({ pest: select.name.slice(5), severity: parseInt(select.value, 10) });
      });
      const visit = {
        client_uuid: f.client_uuid.value,
        farm: parseInt(f.farm.value, 10),
        visited_on: f.visited_on.value,
        purpose: f.purpose.value,
        practices_observed: Array.from(form.querySelectorAll("input[name=practices_observed]:checked"), function (b) { return b.value; }),
        pests: pests,
        estimated_yield_kg: f.estimated_yield_kg.value || null,
        recommendations: f.recommendations.value,
        follow_up_on: f.follow_up_on.value || null,
        latitude: f.latitude.value || null,
        longitude: f.longitude.value || null,
      };
      const photos = files.length ? files : (editing ? editing.photos || [] : []);
      return { errors: errors, visit: visit, photos: photos };
    }

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const result = collect();
      if (result.errors.length) { showErrors(result.errors); return; }
      const item = {
        client_uuid: result.visit.client_uuid,
        visit: result.visit,
        photos: result.photos,
        farm_label: farmBox.dataset.label || String(result.visit.farm),
        saved_at: editing ? editing.saved_at : Date.now(),
        status: "pending",
        error: "",
      };
      submit.disabled = true;
      try {
        await queue.put(item);
      } catch (error) {
        submit.disabled = false;
        showErrors([T.storageFailed]);
        return;
      }
      sessionStorage.setItem(FLASH_KEY, T.saved);
      location.href = FARMS_URL;
    });

    document.getElementById("use-location").addEventListener("click", function () {
      const output = document.getElementById("location-state");
      if (!navigator.geolocation) { output.textContent = T.locationDenied; return; }
      output.textContent = T.locating;
      navigator.geolocation.getCurrentPosition(function (position) {
        const lat = position.coords.latitude.toFixed(6);
        const lon = position.coords.longitude.toFixed(6);
        form.elements.latitude.value = lat;
        form.elements.longitude.value = lon;
        output.textContent = lat + ", " + lon + " (" + T.accuracy + " ± " + Math.round(position.coords.accuracy) + " m)";
      }, function () {
        output.textContent = T.locationDenied;
      }, { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 });
    });

    const visitedOn = form.elements.visited_on;
    visitedOn.max = todayIso();
    const queued = params.get("queued");
    if (queued) {
      queue.get(queued).then(function (item) {
        if (!item) return;
        editing = item;
        setFarm(String(item.visit.farm));
        fill(item);
      });
    } else {
      // The page may come from the cache: a new visit always gets a new UUID and today's date.
      form.elements.client_uuid.value = newUuid();
      if (!form.querySelector(".field-error")) visitedOn.value = todayIso();
    }
    setFarm(params.get("farm") || farmBox.dataset.farmId || "");
  }

  // -- start ------------------------------------------------------------------------------------------------

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(bar.dataset.swUrl, { scope: bar.dataset.scope }).catch(function () {});
  }
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});

  document.querySelectorAll("form[action*='logout']").forEach(function (logout) {
    logout.addEventListener("submit", function () {
      // The queue stays (visits are never dropped); the pages with members' data go.
      if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage("forget-pages");
      localStorage.removeItem(FARMS_KEY);
    });
  });

  const flash = sessionStorage.getItem(FLASH_KEY);
  if (flash) { sessionStorage.removeItem(FLASH_KEY); showMessage(flash, "success"); }

  document.getElementById("sync-now").addEventListener("click", sync);
  window.addEventListener("online", function () { showConnection(); sync(); });
  window.addEventListener("offline", showConnection);
  setInterval(sync, RETRY_MS);

  showConnection();
  initFarmList();
  initVisitForm();
  renderQueue().then(sync);
})();
