// The ticket page's service worker (served at /sw.js: its scope covers /ticket/). It shows the
// bridge's pushes as notifications: « C'est bientôt à vous », « présentez-vous au guichet 3 ».
// One notification per ticket (its tag): a newer one replaces the older.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// only the site's own ticket pages: a push names a path, never another site; the path is
// the site's, under the worker's scope (the site's root, behind a proxy's prefix too)
const page = (url) => (typeof url === "string" && url.startsWith("/ticket/") ? url : "/");

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { body: event.data ? event.data.text() : "" };
  }
  const called = data.kind === "called";
  event.waitUntil(self.registration.showNotification(data.title || "Suivant", {
    body: data.body || "",
    tag: data.tag || "suivant",
    renotify: true,  // the same tag again (a recall) still rings
    lang: "fr",
    requireInteraction: called,  // the call stays on screen until seen
    vibrate: called ? [500, 200, 500, 200, 500] : [200, 100, 200],
    data: { url: page(data.url) },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(`.${page(event.notification.data && event.notification.data.url)}`, self.registration.scope).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((w) => w.url.split("?")[0] === url);
    if (open) return open.focus();
    return self.clients.openWindow(url);
  })());
});
