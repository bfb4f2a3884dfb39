/* Journey scanner service worker (cache {{ version }}): the scanner pages, their scripts and
   the vendored libraries come from the cache when there is no network. Pages are fetched
   from the network first (they carry the signed-in state); the files from the cache. API
   calls are never cached. */
"use strict";
var CACHE = "journey-scanner-{{ version }}";
var ASSETS = {{ assets | tojson }};
var SCOPE = {{ scope | tojson }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("journey-scanner-") === 0 && n !== CACHE;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function isScannerPage(url) {
  // /checkin and /checkin/<slug>; not the API, the manifest or this file
  var rest = url.pathname.slice(SCOPE.length);
  return url.pathname === SCOPE || /^\/[^/]+$/.test(rest) && rest !== "/sw.js";
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(request, { ignoreSearch: true }).then(function (hit) {
      return hit || fetch(request);
    }));
    return;
  }
  if (request.mode === "navigate" && isScannerPage(url)) {
    var key = url.origin + url.pathname; // one copy per page, whatever its query string
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
      }
      return response;
    }, function () {
      return caches.match(key).then(function (hit) {
        return hit || new Response(
          "<!doctype html><meta name=viewport content='width=device-width'><title>No signal</title>" +
          "<p style='font:1.2rem system-ui;padding:1rem'>No signal, and this scanner page has not " +
          "been opened on this phone before. Open it once where there is signal.</p>",
          { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    }));
  }
});
