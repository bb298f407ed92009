// Signing in by phone: an owner adds their number to their account with a
// code texted to it, then signs in with a new code instead of a password.
// A number no account has added signs no one in and leaves nothing behind.
// The Auth emulator keeps the codes it "texts"; the test reads them there.
// Run like market.e2e.ts.
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { base, launch, phonePage, shots, signUp } from "./browser";

const run = Date.now().toString(36);
const emulator = process.env.FIREBASE_AUTH_EMULATOR_HOST;
const project = process.env.FIREBASE_PROJECT_ID ?? "demo-pushnchat";

let browser: Browser;

beforeAll(async () => {
  if (!emulator) throw new Error("FIREBASE_AUTH_EMULATOR_HOST is not set: run the browser tests through TestWebAppInARealBrowser");
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

// A Kenyan mobile number no earlier run has used.
function newNumber(): { typed: string; e164: string } {
  const digits = String(Date.now() % 1e8).padStart(8, "0");
  return { typed: `+254 7${digits.slice(0, 2)} ${digits.slice(2, 5)} ${digits.slice(5)}`, e164: `+2547${digits}` };
}

// textedCode is the last code the emulator sent to the number.
async function textedCode(e164: string): Promise<string> {
  const r = await fetch(`http://${emulator}/emulator/v1/projects/${project}/verificationCodes`);
  const { verificationCodes } = (await r.json()) as { verificationCodes: { phoneNumber: string; code: string }[] };
  const code = verificationCodes.filter((c) => c.phoneNumber === e164).at(-1)?.code;
  if (!code) throw new Error(`the emulator texted no code to ${e164}`);
  return code;
}

// accountsWith lists the Firebase accounts that sign in with the number.
async function accountsWith(e164: string): Promise<unknown[]> {
  const r = await fetch(`http://${emulator}/identitytoolkit.googleapis.com/v1/projects/${project}/accounts:lookup`, {
    method: "POST",
    headers: { Authorization: "Bearer owner", "Content-Type": "application/json" },
    body: JSON.stringify({ phoneNumber: [e164] }),
  });
  return ((await r.json()) as { users?: unknown[] }).users ?? [];
}

// textCode asks for a code on the screen in front of it and reads it.
async function textCode(page: Page, typed: string, e164: string): Promise<string> {
  await page.getByLabel("Phone number").fill(typed);
  await page.getByRole("button", { name: "Text me a code" }).click();
  await page.getByRole("status").getByText(`We texted a 6-digit code to ${e164}.`).waitFor();
  return textedCode(e164);
}

test("an owner adds their phone and signs in with a texted code", async () => {
  const page = await phonePage(browser);
  const slug = await signUp(page, "KE", "nairobi-1", `Phone Shop ${run}`);
  const { typed, e164 } = newNumber();

  await page.getByRole("link", { name: "Sign in by phone" }).click();
  await page.getByRole("heading", { name: "Sign in by phone" }).waitFor();
  const added = await textCode(page, typed, e164);
  await page.getByLabel("Code").fill(added);
  await page.getByRole("button", { name: "Add this number" }).click();
  await page.getByRole("status").getByText(`${e164} can sign you in with a texted code.`).waitFor();
  expect(await accountsWith(e164)).toHaveLength(1);

  await page.getByRole("link", { name: "Back to my businesses" }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((u) => u.pathname === "/");

  await page.goto(base + "/signin");
  await page.getByRole("button", { name: "Sign in with a code texted to your phone" }).click();
  const code = await textCode(page, typed, e164);
  // A wrong code is refused in words and the right one still works.
  await page.getByLabel("Code").fill(code === "000000" ? "111111" : "000000");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("alert").getByText("That code is not right; check the text message and try again.").waitFor();
  if (shots) await page.screenshot({ path: path.join(shots, "signin-phone-360.png"), fullPage: true });
  await page.getByLabel("Code").fill(code);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/app$/);
  await page.getByRole("list", { name: "My businesses" }).getByText(slug).waitFor();
  await page.getByText("home cell nairobi-1").waitFor();

  // The number can be taken off the account again.
  await page.getByRole("link", { name: "Sign in by phone" }).click();
  await page.getByRole("button", { name: "Remove this number" }).click();
  await page.getByRole("button", { name: "Text me a code" }).waitFor();
  expect(await accountsWith(e164)).toHaveLength(0);
});

test("a number no account has added signs no one in and is not kept", async () => {
  const page = await phonePage(browser);
  const { typed, e164 } = newNumber();
  await page.goto(base + "/signin");
  await page.getByRole("button", { name: "Sign in with a code texted to your phone" }).click();
  const code = await textCode(page, typed, e164);
  await page.getByLabel("Code").fill(code);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("alert").getByText("No account has added this phone number.", { exact: false }).waitFor();
  expect(await accountsWith(e164)).toHaveLength(0);
  expect((await page.request.get(base + "/v1/me")).status()).toBe(401);
});

test("a number without its country code is refused before anything is sent", async () => {
  const page = await phonePage(browser);
  await page.goto(base + "/signin");
  await page.getByRole("button", { name: "Sign in with a code texted to your phone" }).click();
  await page.getByLabel("Phone number").fill("0712 345 678");
  await page.getByRole("button", { name: "Text me a code" }).click();
  await page.getByRole("alert").getByText("That phone number does not look right: start with + and your country code.").waitFor();
  expect(await page.getByLabel("Code").count()).toBe(0);
});
