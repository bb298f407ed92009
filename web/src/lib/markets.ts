import type { components } from "@/api/cell";

// The markets the app offers to browse, by country code; their names come
// from the reader's language (Intl.DisplayNames) and their numbers and
// dates from the reader's language with the market's region
// (src/i18n/locales.ts, regional). Which cell serves a market is the
// residency policy's answer, given by the router; the app never decides it.
export const markets = ["NG", "GH", "KE", "ZA", "US", "DE"] as const;

export function market(country: string): boolean {
  return (markets as readonly string[]).includes(country);
}

type Category = components["schemas"]["Category"];

// The categories a listing may have, in the order the form offers them.
// The cells' OpenAPI enum is the source: the type check below fails when
// the two differ.
export const categories = [
  "agriculture", "beauty", "construction", "crafts", "electronics", "fabrics",
  "fashion", "food", "furniture", "health", "logistics", "machinery",
  "services", "textiles", "vehicles",
] as const satisfies readonly Category[];

// Every category of the API is offered: this is `true` only then.
const everyCategory: Exclude<Category, (typeof categories)[number]> extends never ? true : never = true;
void everyCategory;

// Currencies of the countries businesses sign up from (ISO 4217).
const currencies: Record<string, string> = {
  NG: "NGN", GH: "GHS", CI: "XOF", SN: "XOF", KE: "KES", UG: "UGX", TZ: "TZS", RW: "RWF", ET: "ETB",
  ZA: "ZAR", BW: "BWP", EG: "EGP", MA: "MAD", US: "USD", DE: "EUR", FR: "EUR", PT: "EUR", GB: "GBP",
};

export function currencyOf(country: string): string {
  return currencies[country] ?? "USD";
}
