"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { useChat } from "@/lib/chat";
import { empty } from "@/lib/chat/timeline";
import { nameOf, titleOf, useTeamChats } from "@/lib/chat/team";
import { clearDraft, loadDraft, saveDraft } from "@/lib/draft";
import { inputClass } from "./Field";

const statusText = {
  connecting: "Connecting…",
  live: "Live",
  waiting: "Reconnecting…",
  offline: "Offline: what you send waits on this phone and leaves when you are back.",
} as const;

// Conversation is one chat: its history, live messages as they are
// stored, what this person typed and is still waiting to leave the
// phone, who is typing and who has seen what.
export function Conversation({ slug, id }: { slug: string; id: string }) {
  const [snap, c] = useChat();
  const { members, conversations, error } = useTeamChats(slug);
  const conv = conversations?.find((x) => x.id === id);
  const end = useRef<HTMLLIElement>(null);

  const lastSeq = conv?.last_seq;
  useEffect(() => {
    if (c && lastSeq !== undefined) void c.open(slug, id, lastSeq);
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

  return (
    <div className="flex min-h-[70dvh] flex-col">
      <p className="mb-2">
        <Link href={`/app/b/${slug}/chat`} className="text-emerald-800 underline">
          All chats
        </Link>
      </p>
      <h1 className="text-xl font-bold">{conv ? titleOf(conv, members, snap.user) : "Chat"}</h1>
      <p role="status" className="mb-3 text-sm text-stone-700">
        {statusText[snap.status]}
      </p>
      {error ? (
        <p role="alert" className="mb-3 rounded bg-amber-100 p-3">
          {error === "offline" ? "This conversation's history cannot be reached right now." : error}
        </p>
      ) : null}
      <ol aria-label="Messages" className="mb-3 flex grow flex-col gap-2">
        {timeline.messages.map((m) => {
          const mine = m.sender_id === snap.user;
          return (
            <li key={m.seq} className={`max-w-[85%] rounded-2xl px-3 py-2 ${mine ? "ms-auto bg-emerald-100" : "me-auto bg-white ring-1 ring-stone-200"}`}>
              <p className="whitespace-pre-wrap break-words">{m.body}</p>
              <p className="text-xs text-stone-700">
                {mine ? "You" : nameOf(members, m.sender_id ?? "")} · <time dateTime={m.created_at}>{shortTime(m.created_at)}</time>
                {mine && m.seq === lastMine && seenUpTo >= lastMine ? " · Seen" : ""}
              </p>
            </li>
          );
        })}
        {pending.map((q) => (
          <li key={q.id} className="ms-auto max-w-[85%] rounded-2xl bg-emerald-50 px-3 py-2 ring-1 ring-emerald-200 ring-dashed">
            <p className="whitespace-pre-wrap break-words">{q.body}</p>
            <p className="text-xs text-stone-700">
              {q.failed ? `Not sent: ${q.failed}` : snap.status === "live" ? "Sending…" : "Waiting for the network"}
              {q.failed ? (
                <button type="button" className="ms-2 underline" onClick={() => c?.discard(q.id)}>
                  Discard
                </button>
              ) : null}
            </p>
          </li>
        ))}
        <li ref={end} aria-hidden="true" className="list-none" />
      </ol>
      <p aria-live="polite" className="min-h-5 text-sm text-stone-700">
        {typing ? `${nameOf(members, typing.user)} is typing…` : ""}
      </p>
      {/* Mounted once the page has run in the browser: the draft lives on the device. */}
      {conversations || error ? <Composer key={id} slug={slug} id={id} /> : null}
    </div>
  );
}

// Composer is where a message is typed: the text is kept on the device at
// every keystroke until it is sent, and sending queues it in the outbox.
function Composer({ slug, id }: { slug: string; id: string }) {
  const [, c] = useChat();
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
      setSendError("Not sent: this phone has not reached your cell yet. Go online once, then send.");
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
          Message
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
          Send
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

function shortTime(iso: string | undefined): string {
  const d = new Date(iso ?? "");
  return Number.isNaN(d.getTime()) ? "" : new Intl.DateTimeFormat(undefined, { timeStyle: "short" }).format(d);
}
