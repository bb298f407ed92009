import { dateTimeFormat, numberFormat } from "@/i18n/intl";

// Prices travel in minor units (kobo, cents) with an ISO 4217 code; how
// many minor units make a major one is the currency's, as Intl knows it.

export function minorDigits(currency: string): number {
  try {
    return numberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function formatPrice(amountMinor: number, currency: string, locale: string): string {
  const digits = minorDigits(currency);
  const major = amountMinor / 10 ** digits;
  try {
    return numberFormat(locale, { style: "currency", currency, minimumFractionDigits: 0, maximumFractionDigits: digits }).format(major);
  } catch {
    // An unknown currency code still shows the amount.
    return `${major.toFixed(digits)} ${currency}`;
  }
}

export function formatDate(iso: string, locale: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return dateTimeFormat(locale, { dateStyle: "medium" }).format(d);
}
