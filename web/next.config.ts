import type { NextConfig } from "next";

const config: NextConfig = {
  // The web tier is global: it never proxies the API (the router does,
  // on the same origin), and pages carry no private data (docs/adr/0005-web-residency.md).
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
