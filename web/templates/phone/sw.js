/* The phone app's service worker (web/pages/phone.py renders it): keeps the app shell so /m/ opens with no
 * network, and sends the queue when Background Sync says the network is back. Version {{ version }}. */
importScripts({{ url_for('static', filename='vendor/idb/umd.js')|tojson }}, {{ url_for('static', filename='phone/store.js')|tojson }}, {{ url_for('static', filename='phone/outbox.js')|tojson }});

const CACHE = "daiban-phone-{{ version }}";
const SHELL = {{ urls|tojson }};
const SCOPE = {{ url_for('phone.home')|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload", credentials: "same-origin" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("daiban-phone-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && SHELL.includes(url.pathname)) {
    // The network first (fresh words and pages), the kept shell when there is none.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && !response.redirected) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
          }
          return response;
        })
        .catch(() => caches.match(url.pathname).then((kept) => kept || caches.match(SCOPE)))
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((kept) => kept || fetch(request)));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === "daiban-outbox") event.waitUntil(self.PhoneOutbox.sendAll());
});
