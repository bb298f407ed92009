import { describe, expect, it } from "vitest";
import { networkClass, networkOf, pickVariant } from "./photo";

const photo = {
  id: "p1",
  variants: {
    thumb: { url: "/t", bytes: 20_000, width: 160 },
    "3g": { url: "/3", bytes: 90_000, width: 640 },
    "4g": { url: "/4", bytes: 180_000, width: 1280 },
  },
};

describe("pickVariant", () => {
  it("takes the 4G variant on 4G", () => {
    expect(pickVariant(photo, { effectiveType: "4g" })?.url).toBe("/4");
  });
  it("takes the 3G variant on 3G, 2G, Save-Data and unknown networks", () => {
    expect(pickVariant(photo, { effectiveType: "3g" })?.url).toBe("/3");
    expect(pickVariant(photo, { effectiveType: "slow-2g" })?.url).toBe("/3");
    expect(pickVariant(photo, { effectiveType: "4g", saveData: true })?.url).toBe("/3");
    expect(pickVariant(photo, {})?.url).toBe("/3");
    expect(networkClass({})).toBe("3g");
  });
  it("never goes above the network's budget", () => {
    const heavy = { id: "p2", variants: { thumb: { url: "/t", bytes: 20_000 }, "3g": { url: "/3", bytes: 120_000 }, "4g": { url: "/4", bytes: 260_000 } } };
    expect(pickVariant(heavy, { effectiveType: "3g" })?.url).toBe("/t");
    expect(pickVariant(heavy, { effectiveType: "4g" })?.url).toBe("/3");
  });
  it("has nothing for a photo without variants", () => {
    expect(pickVariant({ id: "p3" }, { effectiveType: "4g" })).toBeUndefined();
  });
});

describe("the network of a request", () => {
  const h = (m: Record<string, string>) => ({ get: (k: string) => m[k] ?? null });
  it("is read from its client hints, with 3G's budget when there are none", () => {
    expect(networkClass(networkOf(h({})))).toBe("3g");
    expect(networkClass(networkOf(h({ ect: "4g" })))).toBe("4g");
    expect(networkClass(networkOf(h({ ect: "4g", "save-data": "on" })))).toBe("3g");
    expect(networkClass(networkOf(h({ ect: "2g" })))).toBe("3g");
  });
});
