// A business signs up on a phone: the country first, with where its data
// will live and why, then the business and its owner; the owner lands on
// their businesses, served by the home cell. Once from Nigeria, once from
// the US; a country the policy refuses cannot start. Run like
// market.e2e.ts.
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { base, launch, phonePage, shots, signIn, signUp } from "./browser";

const run = Date.now().toString(36);

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

function newPage(): Promise<Page> {
  return phonePage(browser);
}

test("a Nigerian business signs up and lives in lagos-1", async () => {
  const page = await newPage();
  await page.goto(base + "/signup");
  // Where the data would live, and why, in the reader's words.
  await page.getByLabel("Country of your business").selectOption("GH");
  await page.getByText("There is no cell in Ghana yet, so its businesses are kept in the nearest cell its law allows, lagos-1, and the transfer is recorded.").waitFor();
  await page.getByLabel("Country of your business").selectOption("NG");
  await page.getByText("Businesses from Nigeria are kept in lagos-1, inside the area whose data-protection law applies to them.").waitFor();
  await signUp(page, "NG", "lagos-1", `Lagos Shop ${run}`, "signup-360.png");
  if (shots) await page.screenshot({ path: path.join(shots, "my-businesses-360.png"), fullPage: true });

  // Signing out ends the web session: the businesses are no longer readable.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((u) => u.pathname === "/");
  const me = await page.request.get(base + "/v1/me");
  expect(me.status()).toBe(401);
});

test("a US business signs up and lives in us-1", async () => {
  await signUp(await newPage(), "US", "us-1", `Ohio Tools ${run}`);
});

test("a country the policy cannot serve yet cannot start", async () => {
  const page = await newPage();
  await page.goto(base + "/signup");
  await page.getByLabel("Country of your business").selectOption("RW");
  await page.getByText("We cannot sign up businesses from this country yet.").waitFor();
  await page.getByText(/authorisation/).waitFor();
  expect(await page.getByRole("button", { name: "Sign up" }).isDisabled()).toBe(true);
  expect(await page.getByLabel("Business name").isDisabled()).toBe(true);
});

test("a demo owner signs in and finds their business", async () => {
  const page = await newPage();
  await signIn(page, base, "owner@nairobi-1.demo.pushnchat.test", "pushnchat-demo");
  await page.waitForURL(/\/app$/);
  await page.getByRole("list", { name: "My businesses" }).getByText("wanjiru-foods").waitFor();
  await page.getByText("home cell nairobi-1").waitFor();
});

test("a wrong password is refused in words", async () => {
  const page = await newPage();
  await signIn(page, base, "owner@nairobi-1.demo.pushnchat.test", "not the password");
  await page.getByRole("alert").getByText("That email and password do not match an account.").waitFor();
});
