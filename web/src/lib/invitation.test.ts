import { describe, expect, it } from "vitest";
import { joinLink, tokenOf } from "./invitation";

describe("invitation links", () => {
  it("carry the token in the fragment only", () => {
    const u = new URL(joinLink("https://pushnchat.example", "ada-fabrics", "0190-abc", "s3cr+t/=="));
    expect(u.pathname).toBe("/join/ada-fabrics/0190-abc");
    expect(u.search).toBe("");
    expect(tokenOf(u.hash)).toBe("s3cr+t/==");
  });
  it("give no token from a damaged fragment", () => {
    expect(tokenOf("#%E0%A4%A")).toBe("");
    expect(tokenOf("")).toBe("");
  });
});
