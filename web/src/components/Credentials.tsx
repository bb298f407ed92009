"use client";

import { useT } from "@/i18n/client";
import { useHydrated } from "@/lib/hydrated";
import { Alert } from "./Alert";
import { buttonClass, Field, inputClass } from "./Field";

type CredentialProps = {
  email: string;
  password: string;
  onEmail: (v: string) => void;
  onPassword: (v: string) => void;
  emailHint?: string;
  passwordHint?: string;
  minLength?: number;
};

// CredentialsForm is a whole email-and-password form: the fields, what
// went wrong, and the button. It stays disabled until React has taken the
// page over (useHydrated).
export function CredentialsForm(
  props: CredentialProps & { onSubmit: (e: React.FormEvent) => void; error: string; busy: boolean; submit: string },
) {
  const hydrated = useHydrated();
  const { onSubmit, error, busy, submit, ...fields } = props;
  return (
    <form onSubmit={onSubmit}>
      <fieldset disabled={!hydrated}>
        <Credentials {...fields} />
        {error ? (
          <Alert tone="error" className="mb-3">
            {error}
          </Alert>
        ) : null}
        <button type="submit" className={buttonClass} disabled={busy}>
          {submit}
        </button>
      </fieldset>
    </form>
  );
}

// Credentials are the email and password fields of signing in and of
// joining a team; minLength is set where a new password may be made.
export function Credentials(props: CredentialProps) {
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
