import type { components } from "@/api/cell";

// The markets the app offers to browse, each with the locale its prices
// and dates are shown in. Which cell serves a market is the residency
// policy's answer, given by the router; the app never decides it.
export type Market = { country: string; name: string; locale: string };

export const markets: Market[] = [
  { country: "NG", name: "Nigeria", locale: "en-NG" },
  { country: "GH", name: "Ghana", locale: "en-GH" },
  { country: "KE", name: "Kenya", locale: "en-KE" },
  { country: "ZA", name: "South Africa", locale: "en-ZA" },
  { country: "US", name: "United States", locale: "en-US" },
  { country: "DE", name: "Germany", locale: "de-DE" },
];

export function market(country: string): Market | undefined {
  return markets.find((m) => m.country === country);
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
