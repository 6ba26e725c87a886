// eCitizen service worker: an offline page, and a "my applications" shell shown offline.
//
// Privacy: personal pages are never stored. Only the offline pages (fetched without
// cookies, so they hold nobody's data) and the platform's own static files are cached.
"use strict";

const VERSION = "ecitizen-v1";
const OFFLINE_URL = "/offline/";
const APPLICATIONS_SHELL_URL = "/offline/applications/";
const PRECACHE = [OFFLINE_URL, APPLICATIONS_SHELL_URL];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(VERSION).then(function (cache) {
      return Promise.all(
        PRECACHE.map(function (url) {
          return fetch(url, { credentials: "omit", cache: "reload" }).then(function (response) {
            if (response.ok) {
              return cache.put(url, response);
            }
            return undefined;
          });
        })
      );
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(
        names.filter(function (name) {
          return name !== VERSION;
        }).map(function (name) {
          return caches.delete(name);
        })
      );
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function isStatic(url) {
  return url.origin === self.location.origin && url.pathname.indexOf("/static/") === 0;
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    // Network first; offline, the applications shell or the offline page.
    event.respondWith(
      fetch(request).catch(function () {
        const fallback = url.pathname.indexOf("/applications/") === 0
          ? APPLICATIONS_SHELL_URL
          : OFFLINE_URL;
        return caches.match(fallback).then(function (cached) {
          return cached || Response.error();
        });
      })
    );
    return;
  }
  if (isStatic(url)) {
    // Static files: cache first (their names change when they do), so slow connections
    // load pages quickly.
    event.respondWith(
      caches.match(request).then(function (cached) {
        if (cached) {
          return cached;
        }
        return fetch(request).then(function (response) {
          if (response.ok) {
            const copy = response.clone();
            caches.open(VERSION).then(function (cache) {
              cache.put(request, copy);
            });
          }
          return response;
        });
      })
    );
  }
});
