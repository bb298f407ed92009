import { describe, expect, it } from "vitest";
import { formatDate, formatPrice, minorDigits } from "./format";

describe("formatPrice", () => {
  it("reads minor units by the currency's own digits", () => {
    expect(minorDigits("NGN")).toBe(2);
    expect(minorDigits("JPY")).toBe(0);
    expect(minorDigits("KWD")).toBe(3);
    expect(formatPrice(1250000, "NGN", "en-NG")).toBe("₦12,500");
    expect(formatPrice(1999, "USD", "en-US")).toBe("$19.99");
    expect(formatPrice(500, "JPY", "en-US")).toBe("¥500");
  });
  it("formats per locale", () => {
    expect(formatPrice(123456, "EUR", "de-DE")).toMatch(/^1\.234,56\s€$/);
    expect(formatPrice(123456, "EUR", "fr-FR")).toMatch(/^1\s234,56\s€$/);
  });
  it("still shows an amount in a currency Intl does not know", () => {
    expect(formatPrice(100, "ZZ1", "en")).toBe("1.00 ZZ1");
  });
});

describe("formatDate", () => {
  it("formats a timestamp and ignores garbage", () => {
    expect(formatDate("2026-11-29T10:00:00Z", "en-GB")).toBe("29 Nov 2026");
    expect(formatDate("not a date", "en-GB")).toBe("");
  });
});
