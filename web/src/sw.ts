/// <reference lib="webworker" />
// The service worker: the app's pages and scripts stay on the phone as
// they are used, so a page seen once opens again offline. The API is never
// cached here: what is private stays between the browser and its home
// cell, and what is typed offline waits in the app's own outbox and
// drafts, which the worker sends by background sync (worker/outbox.ts,
// worker/listings.ts; docs/web.md).
import { defaultCache } from "@serwist/next/worker";
import { listenForListings } from "./worker/listings";
import { listenForOutbox } from "./worker/outbox";
import { NetworkOnly, Serwist, StaleWhileRevalidate, ExpirationPlugin, type PrecacheEntry, type SerwistGlobalConfig } from "serwist";

declare global {
  interface WorkerGlobalScope extends SerwistGlobalConfig {
    __SW_MANIFEST: (PrecacheEntry | string)[] | undefined;
  }
}

declare const self: ServiceWorkerGlobalScope;

const serwist = new Serwist({
  precacheEntries: self.__SW_MANIFEST,
  skipWaiting: true,
  clientsClaim: true,
  navigationPreload: true,
  runtimeCaching: [
    {
      // Public listing photos: immutable per id, worth keeping for a week.
      matcher: ({ url, sameOrigin }) => sameOrigin && /^\/v1\/markets\/[A-Z]{2}\/media\//.test(url.pathname),
      handler: new StaleWhileRevalidate({ cacheName: "market-photos", plugins: [new ExpirationPlugin({ maxEntries: 200, maxAgeSeconds: 7 * 24 * 60 * 60 })] }),
    },
    { matcher: ({ url, sameOrigin }) => sameOrigin && (url.pathname === "/v1" || url.pathname.startsWith("/v1/")), handler: new NetworkOnly() },
    ...defaultCache,
  ],
});

serwist.addEventListeners();
listenForOutbox();
listenForListings();
