"use client";

import { usePathname } from "next/navigation";
import { useEffect } from "react";

// keep asks the service worker to cache URLs as if they had passed
// through it (Serwist's CACHE_URLS message).
function keep(worker: ServiceWorker | null | undefined, urls: string[]) {
  worker?.postMessage({ type: "CACHE_URLS", payload: { urlsToCache: urls } });
}

// ServiceWorker installs the app's service worker once the page has
// loaded and the main thread is idle, so it never competes with the first
// paint, then hands it the page and the scripts this visit already
// fetched. Each page reached later inside the app is handed over too
// (those navigations fetch no HTML of their own), so every page seen
// opens again offline — unless the reader asked to save data.
export function ServiceWorker() {
  const pathname = usePathname();

  useEffect(() => {
    if (!("serviceWorker" in navigator)) return;
    const idle = window.requestIdleCallback ?? ((f: () => void) => setTimeout(f, 1));
    const start = () =>
      idle(() => {
        void navigator.serviceWorker
          .register("/sw.js", { scope: "/" })
          .then(() => navigator.serviceWorker.ready)
          .then((reg) => {
            const seen = performance
              .getEntriesByType("resource")
              .map((e) => e.name)
              .filter((u) => u.startsWith(`${location.origin}/_next/static/`));
            keep(reg.active, [location.href, ...seen]);
          })
          .catch(() => {
            // No worker (a private window, an old browser): the app works, online only.
          });
      });
    if (document.readyState === "complete") start();
    else window.addEventListener("load", start, { once: true });
  }, []);

  useEffect(() => {
    const saveData = (navigator as Navigator & { connection?: { saveData?: boolean } }).connection?.saveData;
    if (!saveData && "serviceWorker" in navigator) keep(navigator.serviceWorker.controller, [location.href]);
  }, [pathname]);

  return null;
}
