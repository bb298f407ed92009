"use client";

import { useEffect, useState } from "react";
import type { components } from "@/api/cell";
import type { Vars } from "@/i18n/format";
import type { Key } from "@/i18n/messages/en";
import { cell, describe } from "@/lib/session";

type T = (key: Key, vars?: Vars) => string;

type Membership = components["schemas"]["Membership"];
export type Conversation = components["schemas"]["Conversation"];

// useTeamChats reads a business's people and the caller's conversations in
// it, for names and titles; again when the phone is back online, if the
// first read found it offline.
export function useTeamChats(slug: string) {
  const [members, setMembers] = useState<Membership[]>();
  const [conversations, setConversations] = useState<Conversation[]>();
  const [error, setError] = useState("");
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (error !== "offline") return;
    const again = () => setVersion((v) => v + 1);
    window.addEventListener("online", again);
    return () => window.removeEventListener("online", again);
  }, [error]);
  useEffect(() => {
    let live = true;
    void Promise.all([
      cell.GET("/v1/t/{tenant}/members", { params: { path: { tenant: slug } } }),
      cell.GET("/v1/t/{tenant}/conversations", { params: { path: { tenant: slug } } }),
    ])
      .then(([m, c]) => {
        if (!live) return;
        if (!m.data || !c.data) {
          setError(describe(m.error ?? c.error, m.data ? c.response.status : m.response.status));
          return;
        }
        setError("");
        setMembers(m.data.items ?? []);
        setConversations(c.data.items ?? []);
      })
      .catch(() => live && setError("offline"));
    return () => {
      live = false;
    };
  }, [slug, version]);
  return { members, conversations, error };
}

// nameOf is how a person appears in chat: their display name, else email.
export function nameOf(members: Membership[] | undefined, user: string, t: T): string {
  const m = members?.find((x) => x.user_id === user);
  return m?.display_name || m?.email || t("chat.someone");
}

// titleOf names a conversation: its title, else the other members.
export function titleOf(c: Conversation, members: Membership[] | undefined, me: string | undefined, t: T): string {
  if (c.title) return c.title;
  const others = (c.members ?? []).filter((u) => u !== me).map((u) => nameOf(members, u, t));
  return others.length ? others.join(", ") : t("chat.notesToSelf");
}
