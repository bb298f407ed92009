import { minorDigits } from "./format";

// parseMajor reads a price as typed ("15,000", "19.99", "1 200,50") into
// minor units of currency; null when it is not a price.
export function parseMajor(input: string, currency: string): number | null {
  let s = input.replace(/[\s\u00a0\u202f]/g, "");
  if (!/^\d[\d.,]*$/.test(s)) return null;
  const digits = minorDigits(currency);
  // The last separator followed by 1..digits digits is the decimal mark;
  // every other separator groups thousands.
  const m = digits > 0 ? s.match(new RegExp(`^(.*)[.,](\\d{1,${digits}})$`)) : null;
  let frac = "";
  if (m && m[1] !== undefined && m[2] !== undefined && !(m[2].length === 3 && digits < 3)) {
    s = m[1];
    frac = m[2];
  }
  const whole = s.replace(/[.,]/g, "");
  if (!/^\d+$/.test(whole)) return null;
  const minor = Number(whole) * 10 ** digits + Number(frac.padEnd(digits, "0") || "0");
  return Number.isSafeInteger(minor) ? minor : null;
}

// toMajor writes minor units as a price to edit: figures and the decimal
// point only ("15000", "19.99"), which parseMajor reads back.
export function toMajor(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const whole = Math.trunc(minor / 10 ** digits);
  const frac = minor % 10 ** digits;
  return frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(digits, "0")}`;
}
