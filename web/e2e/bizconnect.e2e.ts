// A Lagos business and a US business become partners and chat live, each
// on its own phone and in its own cell: the Lagos owner finds the US
// business in partner search, proposes (switching to the Africa–US tier
// when asked), the US owner accepts, and their messages cross the border
// through the broker — the Lagos owner's first one only after they allow
// their messages to go to the US. Run like market.e2e.ts.
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { base, launch, live, messages, phone, say, shots, signIn, signUp } from "./browser";

const usSlug = "lincoln-tools";
const usOwner = "owner@us-1.demo.pushnchat.test";
const nonce = Date.now().toString(36);

let browser: Browser;

async function open(): Promise<Page> {
  const p = await (await phone(browser)).newPage();
  p.setDefaultTimeout(20_000);
  return p;
}

beforeAll(async () => {
  if (!base) throw new Error("PUSHNCHAT_URL is not set: run the browser tests through TestWebAppInARealBrowser");
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

test("a Lagos business and a US business become partners and chat live", async () => {
  const ng = await open();
  const name = `Adire House ${nonce}`;
  const ngSlug = await signUp(ng, "NG", "lagos-1", name);

  // Partner search finds the US business; the proposal goes from Lagos.
  await ng.goto(base + "/partners?m=US&q=basket");
  await ng.getByRole("link", { name: `Propose a partnership to ${usSlug}` }).first().click();
  await ng.getByRole("heading", { name: `Propose a partnership to ${usSlug}` }).waitFor();
  await ng.getByLabel("Note to the partner").fill("Indigo adire for your stores?");
  await ng.getByRole("button", { name: "Send the proposal" }).click();
  await ng.getByRole("alert").getByText("Partnering outside Africa needs the Africa–US tier.").waitFor();
  if (shots) await ng.screenshot({ path: path.join(shots, "propose-tier-360.png"), fullPage: true });
  await ng.getByRole("button", { name: "Switch to the Africa–US tier and send" }).click();
  await ng.waitForURL(`**/app/b/${ngSlug}/partners`);
  const mine = ng.getByRole("list", { name: "Partnerships" }).getByRole("listitem").filter({ hasText: `Proposed to Demo business of us-1` });
  await mine.getByText("Waiting for an answer").waitFor();

  // The US owner, in us-1, answers.
  const us = await open();
  await signIn(us, base, usOwner, "pushnchat-demo");
  await us.waitForURL(/\/app/);
  await us.goto(`${base}/app/b/${usSlug}/partners`);
  const theirs = us.getByRole("list", { name: "Partnerships" }).getByRole("listitem").filter({ hasText: `${name} proposes a partnership` });
  await theirs.getByText("Indigo adire for your stores?").waitFor();
  if (shots) await us.screenshot({ path: path.join(shots, "partnership-request-360.png"), fullPage: true });
  await theirs.getByRole("button", { name: "Accept" }).click();
  await theirs.getByRole("link", { name: `Chat with ${name}` }).waitFor();

  // Lagos sees the acceptance and opens the partner chat.
  await mine.getByRole("link", { name: "Chat with Demo business of us-1" }).click();
  await ng.getByRole("heading", { name: "Demo business of us-1" }).waitFor();
  await live(ng);
  const first = `Can you take 200 yards? ${nonce}`;
  await say(ng, first);
  // Nigerian law asks for a basis before the message leaves: consent.
  await ng.getByRole("button", { name: "Let my messages go to United States, and send" }).click();
  const sent = messages(ng).filter({ hasText: first });
  await sent.getByText(/Delivered|Read/).waitFor();

  await us.getByRole("link", { name: `Chat with ${name}` }).click();
  await live(us);
  await messages(us).filter({ hasText: first }).getByText(name).waitFor();
  await sent.getByText("Read").waitFor();
  const reply = `Yes, by Friday ${nonce}`;
  await say(us, reply);
  await messages(ng).filter({ hasText: reply }).waitFor();
  await messages(us).filter({ hasText: reply }).getByText(/Delivered|Read/).waitFor();
  if (shots) {
    await ng.screenshot({ path: path.join(shots, "partner-chat-lagos-360.png"), fullPage: true });
    await us.screenshot({ path: path.join(shots, "partner-chat-us-360.png"), fullPage: true });
  }
  expect(await messages(ng).filter({ hasText: first }).count()).toBe(1);
});
