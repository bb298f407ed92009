import { describe, expect, it } from "vitest";
import type { Store } from "../draft";
import { Outbox, type Queued } from "./outbox";

function memory(): Store & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

const q = (id: string, over: Partial<Queued> = {}): Queued => ({
  id,
  user: "u1",
  tenant: "t",
  conversation: "c1",
  body: `message ${id}`,
  queuedAt: "2026-11-29T10:00:00Z",
  ...over,
});

describe("the outbox", () => {
  it("keeps what was queued across a reload (a new Outbox on the same store)", () => {
    const s = memory();
    new Outbox(s).add(q("a"));
    new Outbox(s).add(q("b"));
    expect(new Outbox(s).all().map((x) => x.id)).toEqual(["a", "b"]);
  });
  it("holds an id once, however often it is queued", () => {
    const o = new Outbox(memory());
    o.add(q("a"));
    o.add(q("a", { body: "again" }));
    expect(o.all()).toEqual([q("a")]);
  });
  it("lets an entry go only when the cell holds it, and says whether it was there", () => {
    const s = memory();
    const o = new Outbox(s);
    o.add(q("a"));
    o.add(q("b"));
    expect(o.remove("a")).toBe(true);
    expect(o.remove("a")).toBe(false);
    expect(o.all().map((x) => x.id)).toEqual(["b"]);
    o.remove("b");
    expect(s.data.size).toBe(0);
  });
  it("sends only its own user's entries, never refused ones", () => {
    const o = new Outbox(memory());
    o.add(q("a"));
    o.add(q("b", { user: "u2" }));
    o.add(q("c"));
    o.fail("c", "forbidden");
    expect(o.sendable("u1").map((x) => x.id)).toEqual(["a"]);
    expect(o.of("c1").map((x) => x.id)).toEqual(["a", "b", "c"]);
    expect(o.of("c1")[2]?.failed).toBe("forbidden");
  });
  it("starts empty from a damaged store", () => {
    const s = memory();
    s.data.set("pnc.outbox.v1", "{oops");
    expect(new Outbox(s).all()).toEqual([]);
    s.data.set("pnc.outbox.v1", JSON.stringify([{ nope: 1 }, q("a")]));
    expect(new Outbox(s).all()).toEqual([q("a")]);
  });
  it("keeps a refused entry with its reason, unsent until the person retries it", () => {
    const o = new Outbox(memory());
    o.add(q("a"));
    o.fail("a", "needs consent", "transfer_refused");
    expect(o.sendable("u1")).toEqual([]);
    expect(o.all()[0]).toMatchObject({ failed: "needs consent", failedCode: "transfer_refused" });
    o.retry("a");
    expect(o.sendable("u1").map((x) => x.id)).toEqual(["a"]);
    expect(o.all()[0]?.failed).toBeUndefined();
  });
});
