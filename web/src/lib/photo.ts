import type { components } from "@/api/cell";

type Photo = components["schemas"]["Photo"];
type Variant = components["schemas"]["Variant"];

// The network a photo is chosen for: what the Network Information API and
// the Save-Data hint say, where the browser has them.
export type Network = { effectiveType?: string; saveData?: boolean };

// Byte budgets per network (PRODUCT.md): a photo never costs more.
export const budget = { "3g": 100_000, "4g": 200_000 } as const;

export function networkClass(n: Network): "3g" | "4g" {
  if (n.saveData) return "3g";
  switch (n.effectiveType) {
    case "slow-2g":
    case "2g":
    case "3g":
      return "3g";
    case "4g":
      return "4g";
    default:
      // Unknown (Safari, Firefox): the smaller variant is the safe one.
      return "3g";
  }
}

// pickVariant is the largest variant of the photo within the network's
// budget, or the thumbnail when nothing else fits.
export function pickVariant(photo: Photo, n: Network): Variant | undefined {
  const limit = budget[networkClass(n)];
  const variants = Object.entries(photo.variants ?? {});
  let best: Variant | undefined;
  for (const [, v] of variants) {
    if (!v.url || (v.bytes ?? Infinity) > limit) continue;
    if (!best || (v.bytes ?? 0) > (best.bytes ?? 0)) best = v;
  }
  return best ?? photo.variants?.thumb;
}

// networkOf reads the network from a request's client hints: Save-Data
// (sent whenever the reader turned it on) and ECT (sent once the site has
// asked for it with Accept-CH, see next.config.ts). Without them the
// budget is 3G's.
export function networkOf(h: { get(name: string): string | null }): Network {
  return { effectiveType: h.get("ect") ?? undefined, saveData: h.get("save-data")?.trim().toLowerCase() === "on" };
}
