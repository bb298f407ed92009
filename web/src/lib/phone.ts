// e164 is the form Firebase sends text messages to: a plus, the country
// code and the number, 7 to 15 digits with no leading zero.
const e164 = /^\+[1-9][0-9]{6,14}$/;

// normalizePhone reads a number as people type it ("+234 801-234 5678",
// "(+1) 555 0100") into E.164, or returns "" when it is not one: the
// country code is required, since a sign-in number may be from anywhere.
export function normalizePhone(typed: string): string {
  let s = typed.trim().replace(/[\s().\-\u00a0]/g, "");
  if (s.startsWith("00")) s = "+" + s.slice(2);
  return e164.test(s) ? s : "";
}
