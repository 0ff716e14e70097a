/* Service worker of the field app (rendered by members.views.field.field_service_worker).
 *
 * - At installation it stores the app shell: "My farms", the visit form, the offline page, the manifest
 *   and the static files. Each version has its own cache; older ones are deleted on activation.
 * - Pages under the app's prefix: network first (so a connected phone always sees fresh data), kept in
 *   the cache when they load; without network, the cached copy. The visit form is one page for every
 *   farm (the query string is ignored); field.js fills in the farm.
 * - Static files of the shell: cache first.
 * - Everything else (the API, uploads, other pages) goes to the network untouched: visits saved
 *   offline wait in IndexedDB and are sent by field.js, never replayed from here.
 */
const VERSION = "{{ version }}";
const CACHE = "field-" + VERSION;
const SHELL = {{ shell_urls|safe }};
const STATIC = new Set({{ static_urls|safe }});
const PREFIX = {{ app_prefix|safe }};
const OFFLINE = {{ offline_url|safe }};
const VISIT = {{ visit_url|safe }};
const MANIFEST = {{ manifest_url|safe }};
const NETWORK_TIMEOUT_MS = 8000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { credentials: "same-origin", cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith("field-") && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  // Sent by field.js when the user logs out: the pages kept on the phone hold members' data.
  if (event.data === "forget-pages") {
    event.waitUntil(caches.keys().then((names) => Promise.all(names.filter((n) => n.startsWith("field-")).map((n) => caches.delete(n)))));
  }
});

function cacheKey(url) {
  // One copy of the visit form serves every farm.
  return url.pathname === VISIT ? new URL(VISIT, url.origin).href : url.href;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

async function networkFirst(request, url) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    // A redirect (to the login page) or an error page is shown but never kept.
    if (response.ok && !response.redirected && response.type === "basic") {
      await cache.put(cacheKey(url), response.clone());
    }
    return response;
  } catch (error) {
    const cached = (await cache.match(cacheKey(url))) || (await cache.match(url.href, { ignoreSearch: true }));
    if (cached) return cached;
    return (await cache.match(new URL(OFFLINE, url.origin).href)) || Response.error();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith(PREFIX) && !url.pathname.endsWith(".js")) {
    event.respondWith(networkFirst(request, url));
  } else if (STATIC.has(url.pathname) || url.pathname === MANIFEST) {
    event.respondWith(cacheFirst(request));
  }
});
