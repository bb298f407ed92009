"use client";

import { useT } from "@/i18n/client";
import { Field, inputClass } from "./Field";

// Credentials are the email and password fields of signing in and of
// joining a team; minLength is set where a new password may be made.
export function Credentials(props: {
  email: string;
  password: string;
  onEmail: (v: string) => void;
  onPassword: (v: string) => void;
  emailHint?: string;
  passwordHint?: string;
  minLength?: number;
}) {
  const t = useT();
  return (
    <>
      <Field id="email" label={t("signin.email")} hint={props.emailHint}>
        <input id="email" type="email" className={inputClass} value={props.email} onChange={(e) => props.onEmail(e.target.value)} required autoComplete="email" />
      </Field>
      <Field id="password" label={t("signin.password")} hint={props.passwordHint}>
        <input
          id="password"
          type="password"
          className={inputClass}
          value={props.password}
          onChange={(e) => props.onPassword(e.target.value)}
          required
          minLength={props.minLength}
          autoComplete="current-password"
        />
      </Field>
    </>
  );
}
