// A business owner creates a listing on a phone: details, a reload in the
// middle (nothing typed is lost), photos downscaled on the phone,
// publish; then a buyer finds it by search and sees the photo. Run like
// market.e2e.ts.
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { base, launch, phonePage, photoLoaded, shots, signIn } from "./browser";

const word = "zebrawood" + Date.now().toString(36).replace(/[0-9]/g, "");
const title = `Carved ${word} stool`;

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launch();
  page = await phonePage(browser);
});

afterAll(async () => {
  await browser?.close();
});

// A camera photo: 3000x2000 pixels, made in the page.
async function cameraPhoto(p: Page): Promise<Buffer> {
  const b64 = await p.evaluate(async () => {
    const c = document.createElement("canvas");
    c.width = 3000;
    c.height = 2000;
    const ctx = c.getContext("2d")!;
    for (let i = 0; i < 60; i++) {
      ctx.fillStyle = `hsl(${i * 6}, 70%, ${30 + (i % 5) * 10}%)`;
      ctx.fillRect((i * 97) % 3000, (i * 53) % 2000, 400, 300);
    }
    const blob = await new Promise<Blob>((r) => c.toBlob((b) => r(b!), "image/png"));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = "";
    for (const x of bytes) s += String.fromCharCode(x);
    return btoa(s);
  });
  return Buffer.from(b64, "base64");
}

test("an owner creates a listing, with photos, and publishes it", async () => {
  await signIn(page, base, "owner@lagos-1.demo.pushnchat.test", "pushnchat-demo");
  await page.waitForURL(/\/app$/);
  await page.getByRole("link", { name: "New listing" }).click();
  await page.waitForURL(/\/app\/b\/ada-fabrics\/new$/);

  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Category").selectOption("furniture");
  await page.getByLabel("Price (NGN)").fill("25,000");
  // Nothing typed is lost to a reload.
  await page.reload();
  await expect.poll(() => page.getByLabel("Title").inputValue()).toBe(title);
  expect(await page.getByLabel("Price (NGN)").inputValue()).toBe("25,000");
  await page.getByLabel("Town or city").fill("Ibadan");
  await page.getByLabel("Description (optional)").fill("Hand-carved, one piece.");
  if (shots) await page.screenshot({ path: path.join(shots, "new-listing-360.png"), fullPage: true });
  await page.getByRole("button", { name: "Next: photo" }).click();

  // Three photos chosen at once, one taken away again.
  const original = await cameraPhoto(page);
  const chosen = page.getByRole("list", { name: "Photos" }).getByRole("img", { name: "The photo to send" });
  await page.getByLabel("Photos (optional)").setInputFiles(
    ["a", "b", "c"].map((n) => ({ name: `camera-${n}.png`, mimeType: "image/png", buffer: original })),
  );
  await expect.poll(() => chosen.count()).toBe(3);
  await page.getByRole("button", { name: "Remove photo 2" }).click();
  await expect.poll(() => chosen.count()).toBe(2);
  // The chosen photos, downscaled, survive a reload too.
  await page.reload();
  await expect.poll(() => chosen.count()).toBe(2);
  for (const img of await chosen.all()) await photoLoaded(img);
  await page.getByRole("button", { name: "Next: review" }).click();
  await page.getByText("₦25,000").waitFor();
  await page.getByText("2 photos").waitFor();

  const uploads: number[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith("/photos")) uploads.push(r.postDataBuffer()?.length ?? 0);
  });
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByRole("status").getByText("is live in the market").waitFor();
  expect(uploads).toHaveLength(2);
  for (const size of uploads) expect(size).toBeLessThan(original.length); // downscaled on the phone
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("pnc:draft:")))).toEqual([]);
  expect(await page.evaluate(async () => (await (await caches.open("pnc-drafts")).keys()).length)).toBe(0);

  // A buyer finds it by search, with its photo.
  await page.getByRole("link", { name: "See it as buyers do" }).click();
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
  await photoLoaded(page.getByRole("img", { name: title }));
  await page.goto(base + "/m/NG?q=" + word);
  const cards = page.getByRole("list", { name: "Listings" }).getByRole("listitem");
  await cards.first().getByText(title).waitFor();
  expect(await cards.count()).toBe(1);
});

test("the owner changes the price, kept across a reload until saved, and buyers see it", async () => {
  await page.goto(base + "/app");
  await page.getByRole("list", { name: "My businesses" }).getByRole("link", { name: "Listings" }).first().click();
  await page.waitForURL(/\/app\/b\/ada-fabrics\/listings$/);
  await page.getByRole("list", { name: "Listings" }).getByRole("link", { name: new RegExp(title) }).click();
  await expect.poll(() => page.getByLabel("Price (NGN)").inputValue()).toBe("25000");
  await page.getByLabel("Price (NGN)").fill("27500");
  await page.reload();
  await expect.poll(() => page.getByLabel("Price (NGN)").inputValue()).toBe("27500");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("status").getByText("Saved.").waitFor();
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("pnc:draft:edit:")))).toEqual([]);
  // A third photo, then the first one taken away.
  const photos = page.getByRole("list", { name: "Photos" }).getByRole("listitem");
  await expect.poll(() => photos.count()).toBe(2);
  await page.getByLabel("Add a photo").setInputFiles({ name: "third.png", mimeType: "image/png", buffer: await cameraPhoto(page) });
  await expect.poll(() => photos.count()).toBe(3);
  await page.getByRole("button", { name: "Remove photo 1" }).click();
  await expect.poll(() => photos.count()).toBe(2);
  await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header stays on top of the picture
  if (shots) await page.screenshot({ path: path.join(shots, "edit-listing-360.png"), fullPage: true });
  await page.getByRole("link", { name: "See it as buyers do" }).click();
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
  expect(await page.locator("main").innerText()).toMatch(/₦27,500/);
});


test("a listing published with no connection goes live by background sync, with the app closed", async () => {
  const later = "teak" + Date.now().toString(36).replace(/[0-9]/g, "");
  const ctx = page.context();
  await page.goto(base + "/app/b/ada-fabrics/new");
  await page.getByLabel("Title").fill(`Offline ${later} bench`);
  await page.getByLabel("Category").selectOption("furniture");
  await page.getByLabel("Price (NGN)").fill("9,000");
  await page.getByLabel("Town or city").fill("Ibadan");
  await page.getByRole("button", { name: "Next: photo" }).click();
  await page.getByLabel("Photos (optional)").setInputFiles({ name: "bench.png", mimeType: "image/png", buffer: await cameraPhoto(page) });
  await page.getByRole("list", { name: "Photos" }).getByRole("img").waitFor();
  await page.getByRole("button", { name: "Next: review" }).click();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));

  await ctx.setOffline(true);
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByRole("status").getByText("it will be published as soon as the phone is back online").waitFor();
  await page.close();
  await ctx.setOffline(false);

  // The worker publishes it: once, in the market.
  const found = async () => ((await (await fetch(`${base}/v1/markets/NG/listings?q=${later}`)).json()) as { items?: unknown[] }).items?.length ?? 0;
  await expect.poll(found, { timeout: 30_000 }).toBe(1);

  // Opened again, the app says it is live, with its photo, and the draft is gone.
  page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(base + "/app/b/ada-fabrics/new");
  await page.getByRole("status").getByText("is live in the market").waitFor();
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("pnc:draft:listing:")))).toEqual([]);
  await page.getByRole("link", { name: "See it as buyers do" }).click();
  await photoLoaded(page.getByRole("img", { name: `Offline ${later} bench` }));
  expect(await found()).toBe(1);
});
