// FieldVisit's service worker, served at /sw.js (scope "/") by fieldvisit/offline/routes.py.
// It keeps the static assets and the pages a verifier has opened (and today's visits, which
// the home page downloads) so that they open without a connection. Pages are network first:
// with a connection the server's page is shown and replaces the stored copy; without one the
// stored copy is shown. Saves are never handled here: static/outbox.js keeps them in
// IndexedDB and sends them itself, so a POST always goes to the network as it is.
"use strict";

var VERSION = "fv-2026-12-06-2";
var STATIC_CACHE = "fv-static-" + VERSION;
var PAGES_CACHE = "fv-pages"; // outbox.js reads and clears this one too
var ASSETS = ["/static/app.css", "/static/app.js", "/static/visits.js", "/static/outbox.js",
  "/static/htmx-2.0.11.min.js", "/static/favicon.svg", "/static/capture.js"];
var NEVER = /^\/(sw\.js|healthz|login|logout|api\/|hello)/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    // One by one: an asset that is missing must not stop the worker from installing.
    return Promise.all(ASSETS.map(function (url) {
      return cache.add(url).catch(function () { return null; });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("fv-static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function staticFirst(request) {
  // The stored copy at once, refreshed in the background for the next time.
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request, {ignoreSearch: true}).then(function (stored) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
      if (stored) {
        fresh.catch(function () { return null; });
        return stored;
      }
      return fresh;
    });
  });
}

function pageKey(url) {
  return url.origin + url.pathname + url.search;
}

function offlinePage() {
  var html = "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
    "<title>FieldVisit</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main id=\"main\">" +
    "<h1>Tidak ada koneksi</h1><p>Halaman ini belum tersimpan untuk dipakai tanpa koneksi.</p>" +
    "<p lang=\"en\">No connection: this page was not saved for offline use.</p>" +
    "<p><a class=\"button\" href=\"/\">Beranda / Home</a></p></main></body></html>";
  return new Response(html, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
}

function pageNetworkFirst(request) {
  var url = new URL(request.url);
  var key = pageKey(url);
  return fetch(request).then(function (response) {
    var type = response.headers.get("content-type") || "";
    var toLogin = response.redirected && new URL(response.url).pathname === "/login";
    if (response.ok && !toLogin && type.indexOf("text/html") === 0) {
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) { return cache.put(key, copy); });
    }
    return response;
  }, function () {
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.match(key, {ignoreVary: true});
    }).then(function (stored) { return stored || offlinePage(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(staticFirst(request));
    return;
  }
  if (NEVER.test(url.pathname) || request.headers.get("HX-Request")) { return; }
  if (request.mode === "navigate") {
    event.respondWith(pageNetworkFirst(request));
  }
});
