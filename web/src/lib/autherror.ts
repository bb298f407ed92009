import type { Key } from "@/i18n/messages/en";

// authMessage says what went wrong with the account in plain words.
export function authMessage(err: unknown, t: (key: Key) => string): string {
  switch ((err as { code?: string }).code) {
    case "auth/email-already-in-use":
    case "auth/wrong-password":
    case "auth/invalid-credential":
    case "auth/invalid-login-credentials":
      return t("auth.mismatch");
    case "auth/user-not-found":
      return t("auth.noAccount");
    case "auth/weak-password":
      return t("auth.weak");
    case "auth/invalid-email":
      return t("auth.badEmail");
    case "auth/network-request-failed":
      return t("auth.offline");
    default:
      return err instanceof Error ? err.message : t("auth.other");
  }
}

// phoneMessage says what went wrong with a phone number or its texted
// code in plain words; anything else as authMessage does.
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
    default:
      return authMessage(err, t);
  }
}
