import { describe, expect, it } from "vitest";
import { empty, gap, merge, type Message } from "./timeline";

const m = (seq: number, body = `m${seq}`): Message => ({ conversation_id: "c", seq, id: `id${seq}`, sender_id: "u", body, created_at: "2026-11-29T10:00:00Z" });

describe("a timeline", () => {
  it("holds each seq once, in order, whatever order they come in", () => {
    const t = merge(merge(empty, [m(3), m(1)]), [m(2), m(1, "a retry"), m(3)]);
    expect(t.messages.map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(t.messages[0]?.body).toBe("m1");
    expect(t.held).toBe(3);
  });
  it("starts where its first page starts", () => {
    const t = merge(empty, [m(41), m(42)]);
    expect(t).toMatchObject({ first: 41, held: 42 });
    expect(gap(t)).toBeUndefined();
  });
  it("names the gap a live message opens, until it is filled", () => {
    let t = merge(empty, [m(1), m(2)]);
    t = merge(t, [m(5)]);
    expect(t.held).toBe(2);
    expect(gap(t)).toEqual({ after: 2, upTo: 5 });
    t = merge(t, [m(3), m(4)]);
    expect(t.held).toBe(5);
    expect(gap(t)).toBeUndefined();
  });
  it("is unchanged (the same object) when nothing new arrives", () => {
    const t = merge(empty, [m(1)]);
    expect(merge(t, [m(1)])).toBe(t);
    expect(merge(t, [{ ...m(0) }])).toBe(t);
  });
});
