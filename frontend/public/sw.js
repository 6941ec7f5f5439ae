// The phone page's service worker, served by the server at /p/sw.js (scope /p/).
// Network first, so a phone always gets the latest page and scripts when it can; when
// the venue Wi-Fi is gone, the copies kept in the cache open the page, and the page
// shows its last known agenda (kept in localStorage) until it reconnects by itself.
const CACHE = "matchboard-phone-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith("/p/") && !url.pathname.startsWith("/static/")) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      })
      .catch(() => caches.match(request).then((hit) => hit || Response.error())),
  );
});
