"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { useLocale, useT } from "@/i18n/client";
import { regionName } from "@/i18n/format";
import { dateTimeFormat } from "@/i18n/intl";
import { useChat } from "@/lib/chat";
import { empty } from "@/lib/chat/timeline";
import { nameOf, titleOf, useTeamChats } from "@/lib/chat/team";
import { cell, csrfToken, describe } from "@/lib/session";
import { clearDraft, loadDraft, saveDraft } from "@/lib/draft";
import { inputClass } from "./Field";
import { Alert } from "./Alert";

const statusText = {
  connecting: "chat.connecting",
  live: "chat.live",
  waiting: "chat.waiting",
  offline: "chat.offline",
} as const;

// Conversation is one chat: its history, live messages as they are
// stored, what this person typed and is still waiting to leave the
// phone, who is typing and who has seen what.
export function Conversation({ slug, id }: { slug: string; id: string }) {
  const [snap, c] = useChat();
  const t = useT();
  const locale = useLocale();
  const { members, conversations, error, offline } = useTeamChats(slug);
  const conv = conversations?.find((x) => x.id === id);
  const end = useRef<HTMLLIElement>(null);

  const lastSeq = conv?.last_seq;
  // The history is asked for at once, not after the conversation list.
  useEffect(() => {
    if (c) void c.open(slug, id, lastSeq);
  }, [c, slug, id, lastSeq]);

  const timeline = snap.timelines.get(id) ?? empty;
  const pending = snap.pending.filter((q) => q.conversation === id && !timeline.messages.some((m) => m.id === q.id));
  const count = timeline.messages.length + pending.length;

  useEffect(() => {
    if (document.visibilityState === "visible") c?.markRead(id);
    end.current?.scrollIntoView({ block: "end" });
  }, [c, id, count]);

  const seenUpTo = Math.max(0, ...[...(snap.receipts.get(id) ?? new Map<string, number>())].filter(([u]) => u !== snap.user).map(([, s]) => s));
  const lastMine = timeline.messages.filter((m) => m.sender_id === snap.user).at(-1)?.seq ?? 0;
  const typing = snap.typing.get(id);
  // A partner conversation: the other side is another business, in its
  // own cell; what it has of this side's messages comes back as receipts.
  const partner = conv?.kind === "partner";
  const delivered = Math.max(conv?.partner_delivered_seq ?? 0, snap.partner.get(id)?.delivered ?? 0);
  const readByPartner = Math.max(conv?.partner_read_seq ?? 0, snap.partner.get(id)?.read ?? 0);
  const undelivered = snap.undelivered.get(id);
  const [allowError, setAllowError] = useState("");
  const status = (seq: number): string => {
    const why = undelivered?.get(seq);
    if (why !== undefined) return t("chat.notDelivered", { why });
    if (readByPartner >= seq) return t("chat.read");
    return delivered >= seq ? t("chat.delivered") : "";
  };

  // allow records the person's consent for their messages to go to the
  // partner's jurisdiction, then sends the refused message again.
  async function allow(message: string) {
    setAllowError("");
    const { error: p, response } = await cell.POST("/v1/t/{tenant}/consents", {
      params: { path: { tenant: slug }, header: { "Idempotency-Key": crypto.randomUUID() } },
      headers: { "X-CSRF-Token": csrfToken() },
      // The cell names the jurisdiction; it is one of the consent's.
      body: { category: "message_content", jurisdiction: (conv?.partner_jurisdiction ?? "") as "NG" | "ZA" | "KE" | "US" | "EU" },
    });
    if (!response.ok) {
      setAllowError(describe(p, response.status));
      return;
    }
    c?.retry(message);
  }

  return (
    <div className="flex min-h-[70dvh] flex-col">
      <p className="mb-2">
        <Link prefetch={false} href={`/app/b/${slug}/chat`} className="text-emerald-800 underline">
          {t("chat.all")}
        </Link>
      </p>
      <h1 className="text-xl font-bold">{conv ? titleOf(conv, members, snap.user, t) : t("chat.default")}</h1>
      <p role="status" className="mb-3 text-sm text-stone-700">
        {t(statusText[snap.status])}
      </p>
      {error || (offline && !conversations) ? (
        <Alert tone="unreachable" className="mb-3">
          {error || t("chat.historyOffline")}
        </Alert>
      ) : null}
      <ol aria-label={t("chat.messages")} className="mb-3 flex grow flex-col gap-2">
        {timeline.messages.map((m) => {
          const mine = m.sender_id === snap.user;
          const said = partner && mine ? status(m.seq ?? 0) : "";
          return (
            <li key={m.seq} className={`max-w-[85%] rounded-2xl px-3 py-2 ${mine ? "ms-auto bg-emerald-100" : "me-auto bg-white ring-1 ring-stone-200"}`}>
              <p dir="auto" className="whitespace-pre-wrap break-words">{m.body}</p>
              <p className="text-xs text-stone-700">
                {mine ? t("chat.you") : m.sender_tenant ? conv?.title || t("chat.someone") : nameOf(members, m.sender_id ?? "", t)} ·{" "}
                <time dateTime={m.created_at}>{shortTime(m.created_at, locale)}</time>
                {said ? ` · ${said}` : ""}
                {!partner && mine && m.seq === lastMine && seenUpTo >= lastMine ? ` · ${t("chat.seen")}` : ""}
              </p>
            </li>
          );
        })}
        {pending.map((q) => (
          <li key={q.id} className="ms-auto max-w-[85%] rounded-2xl bg-emerald-50 px-3 py-2 ring-1 ring-emerald-200 ring-dashed">
            <p dir="auto" className="whitespace-pre-wrap break-words">{q.body}</p>
            <p className="text-xs text-stone-700">
              {q.failed ? t("chat.notSent", { why: q.failed }) : t(snap.status === "live" ? "chat.sending" : "chat.waitingNetwork")}
              {q.failed && q.failedCode === "transfer_refused" && conv?.partner_jurisdiction ? (
                <button type="button" className="ms-2 underline" onClick={() => void allow(q.id)}>
                  {t("chat.allow", { where: regionName(locale, conv.partner_jurisdiction) })}
                </button>
              ) : null}
              {q.failed ? (
                <button type="button" className="ms-2 underline" onClick={() => c?.discard(q.id)}>
                  {t("chat.discard")}
                </button>
              ) : null}
            </p>
          </li>
        ))}
        <li ref={end} aria-hidden="true" className="list-none" />
      </ol>
      {allowError ? (
        <p role="alert" className="text-sm text-red-800">
          {allowError}
        </p>
      ) : null}
      <p aria-live="polite" className="min-h-5 text-sm text-stone-700">
        {typing ? t("chat.typing", { name: nameOf(members, typing.user, t) }) : ""}
      </p>
      {/* Mounted once the page has run in the browser: the draft lives on the device. */}
      {conversations || error || offline ? <Composer key={id} slug={slug} id={id} /> : null}
    </div>
  );
}

// Composer is where a message is typed: the text is kept on the device at
// every keystroke until it is sent, and sending queues it in the outbox.
function Composer({ slug, id }: { slug: string; id: string }) {
  const [, c] = useChat();
  const t = useT();
  const draftKey = `pnc:draft:chat:${id}`;
  const [text, setText] = useState(() => loadDraft(localStorage, draftKey, { text: "" }).text);
  const [sendError, setSendError] = useState("");

  function edit(v: string) {
    setText(v);
    saveDraft(localStorage, draftKey, { text: v });
    if (v) c?.typing(id);
  }

  function send(e: React.FormEvent) {
    e.preventDefault();
    const body = text.trim();
    if (!body || !c) return;
    try {
      c.send(slug, id, body);
    } catch {
      setSendError(t("chat.noSession"));
      return;
    }
    setSendError("");
    setText("");
    clearDraft(localStorage, draftKey);
  }

  return (
    <>
      <form onSubmit={send} className="sticky bottom-0 flex items-end gap-2 bg-stone-50 py-2">
        <label htmlFor="message" className="sr-only">
          {t("chat.message")}
        </label>
        <textarea
          id="message"
          rows={1}
          maxLength={4000}
          value={text}
          onChange={(e) => edit(e.target.value)}
          className={`${inputClass} min-h-11 resize-none`}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) send(e);
          }}
        />
        <button type="submit" className="min-h-11 rounded-full bg-emerald-800 px-4 font-semibold text-white disabled:opacity-60" disabled={!text.trim()}>
          {t("chat.send")}
        </button>
      </form>
      {sendError ? (
        <p role="alert" className="text-sm text-red-800">
          {sendError}
        </p>
      ) : null}
    </>
  );
}

function shortTime(iso: string | undefined, locale: string): string {
  const d = new Date(iso ?? "");
  return Number.isNaN(d.getTime()) ? "" : dateTimeFormat(locale, { timeStyle: "short" }).format(d);
}
