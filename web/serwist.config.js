// @ts-check
// Builds public/sw.js from src/sw.ts after `next build` (Serwist's
// configurator mode: it works with Turbopack).
import { serwist } from "@serwist/next/config";

export default serwist({
  swSrc: "src/sw.ts",
  swDest: "public/sw.js",
  // Only the icon is precached: a phone on 3G should not download the
  // whole app up front. Pages and scripts are cached as they are used; the
  // page that installs the worker hands it its own (ServiceWorker.tsx).
  globPatterns: ["public/**/*.svg"],
  precachePrerendered: false,
});
