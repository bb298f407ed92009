import { describe, expect, it } from "vitest";
import { parseMajor, toMajor } from "./price";

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

describe("a price to edit", () => {
  it("is figures and a decimal point that read back the same", () => {
    expect(toMajor(1500000, "NGN")).toBe("15000");
    expect(toMajor(1999, "USD")).toBe("19.99");
    expect(toMajor(1905, "USD")).toBe("19.05");
    expect(toMajor(5000, "UGX")).toBe("5000"); // no minor unit
    for (const [m, c] of [[1999, "USD"], [1500000, "NGN"], [7, "KES"], [5000, "UGX"]] as const) expect(parseMajor(toMajor(m, c), c)).toBe(m);
  });
});
