import { chromium, type Browser, type BrowserContext } from "playwright-core";

// Debian's Chromium, never a downloaded browser; the flags keep it off
// the network beyond the pages under test.
export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROME_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// A phone: 360 px wide, touch, as most of our users hold.
export function phone(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
}
