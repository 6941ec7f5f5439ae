// The phone page's service worker, served by the server at /p/sw.js (scope /p/).
// Network first, so a phone always gets the latest page and scripts when it can; when
// the venue Wi-Fi is gone, the copies kept in the cache open the page, and the page
// shows its last known agenda (kept in localStorage) until it reconnects by itself.
const CACHE = "matchboard-phone-v1";
// A personal link, /p/<event>.<secret>: its page holds the secret, so it is never kept.
// Offline it opens as /p/<event>, the same page without it (the token is in localStorage).
const PERSONAL_LINK = /^\/p\/([a-z0-9][a-z0-9-]*)\.[^/]+$/;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith("/p/") && !url.pathname.startsWith("/static/")) return;
  // The calendar feed (/p/<event>.<secret>/agenda.ics) carries the secret too, and is for
  // calendar apps: straight to the network, never kept.
  if (url.pathname.endsWith("/agenda.ics")) return;
  const personal = url.pathname.match(PERSONAL_LINK);
  const offline = personal ? new URL(`/p/${personal[1]}`, url).toString() : request;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && !personal) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      })
      .catch(() => caches.match(offline).then((hit) => hit || Response.error())),
  );
});
