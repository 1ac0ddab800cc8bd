// Service worker of the phone's visit app (served at /review/visits/sw.js, scope /review/visits/).
//
// It only answers from its cache: the app shell and its static files, put there by
// the page (static/js/visits/app.js) while online and logged in. Everything else
// (session, download, sync) is not touched here and goes to the network from the
// page itself, so an offline phone makes no request the person did not ask for.
const CACHE = "kanjia-visits-shell-v2";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // Only the app page and static files; the JSON endpoints are left to the page.
  const scope = new URL(self.registration.scope).pathname;
  if (!(url.pathname === scope || url.pathname.startsWith("/static/"))) return;
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(request, { ignoreSearch: request.mode === "navigate", ignoreVary: true }).then((found) => {
        if (found) return found;
        // Not in the cache: the network, as without a service worker.
        return fetch(request);
      }),
    ),
  );
});
