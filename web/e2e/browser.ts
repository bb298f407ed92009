import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";

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
export function phone(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, ...options });
}

// The platform under test (the router: one origin for pages and API) and
// where screenshots go, from the Go test that runs these files.
export const base = process.env.PUSHNCHAT_URL ?? "";
export const shots = process.env.SCREENSHOTS;

// phonePage opens a page on a new phone, with waits bounded at 20 s.
export async function phonePage(browser: Browser): Promise<Page> {
  if (!base) throw new Error("PUSHNCHAT_URL is not set: run the browser tests through TestWebAppInARealBrowser");
  const page = await (await phone(browser)).newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

// signIn fills and sends the sign-in screen.
export async function signIn(page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(base + "/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}
