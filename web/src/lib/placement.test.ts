import { describe, expect, it } from "vitest";
import { placementReason } from "./placement";

const base = { country: "NG", cells: ["lagos-1"], explanation: "", policy_version: "1" };

describe("placementReason", () => {
  it.each([
    [{ allowed: true, rules: ["placement.home-jurisdiction"] }, "signup.why.home"],
    [{ allowed: true, rules: ["placement.regional-fallback", "africa.other.consent-or-safeguards"] }, "signup.why.fallback"],
    [{ allowed: true, rules: ["rw.dpa.art-50", "placement.authorised-abroad"] }, "signup.why.authorised"],
    [{ allowed: false, rules: ["placement.unsupported-country"] }, "signup.why.unsupported"],
    [{ allowed: false, rules: ["rw.dpa.art-50"] }, "signup.why.needsAuthorisation"],
  ])("%j → %s", (p, want) => expect(placementReason({ ...base, ...p })).toBe(want));
});
