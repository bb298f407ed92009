// One Lighthouse run of one page in Debian's Chromium, mobile emulation,
// simulated throttling; prints the metrics the web bench records as JSON.
// usage: node lh.mjs <url> <3g|4g>
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const [url, profile] = process.argv.slice(2);
if (!url || !["3g", "4g"].includes(profile)) {
  console.error("usage: node lh.mjs <url> <3g|4g>");
  process.exit(2);
}

// 3G as the issue defines it (RTT 300 ms, 700 Kbps, 4x CPU); 4G is
// Lighthouse's default mobile throttling (RTT 150 ms, 1.6 Mbps, 4x CPU).
const throttling =
  profile === "3g"
    ? { rttMs: 300, throughputKbps: 700, cpuSlowdownMultiplier: 4, requestLatencyMs: 300 * 3.75, downloadThroughputKbps: 700 * 0.9, uploadThroughputKbps: 700 * 0.9 }
    : { rttMs: 150, throughputKbps: 1638.4, cpuSlowdownMultiplier: 4, requestLatencyMs: 150 * 3.75, downloadThroughputKbps: 1474.5600000000002, uploadThroughputKbps: 675 };

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH ?? "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const result = await lighthouse(
    url,
    { port: chrome.port, output: "json", logLevel: "error", onlyCategories: ["performance", "accessibility"] },
    {
      extends: "lighthouse:default",
      settings: {
        formFactor: "mobile",
        screenEmulation: { mobile: true, width: 360, height: 640, deviceScaleFactor: 2.625, disabled: false },
        throttlingMethod: "simulate",
        throttling,
        // A page behind sign-in is loaded with the web session's cookies.
        ...(process.env.LH_COOKIE ? { extraHeaders: { Cookie: process.env.LH_COOKIE } } : {}),
      },
    },
  );
  const lhr = result.lhr;
  if (lhr.runtimeError) throw new Error(`${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
  const a = lhr.audits;
  console.log(
    JSON.stringify({
      lcp_ms: a["largest-contentful-paint"].numericValue,
      tbt_ms: a["total-blocking-time"].numericValue,
      cls: a["cumulative-layout-shift"].numericValue,
      tti_ms: a["interactive"].numericValue,
      fcp_ms: a["first-contentful-paint"].numericValue,
      transfer_kb: a["total-byte-weight"].numericValue / 1024,
      accessibility: lhr.categories.accessibility.score * 100,
      performance: lhr.categories.performance.score * 100,
    }),
  );
} finally {
  await chrome.kill();
}
