"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import type { components } from "@/api/controlplane";
import { useT } from "@/i18n/client";
import { useHydrated } from "@/lib/hydrated";
import { placementReason } from "@/lib/placement";
import type { AuthConfig } from "@/lib/authconfig";
import { authMessage } from "@/lib/autherror";
import { account, controlPlane, describe, slugFor, startSession } from "@/lib/session";
import { buttonClass, Field, inputClass } from "./Field";
import { Alert } from "./Alert";

type Placement = components["schemas"]["Placement"];

// SignupForm: the country first, with where the policy would keep the
// business's data and why; then the business and its owner. The account
// is made in Firebase Auth, the business by the control plane, which
// places it and creates it in its home cell.
// options are the countries, named and sorted in the reader's language.
export function SignupForm({ config, options }: { config: AuthConfig; options: [string, string][] }) {
  const router = useRouter();
  const t = useT();
  const hydrated = useHydrated();
  const [country, setCountry] = useState("");
  const [placement, setPlacement] = useState<Placement | "loading" | "failed">();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [slugEdited, setSlugEdited] = useState(false);
  const [owner, setOwner] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const asked = useRef("");

  // The preview is asked when the country changes; an answer for a
  // country no longer chosen is dropped.
  function chooseCountry(c: string) {
    setCountry(c);
    asked.current = c;
    if (!c) {
      setPlacement(undefined);
      return;
    }
    setPlacement("loading");
    void controlPlane.GET("/v1/placement", { params: { query: { country: c } } }).then(({ data }) => {
      if (asked.current === c) setPlacement(data ?? "failed");
    });
  }

  const allowed = typeof placement === "object" && placement.allowed;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!allowed || busy) return;
    setBusy(true);
    setError("");
    setFieldErrors({});
    try {
      // The sign-up itself is idempotent: a second try continues it.
      const cred = await account(config, email, password);
      const token = await cred.user.getIdToken();
      const { data, error: problem, response } = await controlPlane.POST("/v1/signup", {
        headers: { Authorization: `Bearer ${token}`, "Idempotency-Key": slug },
        body: { slug, name, country, contact: { name: owner, email } },
      });
      if (!data) {
        const fe: Record<string, string> = {};
        for (const f of problem?.errors ?? []) fe[f.field.replace(/^contact\./, "contact_")] = f.detail;
        setFieldErrors(fe);
        setError(describe(problem, response.status));
        return;
      }
      await startSession(cred.user);
      router.push(`/app?welcome=${encodeURIComponent(data.slug)}`);
    } catch (err) {
      setError(authMessage(err, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Field id="country" label={t("signup.country")}>
        <select id="country" className={inputClass} value={country} onChange={(e) => chooseCountry(e.target.value)} required disabled={!hydrated}>
          <option value="">{t("form.choose")}</option>
          {options.map(([c, name]) => (
            <option key={c} value={c}>
              {name}
            </option>
          ))}
        </select>
      </Field>
      <div aria-live="polite" className="mb-4">
        {placement === "loading" ? <p className="text-stone-700">{t("signup.checking")}</p> : null}
        {placement === "failed" ? <p role="alert">{t("signup.checkFailed")}</p> : null}
        {typeof placement === "object" ? (
          <section aria-label={t("signup.where")} className={`rounded-lg p-3 ${placement.allowed ? "bg-emerald-50 ring-1 ring-emerald-200" : "bg-amber-100"}`}>
            {placement.allowed ? (
              <p className="font-semibold">
                {t("signup.willLive", { cells: placement.cells.join(t("signup.or")) })}
              </p>
            ) : (
              <p className="font-semibold">{t("signup.cannot")}</p>
            )}
            <p className="text-sm">
              {t(placementReason(placement), { country: options.find(([c]) => c === placement.country)?.[1] ?? placement.country, cells: placement.cells.join(t("signup.or")) })}
            </p>
          </section>
        ) : null}
      </div>
      <fieldset disabled={!allowed} className="disabled:opacity-60">
        <legend className="sr-only">{t("signup.you")}</legend>
        <Field id="name" label={t("signup.name")} error={fieldErrors.name}>
          <input
            id="name"
            className={inputClass}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              if (!slugEdited) setSlug(slugFor(e.target.value));
            }}
            required
            maxLength={120}
            autoComplete="organization"
          />
        </Field>
        <Field id="slug" label={t("signup.address")} hint={slug ? `pushnchat.com/${slug}` : t("signup.addressHint")} error={fieldErrors.slug}>
          <input
            id="slug"
            className={inputClass}
            value={slug}
            onChange={(e) => {
              setSlug(e.target.value);
              setSlugEdited(true);
            }}
            required
            minLength={3}
            maxLength={40}
            pattern="[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
            autoCapitalize="none"
            aria-describedby="slug-hint"
          />
        </Field>
        <Field id="owner" label={t("signup.owner")} error={fieldErrors.contact_name}>
          <input id="owner" className={inputClass} value={owner} onChange={(e) => setOwner(e.target.value)} required autoComplete="name" />
        </Field>
        <Field id="email" label={t("signin.email")} error={fieldErrors.contact_email}>
          <input id="email" type="email" className={inputClass} value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="email" />
        </Field>
        <Field id="password" label={t("signin.password")} hint={t("signup.passwordHint")}>
          <input
            id="password"
            type="password"
            className={inputClass}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            minLength={8}
            autoComplete="new-password"
            aria-describedby="password-hint"
          />
        </Field>
      </fieldset>
      {error ? (
        <Alert tone="error" className="mb-3">
          {error}
        </Alert>
      ) : null}
      <button type="submit" className={buttonClass} disabled={!allowed || busy || password.length < 8}>
        {t(busy ? "signup.busy" : "signup.submit")}
      </button>
    </form>
  );
}
