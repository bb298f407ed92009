// A reader switches the app's language: Arabic lays the page out right to
// left, with its own words, plurals and numbers; the browser's language
// is the default until the reader chooses. Run like market.e2e.ts.
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { base, launch, phone, phonePage, shots } from "./browser";

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launch();
  page = await phonePage(browser);
});

afterAll(async () => {
  await browser?.close();
});

const box = async (p: Page, name: string) => (await p.getByRole("link", { name, exact: true }).boundingBox())!;

test("Arabic reads right to left, in Arabic", async () => {
  await page.goto(base + "/m/NG");
  await page.getByRole("heading", { level: 1, name: "Nigeria" }).waitFor();
  expect(await page.locator("html").getAttribute("dir")).toBe("ltr");
  const brandLtr = await box(page, "PushNchat");
  const mineLtr = await box(page, "My businesses");
  expect(brandLtr.x).toBeLessThan(mineLtr.x);

  await Promise.all([page.waitForEvent("load"), page.getByLabel("Language").selectOption("ar")]);
  await page.getByRole("heading", { level: 1, name: "نيجيريا" }).waitFor();
  expect(await page.locator("html").getAttribute("dir")).toBe("rtl");
  expect(await page.locator("html").getAttribute("lang")).toBe("ar");
  // The brand now starts the bar on the right, the links follow leftwards.
  const brand = await box(page, "PushNchat");
  const mine = await box(page, "أعمالي");
  expect(brand.x).toBeGreaterThan(mine.x);
  await page.getByRole("searchbox", { name: "ابحث في إعلانات سوق نيجيريا" }).waitFor();
  await page.getByRole("navigation", { name: "الفئات" }).getByRole("link", { name: "الأقمشة" }).waitFor();
  const price = await page.getByRole("list", { name: "الإعلانات" }).getByRole("listitem").first().innerText();
  expect(price).toMatch(/₦|NGN/);
  if (shots) await page.screenshot({ path: path.join(shots, "market-ar-360.png"), fullPage: true });

  // The choice holds across pages until changed, the forms included.
  await page.goto(base + "/signup");
  await page.getByRole("heading", { level: 1, name: "سجّل نشاطك التجاري" }).waitFor();
  await page.getByLabel("بلد نشاطك التجاري").selectOption("KE");
  // A cell's name is a left-to-right island in the sentence (a bidi isolate).
  await page.getByText("ستُحفظ بيانات نشاطك التجاري في \u2068nairobi-1\u2069.").waitFor();
  await page.getByText(/^تُحفظ بيانات الأنشطة التجارية من كينيا في \u2068nairobi-1\u2069،/).waitFor(); // the reason too, in Arabic
  if (shots) await page.screenshot({ path: path.join(shots, "signup-ar-360.png"), fullPage: true });
  await page.goto(base + "/");
  await page.getByRole("heading", { level: 1, name: "اختر سوقًا" }).waitFor();
  await Promise.all([page.waitForEvent("load"), page.getByLabel("اللغة").selectOption("sw")]);
  await page.getByRole("heading", { level: 1, name: "Chagua soko" }).waitFor();
  expect(await page.locator("html").getAttribute("dir")).toBe("ltr");
});

test("the browser's language is the default", async () => {
  const ctx = await phone(browser, { locale: "fr-FR" });
  const p = await ctx.newPage();
  p.setDefaultTimeout(20_000);
  await p.goto(base + "/");
  await p.getByRole("heading", { level: 1, name: "Choisissez un marché" }).waitFor();
  await p.getByRole("link", { name: /Afrique du Sud/ }).waitFor(); // country names from the locale data
  await ctx.close();
});
