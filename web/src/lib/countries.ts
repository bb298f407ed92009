import { collator } from "@/i18n/intl";
import { regionName } from "@/i18n/format";

// Countries a business may sign up from, as the form offers them (named
// in the reader's language by Intl.DisplayNames); the residency policy
// (GET /v1/placement) says for each where it would live.
export const countries = ["NG", "GH", "CI", "SN", "KE", "UG", "TZ", "RW", "ET", "ZA", "BW", "EG", "MA", "US", "DE", "FR", "PT", "GB"] as const;

// countryOptions are the countries with their names in the reader's
// language, sorted by name: made by the server for the sign-up form, so the
// phone's main thread does not build the language's region names and
// collation as the page starts.
export function countryOptions(locale: string): [string, string][] {
  const byName = collator(locale);
  return countries.map((c): [string, string] => [c, regionName(locale, c)]).sort((a, b) => byName.compare(a[1], b[1]));
}
