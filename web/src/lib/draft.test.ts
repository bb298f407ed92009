import { describe, expect, it } from "vitest";
import { clearDraft, loadDraft, saveDraft, type Store } from "./draft";

function memory(): Store & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe("drafts", () => {
  it("come back as they were saved, over the defaults", () => {
    const s = memory();
    saveDraft(s, "d", { title: "Adire", price: "15000" });
    expect(loadDraft(s, "d", { title: "", price: "", city: "Lagos" })).toEqual({ title: "Adire", price: "15000", city: "Lagos" });
  });
  it("fall back to the defaults when missing or damaged", () => {
    const s = memory();
    expect(loadDraft(s, "d", { title: "" })).toEqual({ title: "" });
    s.data.set("d", "{not json");
    expect(loadDraft(s, "d", { title: "" })).toEqual({ title: "" });
    s.data.set("d", "[1,2]");
    expect(loadDraft(s, "d", { title: "" })).toEqual({ title: "" });
  });
  it("survive a store that refuses to save", () => {
    const s = { ...memory(), setItem: () => { throw new Error("QuotaExceededError"); } };
    expect(() => saveDraft(s, "d", { title: "x" })).not.toThrow();
  });
  it("are cleared once sent", () => {
    const s = memory();
    saveDraft(s, "d", { title: "x" });
    clearDraft(s, "d");
    expect(s.data.size).toBe(0);
  });
});
