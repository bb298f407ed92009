// The languages the app speaks. Each has a message catalogue in
// messages/<code>.ts, loaded for the pages of that language only.
export const locales = ["en", "fr", "pt", "sw", "ha", "yo", "zu", "ar"] as const;
export type Locale = (typeof locales)[number];

export const defaultLocale: Locale = "en";

// Each language's own name for itself, as the picker offers it.
export const endonyms: Record<Locale, string> = {
  en: "English",
  fr: "Français",
  pt: "Português",
  sw: "Kiswahili",
  ha: "Hausa",
  yo: "Yorùbá",
  zu: "isiZulu",
  ar: "العربية",
};

// The cookie the picker sets; the router passes it to the web server (it
// names no one) and nothing else of the reader's.
export const localeCookie = "pnc_locale";

export function isLocale(v: string | undefined): v is Locale {
  return (locales as readonly string[]).includes(v ?? "");
}

export function dirOf(l: Locale): "ltr" | "rtl" {
  return l === "ar" ? "rtl" : "ltr";
}

// negotiate picks the reader's language: the one they chose, else the
// first of their browser's languages the app speaks, else English.
export function negotiate(chosen: string | undefined, acceptLanguage: string | null | undefined): Locale {
  if (isLocale(chosen)) return chosen;
  const wanted = (acceptLanguage ?? "")
    .split(",")
    .map((part) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return { lang: tag.split("-")[0]?.toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((w) => w.lang && w.q > 0)
    .sort((a, b) => b.q - a.q);
  return wanted.map((w) => w.lang).find(isLocale) ?? defaultLocale;
}

// regional is the locale numbers, prices and dates of a country's market
// are shown in: the reader's language with the market's region.
export function regional(l: Locale, country: string): string {
  return `${l}-${country}`;
}
