import { describe, expect, test } from "vitest";
import { normalizePhone } from "./phone";

describe("normalizePhone", () => {
  test("reads numbers as people type them", () => {
    expect(normalizePhone("+234 801 234 5678")).toBe("+2348012345678");
    expect(normalizePhone(" (+1) 555-010-0199 ")).toBe("+15550100199");
    expect(normalizePhone("+254.712.345.678")).toBe("+254712345678");
    expect(normalizePhone("00 27 82 123 4567")).toBe("+27821234567");
  });

  test("refuses what is not a number with its country code", () => {
    for (const bad of ["", "0801 234 5678", "+0 801 234 5678", "+234", "+2348012345678901", "+234 801 abc 5678", "++2348012345678"]) {
      expect(normalizePhone(bad), bad).toBe("");
    }
  });
});
