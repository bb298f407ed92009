"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useT } from "@/i18n/client";
import { useChat } from "@/lib/chat";
import { useQueryClient } from "@/lib/query";
import { titleOf, useTeamChats } from "@/lib/chat/team";
import { cell, csrfToken, describe } from "@/lib/session";
import { buttonClass, Field, inputClass } from "./Field";
import { Alert } from "./Alert";

// Inbox is a business's conversations for the signed-in person, newest
// activity first, with what is unread on this device, kept current by
// the live connection; and a way to start a chat with a team member.
export function Inbox({ slug }: { slug: string }) {
  const router = useRouter();
  const t = useT();
  const [snap] = useChat();
  const { members, conversations, error, offline } = useTeamChats(slug);
  const queries = useQueryClient();
  const [withUser, setWithUser] = useState("");
  const [startError, setStartError] = useState("");
  const [busy, setBusy] = useState(false);

  async function start(e: React.FormEvent) {
    e.preventDefault();
    if (!withUser) return;
    setBusy(true);
    setStartError("");
    const { data, error: p, response } = await cell.POST("/v1/t/{tenant}/conversations", {
      params: { path: { tenant: slug }, header: { "Idempotency-Key": crypto.randomUUID() } },
      headers: { "X-CSRF-Token": csrfToken() },
      body: { kind: "direct", members: [withUser] },
    });
    setBusy(false);
    if (!data?.id) {
      setStartError(describe(p, response.status));
      return;
    }
    await queries.invalidateQueries({ queryKey: ["conversations", slug] });
    router.push(`/app/b/${slug}/chat/${data.id}`);
  }

  if (error || (offline && !conversations)) {
    return (
      <Alert tone="unreachable">
        {error || t("chat.listOffline")}
      </Alert>
    );
  }
  if (!conversations) return <p aria-busy="true">{t("loading")}</p>;
  const head = (id: string, fallback: number) => Math.max(snap.heads.get(id) ?? 0, fallback);
  const sorted = [...conversations].sort((a, b) => head(b.id ?? "", b.last_seq ?? 0) - head(a.id ?? "", a.last_seq ?? 0));
  const others = (members ?? []).filter((m) => m.user_id !== snap.user);
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">{t("chat.title")}</h1>
      {sorted.length === 0 ? <p className="mb-4 text-stone-700">{t("chat.none")}</p> : null}
      <ul className="mb-6 space-y-2" aria-label={t("chat.title")}>
        {sorted.map((c) => {
          const id = c.id ?? "";
          const unread = Math.max(0, head(id, c.last_seq ?? 0) - (snap.read.get(id) ?? 0));
          return (
            <li key={id}>
              <Link prefetch={false} href={`/app/b/${slug}/chat/${id}`} className="flex items-center gap-3 rounded-lg bg-white p-3 shadow-sm ring-1 ring-stone-200">
                <span className="grow font-semibold">{titleOf(c, members, snap.user, t)}</span>
                {unread > 0 ? (
                  <span className="rounded-full bg-emerald-800 px-2 text-sm text-white" aria-label={t("chat.unread", { n: unread })}>
                    {unread}
                  </span>
                ) : null}
              </Link>
            </li>
          );
        })}
      </ul>
      {others.length > 0 ? (
        <form onSubmit={(e) => void start(e)} className="rounded-lg bg-white p-3 ring-1 ring-stone-200">
          <Field id="with" label={t("chat.startWith")} error={startError}>
            <select id="with" className={inputClass} value={withUser} onChange={(e) => setWithUser(e.target.value)}>
              <option value="">{t("chat.choose")}</option>
              {others.map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.display_name || m.email}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" className={buttonClass} disabled={!withUser || busy}>
            {t("chat.start")}
          </button>
        </form>
      ) : null}
    </>
  );
}
