import path from "node:path";
import { expect } from "vitest";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from "playwright-core";

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
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

// signUp signs a new business up from the sign-up screen, checks its owner
// lands on it in its home cell, and returns its address; shot names a
// screenshot of the filled form.
export async function signUp(page: Page, country: string, cell: string, name: string, shot?: string) {
  await page.goto(base + "/signup");
  await page.getByLabel("Country of your business").selectOption(country);
  const where = page.getByRole("region", { name: "Where your data lives" });
  await where.getByText(`Your business’s data will live in ${cell}.`).waitFor();
  await page.getByLabel("Business name").fill(name);
  const slug = await page.getByLabel("Web address").inputValue();
  expect(slug).toMatch(/^[a-z0-9-]{3,40}$/);
  await page.getByLabel("Your name").fill("Owner " + country);
  await page.getByLabel("Email").fill(`${slug}@e2e.example.test`);
  await page.getByLabel("Password").fill("a long password 1");
  if (shot && shots) await page.screenshot({ path: path.join(shots, shot), fullPage: true });
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(/\/app\?/);
  await page.getByRole("status").getByText(`is signed up; its data lives in ${cell}`).waitFor();
  const mine = page.getByRole("list", { name: "My businesses" });
  await mine.getByText(slug).waitFor();
  await mine.getByText("owner").waitFor();
  await page.getByText(`home cell ${cell}`).waitFor();
  return slug;
}

// photoLoaded waits, at most 10 s, until an image has arrived and decoded:
// being in the page (visible, sized) says nothing about its bytes.
export async function photoLoaded(img: Locator): Promise<void> {
  await img.waitFor();
  await expect
    .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), { timeout: 10_000, message: "the photo did not load within 10 s" })
    .toBe(true);
}

// The chat screen, as the chat tests use it: its messages, waiting until
// the connection is live, and sending a message.
export const messages = (p: Page) => p.getByRole("list", { name: "Messages" }).getByRole("listitem");
export const live = (p: Page) => p.getByRole("status").filter({ hasText: /^Live$/ }).waitFor();

export async function say(p: Page, text: string): Promise<void> {
  await p.getByLabel("Message", { exact: true }).fill(text);
  await p.getByRole("button", { name: "Send" }).click();
}
