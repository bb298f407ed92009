import type { NextConfig } from "next";

const config: NextConfig = {
  // The web tier is global: it never proxies the API (the router does,
  // on the same origin), and pages carry no private data (docs/adr/0005-web-residency.md).
  poweredByHeader: false,
  // server/index.mjs compresses (brotli or gzip) after rewriting each
  // page's head, so Next.js must hand it plain bytes.
  compress: false,
  reactStrictMode: true,
  // Ask browsers for the network's effective type on the next requests,
  // so the server can put the right photo variant in the page.
  async headers() {
    return [{ source: "/:path*", headers: [{ key: "Accept-CH", value: "ECT, Save-Data" }] }];
  },
};

export default config;
