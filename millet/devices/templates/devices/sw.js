/* Millet devices' service worker (scope /devices/): keeps the app shell (styles, scripts, the devices
   list) so the installed app opens offline; pages are fetched fresh first, the event streams and
   every POST are never touched. */
const CACHE = "millet-devices-v1";
const SHELL = {{ shell|safe }};
const HOME = {{ home|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll([...SHELL, HOME])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.endsWith("/events")) return;
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  } else if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).then((response) => {
        if (url.pathname === HOME && response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(HOME, copy));
        }
        return response;
      }).catch(() => caches.match(HOME)),
    );
  }
});
