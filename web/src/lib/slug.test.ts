import { describe, expect, it } from "vitest";
import { slugFor } from "./session";

describe("slugFor", () => {
  it("makes the directory's kind of address from a business name", () => {
    expect(slugFor("Adé's Fabrics & Co.")).toBe("ade-s-fabrics-co");
    expect(slugFor("  --Kofi  Mensah--  ")).toBe("kofi-mensah");
    expect(slugFor("A".repeat(39) + " B")).toBe("a".repeat(39));
    expect(slugFor("Ünïcödé Bäkery")).toBe("unicode-bakery");
  });
});
