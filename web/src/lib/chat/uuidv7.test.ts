import { describe, expect, it } from "vitest";
import { uuidv7 } from "./uuidv7";

describe("uuidv7", () => {
  it("is a lower-case version 7 UUID with the RFC 9562 variant", () => {
    const id = uuidv7();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  it("starts with the millisecond timestamp, so ids sort by time", () => {
    const id = uuidv7(0x0190_1234_5678, new Uint8Array(10).fill(0xff));
    expect(id).toBe("01901234-5678-7fff-bfff-ffffffffffff");
    expect(uuidv7(1000) < uuidv7(2000)).toBe(true);
  });
  it("differs between two ids made in the same millisecond", () => {
    expect(uuidv7(5)).not.toBe(uuidv7(5));
  });
});
