// Two people of one business chat on their phones, each in their own
// browser: a conversation is started, messages and typing arrive live both
// ways, a read shows as seen. Then one phone goes offline, sends two
// messages, comes back: each arrives exactly once, in order, on both
// phones and after a reload. Run like market.e2e.ts.
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { base, launch, live, messages, phone, say, shots, signIn } from "./browser";

const slug = "thandi-crafts";
const owner = "owner@johannesburg-1.demo.pushnchat.test";
const staff = "staff@johannesburg-1.demo.pushnchat.test";
const nonce = Date.now().toString(36);

let browser: Browser;
let ownerCtx: BrowserContext;
let a: Page; // the owner
let b: Page; // the staff member

async function open(ctx: BrowserContext): Promise<Page> {
  const p = await ctx.newPage();
  p.setDefaultTimeout(20_000);
  return p;
}

beforeAll(async () => {
  if (!base) throw new Error("PUSHNCHAT_URL is not set: run the browser tests through TestWebAppInARealBrowser");
  browser = await launch();
  ownerCtx = await phone(browser);
  a = await open(ownerCtx);
  b = await open(await phone(browser));
});

afterAll(async () => {
  await browser?.close();
});

test("a chat is started, and messages, typing and reads arrive live both ways", async () => {
  await signIn(a, base, owner, "pushnchat-demo");
  await a.waitForURL(/\/app$/);
  await a.getByRole("link", { name: "Chats" }).click();
  await a.waitForURL(new RegExp(`/app/b/${slug}/chat$`));
  await a.getByLabel("Start a chat with").selectOption({ label: staff });
  await a.getByRole("button", { name: "Start chat" }).click();
  await a.waitForURL(new RegExp(`/app/b/${slug}/chat/[0-9a-f-]{36}$`));
  const conversation = a.url();

  await signIn(b, base, staff, "pushnchat-demo");
  await b.waitForURL(/\/app$/);
  await b.goto(conversation);
  await Promise.all([live(a), live(b)]);
  await b.getByRole("heading", { name: owner }).waitFor();

  await say(a, `Sawubona, the baskets are ready ${nonce}`);
  await messages(b).filter({ hasText: `Sawubona, the baskets are ready ${nonce}` }).waitFor();
  await a.getByText(/· Seen$/).waitFor(); // b has the page open: it read it

  await b.getByLabel("Message", { exact: true }).fill("I will");
  await a.getByText(`${staff} is typing…`).waitFor();
  await b.getByLabel("Message", { exact: true }).fill(`I will collect them at noon ${nonce}`);
  await b.getByRole("button", { name: "Send" }).click();
  await messages(a).filter({ hasText: `I will collect them at noon ${nonce}` }).waitFor();
  expect(await a.getByText(/is typing…/).count()).toBe(0); // what was typed has arrived
  if (shots) await a.screenshot({ path: path.join(shots, "chat-360.png"), fullPage: true });
});

test("two messages sent offline arrive once each, in order, when the phone is back", async () => {
  const one = `Offline one ${nonce}`;
  const two = `Offline two ${nonce}`;
  const after = `Back online ${nonce}`;
  await ownerCtx.setOffline(true);
  await a.getByRole("status").filter({ hasText: /^Offline/ }).waitFor();
  await say(a, one);
  await say(a, two);
  const waiting = messages(a).filter({ hasText: "Waiting for the network" });
  await expect.poll(() => waiting.count()).toBe(2);
  expect(await messages(b).filter({ hasText: one }).count()).toBe(0);
  if (shots) await a.screenshot({ path: path.join(shots, "chat-offline-360.png"), fullPage: true });

  await ownerCtx.setOffline(false);
  await live(a);
  await messages(b).filter({ hasText: two }).waitFor();
  await say(a, after);
  await messages(b).filter({ hasText: after }).waitFor();
  await messages(a).filter({ hasText: after }).filter({ hasNotText: "Sending…" }).waitFor();
  for (const p of [a, b]) {
    const texts = await messages(p).allInnerTexts();
    expect(texts.filter((t) => t.includes(one))).toHaveLength(1);
    expect(texts.filter((t) => t.includes(two))).toHaveLength(1);
    const order = [one, two, after].map((m) => texts.findIndex((t) => t.includes(m)));
    expect(order).toEqual([...order].sort((x, y) => x - y));
  }
  expect(await waiting.count()).toBe(0);

  await b.reload();
  await messages(b).filter({ hasText: after }).waitFor();
  const reloaded = await messages(b).allInnerTexts();
  expect(reloaded.filter((t) => t.includes(one))).toHaveLength(1);
  expect(reloaded.filter((t) => t.includes(two))).toHaveLength(1);
});
