"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { components } from "@/api/cell";
import { useT } from "@/i18n/client";
import type { Key } from "@/i18n/messages/en";
import { must, useQueryClient } from "@/lib/query";
import { cell, csrfToken, describe } from "@/lib/session";
import { Alert } from "./Alert";

type Partnership = components["schemas"]["Partnership"];
type Action = "accept" | "decline" | "withdraw" | "end";

// Partnerships is a business's partnerships and proposals, as its own
// cell keeps them: proposals to answer, proposals waiting, partners to
// chat with. The other side's answers arrive through the broker, so the
// list is read again every few seconds while it is open.
export function Partnerships({ slug }: { slug: string }) {
  const t = useT();
  const queries = useQueryClient();
  const list = useQuery({
    queryKey: ["partnerships", slug],
    queryFn: () => must(cell.GET("/v1/t/{tenant}/partnerships", { params: { path: { tenant: slug } } })),
    refetchInterval: 3000,
  });
  const convs = useQuery({
    queryKey: ["conversations", slug],
    queryFn: () => must(cell.GET("/v1/t/{tenant}/conversations", { params: { path: { tenant: slug } } })),
    refetchInterval: 3000,
  });
  const [actionError, setError] = useState("");
  const [busy, setBusy] = useState("");

  async function act(p: Partnership, action: Action) {
    const name = p.partner?.name ?? t("biz.partner");
    if (action === "end" && !window.confirm(t("biz.endConfirm", { name }))) return;
    setBusy(p.id + action);
    setError("");
    const { error, response } = await cell.POST(`/v1/t/{tenant}/partnerships/{partnership}/${action}`, {
      params: { path: { tenant: slug, partnership: p.id }, header: { "Idempotency-Key": crypto.randomUUID() } },
      headers: { "X-CSRF-Token": csrfToken() },
    });
    setBusy("");
    if (!response.ok) setError(describe(error, response.status));
    void queries.invalidateQueries({ queryKey: ["partnerships", slug] });
    void queries.invalidateQueries({ queryKey: ["conversations", slug] });
  }

  const error = actionError || (list.error?.message ?? "");
  const items = list.data?.partnerships;
  const chatOf = (p: Partnership) => convs.data?.items?.find((c) => c.partnership_id === p.id)?.id;
  const button = "min-h-11 rounded-full px-4 font-semibold";
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">{t("biz.title")}</h1>
      {error ? (
        <Alert tone="error" className="mb-3">
          {error}
        </Alert>
      ) : null}
      {!items ? <p aria-busy="true">{t("loading")}</p> : null}
      {items?.length === 0 ? <p className="mb-4 text-stone-700">{t("biz.none")}</p> : null}
      <ul className="mb-6 space-y-3" aria-label={t("biz.title")}>
        {items?.map((p) => {
          const name = p.partner?.name ?? t("biz.partner");
          const chat = p.state === "accepted" ? chatOf(p) : undefined;
          return (
            <li key={p.id} className="rounded-lg bg-white p-3 shadow-sm ring-1 ring-stone-200">
              <p className="font-semibold">{t(p.role === "recipient" ? "biz.incoming" : "biz.outgoing", { name })}</p>
              <p className="text-sm text-stone-700">{t(`biz.state.${p.state}` as Key)}</p>
              {p.note ? (
                <p dir="auto" className="mt-1 whitespace-pre-wrap break-words">
                  {p.note}
                </p>
              ) : null}
              {p.refusal ? (
                <Alert tone="error" className="mt-2">
                  {p.refusal.explanation}
                </Alert>
              ) : null}
              <div className="mt-2 flex flex-wrap gap-2">
                {p.role === "recipient" && p.state === "proposed" ? (
                  <>
                    <button type="button" className={`${button} bg-emerald-800 text-white`} disabled={busy !== ""} onClick={() => void act(p, "accept")}>
                      {t("biz.accept")}
                    </button>
                    <button type="button" className={`${button} ring-1 ring-stone-300`} disabled={busy !== ""} onClick={() => void act(p, "decline")}>
                      {t("biz.decline")}
                    </button>
                  </>
                ) : null}
                {p.role === "proposer" && (p.state === "proposing" || p.state === "proposed") ? (
                  <button type="button" className={`${button} ring-1 ring-stone-300`} disabled={busy !== ""} onClick={() => void act(p, "withdraw")}>
                    {t("biz.withdraw")}
                  </button>
                ) : null}
                {chat ? (
                  <Link prefetch={false} href={`/app/b/${slug}/chat/${chat}`} className={`${button} flex items-center bg-emerald-800 text-white`}>
                    {t("biz.chat", { name })}
                  </Link>
                ) : null}
                {p.state === "accepted" ? (
                  <button type="button" className={`${button} ring-1 ring-stone-300`} disabled={busy !== ""} onClick={() => void act(p, "end")}>
                    {t("biz.end")}
                  </button>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>
      <Link prefetch={false} href="/partners" className="text-emerald-800 underline">
        {t("biz.find")}
      </Link>
    </>
  );
}
