// Schouw service worker: precaches the app shell in a versioned cache and serves it
// cache-first. The API is never cached: IndexedDB is the source of truth.
// A new version waits until the page says the outbox is empty ("skip-waiting").

const VERSION = "2026-11-28.1";
const CACHE = `schouw-shell-${VERSION}`;
const SHELL = [
  "/",
  "/index.html",
  "/manifest.webmanifest",
  "/css/app.css",
  "/js/api.js",
  "/js/app.js",
  "/js/backoff.js",
  "/js/capture.js",
  "/js/checklist-logic.js",
  "/js/checklist.js",
  "/js/clientstate.js",
  "/js/eviction.js",
  "/js/handin.js",
  "/js/idb.js",
  "/js/items.js",
  "/js/login.js",
  "/js/model.js",
  "/js/newcase.js",
  "/js/onsite.js",
  "/js/ops.js",
  "/js/photometa.js",
  "/js/screens.js",
  "/js/store.js",
  "/js/sync.js",
  "/js/syncstore.js",
  "/js/thumbs.js",
  "/js/today.js",
  "/js/ui.js",
  "/js/upload.js",
  "/js/uuid.js",
  "/js/worklist.js",
  "/vendor/tus.min.js",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/maskable-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((u) => new Request(u, { cache: "reload" })))));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("schouw-shell-") && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/health") return; // network only
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const key = event.request.mode === "navigate" ? "/index.html" : url.pathname;
      const hit = await cache.match(key);
      if (hit) return hit;
      return fetch(event.request);
    })(),
  );
});

// Background Sync is an extra where the browser has it: wake an open page to sync.
self.addEventListener("sync", (event) => {
  if (event.tag !== "schouw-sync") return;
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((list) => {
      for (const c of list) c.postMessage({ type: "sync" });
    }),
  );
});
