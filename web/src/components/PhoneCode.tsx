"use client";

import type { ApplicationVerifier, Auth, ConfirmationResult, UserCredential } from "firebase/auth";
import { useRef, useState } from "react";
import { useT } from "@/i18n/client";
import type { AuthConfig } from "@/lib/authconfig";
import { useHydrated } from "@/lib/hydrated";
import { phoneMessage } from "@/lib/autherror";
import { normalizePhone } from "@/lib/phone";
import { firebaseAuth } from "@/lib/session";
import { Alert } from "./Alert";
import { buttonClass, Field, inputClass } from "./Field";

type Props = {
  config: AuthConfig;
  // send asks Firebase to text a code to the number: to sign in with it,
  // or to add it to the signed-in account.
  send: (auth: Auth, phone: string, verifier: ApplicationVerifier) => Promise<ConfirmationResult>;
  // done finishes with the confirmed code; what it throws is shown.
  done: (cred: UserCredential) => Promise<void>;
  confirm: string;
};

// PhoneCode is a phone number and the code texted to it, in two steps.
// Firebase checks the sender with an invisible reCAPTCHA (a stand-in the
// SDK provides when it talks to the Auth emulator).
export function PhoneCode({ config, send, done, confirm }: Props) {
  const t = useT();
  const hydrated = useHydrated();
  const [typed, setTyped] = useState("");
  const [sent, setSent] = useState<{ phone: string; result: ConfirmationResult } | null>(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const recaptcha = useRef<HTMLDivElement>(null);

  async function sendCode() {
    const phone = normalizePhone(typed);
    if (!phone) {
      setError(t("phone.badNumber"));
      return;
    }
    let verifier: { clear(): void } | undefined;
    try {
      const auth = await firebaseAuth(config);
      const { RecaptchaVerifier } = await import("firebase/auth");
      const v = new RecaptchaVerifier(auth, recaptcha.current!, { size: "invisible" });
      verifier = v;
      const result = await send(auth, phone, v);
      setCode("");
      setSent({ phone, result });
    } finally {
      verifier?.clear();
    }
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      if (sent) await done(await sent.result.confirm(code.trim()));
      else await sendCode();
    } catch (err) {
      setError(phoneMessage(err, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit}>
      <fieldset disabled={!hydrated}>
        {sent ? (
          <>
            <p role="status" className="mb-3">
              {t("phone.sent", { phone: sent.phone })}
            </p>
            <Field id="code" label={t("phone.code")}>
              <input
                id="code"
                dir="ltr"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6}"
                maxLength={6}
                className={inputClass}
                value={code}
                onChange={(e) => setCode(e.target.value)}
                required
              />
            </Field>
          </>
        ) : (
          <Field id="phone" label={t("phone.number")} hint={t("phone.numberHint")}>
            <input
              id="phone"
              type="tel"
              dir="ltr"
              autoComplete="tel"
              aria-describedby="phone-hint"
              className={inputClass}
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              required
            />
          </Field>
        )}
        {error ? (
          <Alert tone="error" className="mb-3">
            {error}
          </Alert>
        ) : null}
        <button type="submit" className={buttonClass} disabled={busy}>
          {busy ? t("phone.busy") : sent ? confirm : t("phone.send")}
        </button>
        {sent ? (
          <button
            type="button"
            className="mt-3 text-emerald-800 underline"
            onClick={() => {
              setSent(null);
              setError("");
            }}
          >
            {t("phone.otherNumber")}
          </button>
        ) : null}
      </fieldset>
      <div ref={recaptcha} />
    </form>
  );
}
