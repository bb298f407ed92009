// The app on a phone that loses its connection: a page seen once opens
// again offline (the service worker), and a chat page reloaded offline
// still holds what was typed; back online, it is delivered once. Run like
// market.e2e.ts.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { base, launch, phone, signIn } from "./browser";

let browser: Browser;
let ctx: BrowserContext;
let page: Page;

beforeAll(async () => {
  if (!base) throw new Error("PUSHNCHAT_URL is not set: run the browser tests through TestWebAppInARealBrowser");
  browser = await launch();
  ctx = await phone(browser);
  page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
});

afterAll(async () => {
  await browser?.close();
});

// cached waits until the service worker holds the page at url.
async function cached(p: Page, url: string) {
  await p.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await expect.poll(() => p.evaluate((u) => caches.match(u).then((r) => r?.status ?? 0), url), { timeout: 20_000 }).toBe(200);
}

test("a market page seen once opens offline", async () => {
  await page.goto(base + "/m/KE");
  await page.getByRole("heading", { level: 1, name: "Kenya" }).waitFor();
  await cached(page, base + "/m/KE");
  await ctx.setOffline(true);
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Kenya" }).waitFor();
  await page.getByText("You are offline").waitFor();
  expect(await page.getByRole("list", { name: "Listings" }).getByRole("listitem").count()).toBeGreaterThan(0);
  await ctx.setOffline(false);
});

test("a chat reloaded offline keeps what was typed, and sends it once when back", async () => {
  const nonce = Date.now().toString(36);
  await signIn(page, base, "owner@eu-1.demo.pushnchat.test", "pushnchat-demo");
  await page.waitForURL(/\/app$/);
  await page.getByRole("link", { name: "Chats" }).click();
  const conversations = page.getByRole("list", { name: "Chats" }).getByRole("link");
  await conversations.first().click();
  await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
  const url = page.url();
  await page.getByRole("status").filter({ hasText: /^Live$/ }).waitFor();
  await cached(page, url);

  await ctx.setOffline(true);
  await page.getByRole("status").filter({ hasText: /^Offline/ }).waitFor();
  await page.getByLabel("Message", { exact: true }).fill(`Sent offline ${nonce}`);
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByLabel("Message", { exact: true }).fill(`Typed, not sent ${nonce}`);
  await page.reload();
  const messages = page.getByRole("list", { name: "Messages" }).getByRole("listitem");
  await messages.filter({ hasText: `Sent offline ${nonce}` }).filter({ hasText: "Waiting for the network" }).waitFor();
  expect(await page.getByLabel("Message", { exact: true }).inputValue()).toBe(`Typed, not sent ${nonce}`);

  await ctx.setOffline(false);
  await page.getByRole("status").filter({ hasText: /^Live$/ }).waitFor();
  await messages.filter({ hasText: `Sent offline ${nonce}` }).filter({ hasNotText: /Waiting|Sending/ }).waitFor();
  await page.reload();
  await messages.filter({ hasText: `Sent offline ${nonce}` }).first().waitFor();
  expect(await messages.filter({ hasText: `Sent offline ${nonce}` }).count()).toBe(1);
});

test("a message sent offline leaves by background sync once the phone is back, with the app closed", async () => {
  const nonce = Date.now().toString(36);
  const text = `Sent with the app closed ${nonce}`;
  const url = page.url(); // the conversation of the test above
  const staff = await (await phone(browser)).newPage();
  staff.setDefaultTimeout(20_000);
  await signIn(staff, base, "staff@eu-1.demo.pushnchat.test", "pushnchat-demo");
  await staff.waitForURL(/\/app$/);
  await staff.goto(url);
  await staff.getByRole("status").filter({ hasText: /^Live$/ }).waitFor();

  await ctx.setOffline(true);
  await page.getByRole("status").filter({ hasText: /^Offline/ }).waitFor();
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  // The worker holds a copy before the app is closed.
  await expect
    .poll(() => page.evaluate(async () => (await (await (await caches.open("pnc-outbox")).match("/__pnc/outbox"))?.json())?.entries?.length ?? 0))
    .toBe(1);
  await page.close();
  await ctx.setOffline(false);

  const received = staff.getByRole("list", { name: "Messages" }).getByRole("listitem").filter({ hasText: text });
  await received.waitFor();
  expect(await received.count()).toBe(1);

  // Opened again, the app sends its own copy with the same id: still once.
  page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(url);
  const mine = page.getByRole("list", { name: "Messages" }).getByRole("listitem").filter({ hasText: text });
  await mine.filter({ hasNotText: /Waiting|Sending/ }).waitFor();
  await expect.poll(() => page.evaluate(() => localStorage.getItem("pnc.outbox.v1"))).toBeNull();
  expect(await mine.count()).toBe(1);
  await staff.reload();
  await received.waitFor();
  expect(await received.count()).toBe(1);
});
