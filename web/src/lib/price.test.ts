import { describe, expect, it } from "vitest";
import { parseMajor } from "./price";

describe("parseMajor", () => {
  it("reads prices as people type them", () => {
    expect(parseMajor("15000", "NGN")).toBe(1_500_000);
    expect(parseMajor("15,000", "NGN")).toBe(1_500_000);
    expect(parseMajor("19.99", "USD")).toBe(1999);
    expect(parseMajor("1 200,50", "EUR")).toBe(120_050);
    expect(parseMajor("1.234.567", "EUR")).toBe(123_456_700);
    expect(parseMajor("500", "JPY")).toBe(500);
    expect(parseMajor("7.5", "USD")).toBe(750);
  });
  it("refuses what is not a price", () => {
    expect(parseMajor("", "NGN")).toBeNull();
    expect(parseMajor("-5", "NGN")).toBeNull();
    expect(parseMajor("12abc", "NGN")).toBeNull();
    expect(parseMajor("1e9", "NGN")).toBeNull();
  });
});
