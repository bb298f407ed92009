// An owner manages their team on a phone: changes a member's role,
// invites someone and takes the invitation back, removes a member. Each
// change is read back from the home cell. Run like market.e2e.ts.
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { base, launch, phonePage, shots, signIn } from "./browser";

const staff = "staff@us-1.demo.pushnchat.test";
const invitee = `new.person.${Date.now().toString(36)}@e2e.example.test`;

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launch();
  page = await phonePage(browser);
});

afterAll(async () => {
  await browser?.close();
});

test("an owner changes a member's role, and it holds", async () => {
  await signIn(page, base, "owner@us-1.demo.pushnchat.test", "pushnchat-demo");
  await page.waitForURL(/\/app$/);
  await page.getByRole("link", { name: "Team" }).click();
  await page.waitForURL(/\/app\/b\/lincoln-tools\/team$/);
  const members = page.getByRole("list", { name: "Members" });
  await members.getByText(staff).first().waitFor();
  const roleOf = page.getByLabel(`Role of ${staff}`);
  expect(await roleOf.inputValue()).toBe("member");
  // The change is saved before the page is read again (a reload would
  // abort a change still on its way).
  const saved = page.waitForResponse((r) => r.request().method() === "PATCH" && r.url().includes("/members/"));
  await roleOf.selectOption("viewer");
  expect((await saved).status()).toBe(200);
  await page.reload();
  await expect.poll(() => page.getByLabel(`Role of ${staff}`).inputValue()).toBe("viewer");
  if (shots) await page.screenshot({ path: path.join(shots, "team-360.png"), fullPage: true });
});

test("an invitation is made and taken back", async () => {
  await page.getByLabel("Email").fill(invitee);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Invite" }).click();
  const waiting = page.getByRole("list", { name: "Invitations" });
  await waiting.getByText(`${invitee} · viewer`).waitFor();
  await page.getByRole("button", { name: `Revoke the invitation of ${invitee}` }).click();
  await expect.poll(() => page.getByRole("listitem").filter({ hasText: invitee }).count()).toBe(0);
});

test("an invited person joins from the link, and is on the team", async () => {
  const joiner = `joiner.${Date.now().toString(36)}@e2e.example.test`;
  await page.getByLabel("Email").fill(joiner);
  await page.getByLabel("Role", { exact: true }).selectOption("member");
  await page.getByRole("button", { name: "Invite" }).click();
  await page.getByRole("status").filter({ hasText: `Send this link to ${joiner}` }).waitFor();
  const link = await page.getByLabel("Invitation link").inputValue();
  expect(new URL(link).search).toBe("");
  expect(new URL(link).hash.length).toBeGreaterThan(8); // the token, never sent to a server but the cell

  const other = await phonePage(browser);
  await other.goto(link);
  await other.getByRole("heading", { name: "Join lincoln-tools" }).waitFor();
  await other.getByLabel("Email").fill(joiner);
  await other.getByLabel("Password").fill("joiner-password");
  await other.getByRole("button", { name: "Join the team" }).click();
  const refused = other.locator("form").getByRole("alert");
  await Promise.race([
    other.waitForURL(/\/app$/),
    refused.waitFor().then(async () => {
      throw new Error(`joining was refused: ${await refused.innerText()}`);
    }),
  ]);
  await other.getByRole("list", { name: "My businesses" }).getByRole("listitem").filter({ hasText: "lincoln-tools" }).filter({ hasText: "member" }).waitFor();
  await page.reload();
  await page.getByRole("list", { name: "Members" }).getByText(joiner).first().waitFor();
});

test("a member is removed", async () => {
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: `Remove ${staff}` }).click();
  const members = page.getByRole("list", { name: "Members" }).getByRole("listitem");
  await expect.poll(() => members.filter({ hasText: staff }).count()).toBe(0);
  await page.reload();
  await members.filter({ hasText: "owner@us-1.demo.pushnchat.test" }).waitFor();
  expect(await members.filter({ hasText: staff }).count()).toBe(0);
});
