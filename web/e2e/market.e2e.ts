// A visitor browses a market on a phone, in Debian's Chromium, against the
// platform `make up` starts: the market page, search, a category, a
// listing. The Go test TestWebAppInARealBrowser runs it with PUSHNCHAT_URL (the
// router: one origin for pages and API) and SCREENSHOTS (where the 360 px
// screenshots go).
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { base, launch, phonePage, shots } from "./browser";


let browser: Browser;
let page: Page;
const failed: string[] = [];

beforeAll(async () => {
  browser = await launch();
  page = await phonePage(browser);
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/m/XX")) failed.push(`${r.status()} ${r.url()}`);
  });
});

afterAll(async () => {
  await browser?.close();
});

test("a market's listings, in its currency", async () => {
  await page.goto(base + "/");
  await page.getByRole("link", { name: /Nigeria/ }).click();
  await page.waitForURL(/\/m\/NG$/);
  await page.getByRole("heading", { level: 1, name: "Nigeria" }).waitFor();
  const cards = page.getByRole("list", { name: "Listings" }).getByRole("listitem");
  expect(await cards.count()).toBeGreaterThanOrEqual(3);
  expect(await page.locator("main").innerText()).toMatch(/₦15,000/);
  if (shots) await page.screenshot({ path: path.join(shots, "market-360.png"), fullPage: true });
});

test("search with the cell's full-text search, then a category", async () => {
  await page.getByRole("searchbox", { name: /Search listings/ }).fill("basket");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/q=basket/);
  const cards = page.getByRole("list", { name: "Listings" }).getByRole("listitem");
  await cards.first().getByText("Woven market basket, large").waitFor();
  expect(await cards.count()).toBe(1);

  await page.getByRole("link", { name: "Beauty", exact: true }).click();
  await page.waitForURL(/category=beauty/);
  await page.getByText(/No listings match “basket” in Beauty/).waitFor();
  await page.getByRole("link", { name: "All", exact: true }).click();
  await page.waitForURL((u) => !u.search.includes("category"));
  await cards.first().waitFor();
});

test("a listing, rendered from its market's home cell", async () => {
  await page.getByRole("list", { name: "Listings" }).getByRole("link").first().click();
  await page.getByRole("heading", { level: 1, name: "Woven market basket, large" }).waitFor();
  expect(await page.locator("main").innerText()).toMatch(/₦6,000/);
  if (shots) await page.screenshot({ path: path.join(shots, "listing-360.png"), fullPage: true });
});

test("a market the app does not offer is a 404 page", async () => {
  const resp = await page.goto(base + "/m/XX");
  expect(resp?.status()).toBe(404);
  await page.getByRole("heading", { name: "Not found" }).waitFor();
});

test("the app can be installed, and says when the phone is offline", async () => {
  const manifest = await page.request.get(base + "/manifest.webmanifest");
  expect(manifest.status()).toBe(200);
  expect(await manifest.json()).toMatchObject({ name: "PushNchat", display: "standalone", start_url: "/app" });
  expect((await page.request.get(base + "/icon.svg")).status()).toBe(200);

  await page.goto(base + "/m/NG");
  const banner = page.getByRole("status").getByText("You are offline");
  expect(await banner.count()).toBe(0);
  await page.context().setOffline(true);
  await banner.waitFor();
  await page.context().setOffline(false);
  await banner.waitFor({ state: "detached" });
});

test("no request of the pages failed", () => {
  expect(failed).toEqual([]);
});
