// Intl formatters, one per locale and options. Making a formatter costs
// far more than using one (locale data is looked up and resolved each
// time), and a page formats dozens of prices, dates and country names as
// it hydrates, on phones four times slower than a laptop.
const made = new Map<string, unknown>();

function once<T>(key: string, make: () => T): T {
  let f = made.get(key) as T | undefined;
  if (f === undefined) {
    f = make(); // a constructor that throws (an unknown currency) is not kept
    made.set(key, f);
  }
  return f;
}

export function numberFormat(locale: string, options?: Intl.NumberFormatOptions): Intl.NumberFormat {
  return once(`n|${locale}|${JSON.stringify(options ?? {})}`, () => new Intl.NumberFormat(locale, options));
}

export function dateTimeFormat(locale: string, options?: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return once(`d|${locale}|${JSON.stringify(options ?? {})}`, () => new Intl.DateTimeFormat(locale, options));
}

export function pluralRules(locale: string): Intl.PluralRules {
  return once(`p|${locale}`, () => new Intl.PluralRules(locale));
}

export function regionNames(locale: string): Intl.DisplayNames {
  return once(`r|${locale}`, () => new Intl.DisplayNames([locale, "en"], { type: "region" }));
}

export function collator(locale: string): Intl.Collator {
  return once(`c|${locale}`, () => new Intl.Collator(locale));
}
