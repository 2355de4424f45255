/* Jiefen's service worker: the app opens in a dead spot.
 * - the shell (outbox page, styles, scripts, icons) is cached at install;
 * - pages: network first; the last copy seen is kept and shown when there is no connection,
 *   else the outbox page (待发送), which works offline;
 * - static files: cache first (the cache name changes whenever a static file changes).
 * Submissions are never cached or replayed here: field/app.js keeps drafts in IndexedDB and sends
 * them itself, so the user sees each one's fate. Log-out clears every cache (field/app.js).
 * Served by app/field/routes.py, which fills in the version and the shell list.
 */
const CACHE = "jiefen-__VERSION__";
const SHELL = [__SHELL__];
const OUTBOX = SHELL[0];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  // A logged-in page asks to keep the field pages (my tasks, new report) for a dead spot.
  if (event.data && event.data.type === "warm" && Array.isArray(event.data.urls)) {
    event.waitUntil(caches.open(CACHE).then((cache) => Promise.all(event.data.urls.map((url) =>
      fetch(url, { credentials: "same-origin" }).then((response) => {
        if (response.ok && !response.redirected) return cache.put(url, response);
        return undefined;
      }).catch(() => undefined)))));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((response) => {
      if (response.ok) caches.open(CACHE).then((cache) => cache.put(request, response.clone()));
      return response;
    })));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.match(request, { ignoreSearch: false })
      .then((hit) => hit || caches.match(OUTBOX))));
  }
});
