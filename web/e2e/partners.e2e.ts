// A business looks for partners in several markets at once: the search
// page asks every chosen market (each through its own cell) and lists
// their listings together. Run like market.e2e.ts.
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { base, launch, phonePage, shots } from "./browser";

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

test("listings from Nigeria and Kenya come back together", async () => {
  const page = await phonePage(browser);
  await page.goto(base + "/");
  await page.getByRole("link", { name: "Find partners in several markets" }).click();
  await page.getByRole("heading", { name: "Find partners" }).waitFor();
  await page.getByLabel("Nigeria").check();
  await page.getByLabel("Kenya").check();
  await page.getByRole("button", { name: "Search" }).click();
  const results = page.getByRole("list", { name: "Listings" });
  await results.waitFor();
  const hrefs = await results.getByRole("link").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
  expect(hrefs.some((h) => h.startsWith("/m/NG/l/")), hrefs.join()).toBe(true);
  expect(hrefs.some((h) => h.startsWith("/m/KE/l/")), hrefs.join()).toBe(true);
  await results.getByText("· Kenya").first().waitFor();
  if (shots) await page.screenshot({ path: path.join(shots, "partners-360.png"), fullPage: true });

  // Words no listing has: said in words, and the choice of markets kept.
  await page.getByLabel("Words").fill("zzqqxx");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("No listings match in these markets yet.").waitFor();
  expect(await page.getByLabel("Kenya").isChecked()).toBe(true);
});

test("a search needs a market", async () => {
  const page = await phonePage(browser);
  await page.goto(base + "/partners?q=shea");
  await page.getByRole("alert").getByText("Choose at least one market.").waitFor();
});
