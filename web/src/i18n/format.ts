import { numberFormat, pluralRules, regionNames } from "./intl";
import { dirOf, type Locale } from "./locales";
import type { Catalogue, Key, Message } from "./messages/en";

export type Vars = Record<string, string | number>;

// translate renders a message: {name} placeholders filled (numbers in the
// locale's digits), and for a plural message the form the locale's plural
// rules give for vars.n (Arabic has six forms, English two). In a
// right-to-left language a filled-in text written in Latin letters is a
// bidi isolate (FSI…PDI), so a name such as a cell's keeps its order and
// does not pull the sentence's punctuation to its side.
const latin = /\p{Script=Latin}/u;

export function translate(locale: string, messages: Partial<Catalogue>, key: Key, vars: Vars = {}): string {
  const m: Message | undefined = messages[key];
  if (m === undefined) return key; // a screen whose page did not hand over its messages: visible, not fatal
  let text: string;
  if (typeof m === "string") text = m;
  else {
    const n = Number(vars.n ?? 0);
    text = m[pluralRules(locale).select(n)] ?? m.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = vars[name];
    if (v === undefined) return whole;
    if (typeof v === "number") return smallCount(v) ? String(v) : numberFormat(locale).format(v);
    return dirOf(locale as Locale) === "rtl" && latin.test(v) ? `\u2068${v}\u2069` : v;
  });
}

// smallCount is a whole number from 0 to 999, which every language the app
// speaks writes in Latin digits with no grouping, exactly as String() does
// (format.test.ts holds each locale to it). Such numbers skip
// Intl.NumberFormat: its first use on a page costs a phone with a slow CPU
// about 100 ms of blocked main thread, for a step number or a count.
export function smallCount(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < 1000;
}

// regionName is a country's name in the reader's language, from the
// browser's and server's own locale data (no catalogue needed).
export function regionName(locale: string, country: string): string {
  try {
    return regionNames(locale).of(country) ?? country;
  } catch {
    return country;
  }
}
