"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useT } from "@/i18n/client";
import { ApiError, must } from "@/lib/query";
import { cell, csrfToken, describe } from "@/lib/session";
import { buttonClass, Field, inputClass } from "./Field";
import { Alert } from "./Alert";

const entitlement = "https://pushnchat.dev/problems/entitlement_required";

// ProposeForm proposes a partnership to the business a partner search
// found (?to= its id, &country=, &name=), on behalf of one of the
// signed-in person's businesses where they may (owner or admin). A tier
// that does not reach the partner's country is said in words, and its
// owner can switch tiers and send in one step.
export function ProposeForm() {
  const t = useT();
  const router = useRouter();
  const params = useSearchParams();
  const to = params.get("to") ?? "";
  const country = params.get("country") ?? "";
  const name = params.get("name") ?? t("biz.partner");
  const me = useQuery({ queryKey: ["me"], queryFn: () => must(cell.GET("/v1/me")) });
  const mine = (me.data?.memberships ?? []).filter((m) => m.role === "owner" || m.role === "admin");
  const [chosen, setChosen] = useState("");
  const [note, setNote] = useState("");
  const [chat, setChat] = useState(true);
  const [error, setError] = useState("");
  const [needsTier, setNeedsTier] = useState(false);
  const [busy, setBusy] = useState(false);
  const slug = chosen || mine[0]?.tenant_slug || "";
  const owner = mine.find((m) => m.tenant_slug === slug)?.role === "owner";

  async function propose() {
    const share = chat ? ["message_content" as const] : [];
    const { error: p, response } = await cell.POST("/v1/t/{tenant}/partnerships", {
      params: { path: { tenant: slug }, header: { "Idempotency-Key": crypto.randomUUID() } },
      headers: { "X-CSRF-Token": csrfToken() },
      body: { partner_tenant_id: to, partner_country: country, note, share: { proposer: share, partner: share } },
    });
    if (response.ok) {
      router.push(`/app/b/${slug}/partners`);
      return;
    }
    setNeedsTier((p as { type?: string } | undefined)?.type === entitlement);
    setError(describe(p, response.status));
  }

  async function send(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError("");
    await propose();
    setBusy(false);
  }

  async function upgradeAndSend() {
    setBusy(true);
    setError("");
    const { error: p, response } = await cell.PATCH("/v1/t/{tenant}", {
      params: { path: { tenant: slug }, header: { "Idempotency-Key": crypto.randomUUID() } },
      headers: { "X-CSRF-Token": csrfToken() },
      body: { tier: "africa_us" },
    });
    if (response.ok) {
      setNeedsTier(false);
      await propose();
    } else {
      setError(describe(p, response.status));
    }
    setBusy(false);
  }

  const signedOut = me.error instanceof ApiError && (me.error.status === 401 || me.error.status === 404);
  if (signedOut) {
    return (
      <Alert tone="error">
        {t("biz.signIn")}{" "}
        <Link prefetch={false} href="/signin" className="underline">
          {t("nav.signin")}
        </Link>
      </Alert>
    );
  }
  if (!me.data) return <p aria-busy="true">{t("loading")}</p>;
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">{t("partners.propose", { name })}</h1>
      {mine.length === 0 ? (
        <Alert tone="error">{t("biz.noBusiness")}</Alert>
      ) : (
        <form onSubmit={(e) => void send(e)} className="rounded-lg bg-white p-3 ring-1 ring-stone-200">
          {mine.length > 1 ? (
            <Field id="as" label={t("biz.as")}>
              <select id="as" className={inputClass} value={slug} onChange={(e) => setChosen(e.target.value)}>
                {mine.map((m) => (
                  <option key={m.tenant_slug} value={m.tenant_slug}>
                    {m.tenant_slug}
                  </option>
                ))}
              </select>
            </Field>
          ) : null}
          <Field id="note" label={t("biz.note")}>
            <textarea id="note" rows={3} maxLength={1000} className={inputClass} value={note} onChange={(e) => setNote(e.target.value)} />
          </Field>
          <label className="mb-3 flex items-center gap-2">
            <input type="checkbox" className="size-5" checked={chat} onChange={(e) => setChat(e.target.checked)} />
            {t("biz.shareChat")}
          </label>
          {error ? (
            <Alert tone="error" className="mb-3">
              {needsTier ? t("biz.tierNeeded") : error}
            </Alert>
          ) : null}
          {needsTier && owner ? (
            <button type="button" className={`${buttonClass} mb-2`} disabled={busy} onClick={() => void upgradeAndSend()}>
              {t("biz.upgrade")}
            </button>
          ) : (
            <button type="submit" className={buttonClass} disabled={busy || !to || !country}>
              {t("biz.send")}
            </button>
          )}
        </form>
      )}
    </>
  );
}
