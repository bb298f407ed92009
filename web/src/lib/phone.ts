import type { Key } from "@/i18n/messages/en";

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

// phoneMessage says what went wrong with a text-message code in plain words.
export function phoneMessage(err: unknown, t: (key: Key) => string): string {
  switch ((err as { code?: string }).code) {
    case "auth/invalid-phone-number":
    case "auth/missing-phone-number":
      return t("phone.badNumber");
    case "auth/invalid-verification-code":
    case "auth/missing-verification-code":
      return t("phone.badCode");
    case "auth/code-expired":
      return t("phone.expired");
    case "auth/credential-already-in-use":
    case "auth/account-exists-with-different-credential":
      return t("phone.inUse");
    case "auth/provider-already-linked":
      return t("phone.already");
    case "auth/too-many-requests":
    case "auth/quota-exceeded":
      return t("phone.tooMany");
    case "auth/requires-recent-login":
      return t("phone.again");
    case "auth/network-request-failed":
      return t("auth.offline");
    default:
      return err instanceof Error ? err.message : t("auth.other");
  }
}
