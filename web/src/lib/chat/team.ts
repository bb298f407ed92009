"use client";

import { useEffect, useState } from "react";
import type { components } from "@/api/cell";
import { cell, describe } from "@/lib/session";

type Membership = components["schemas"]["Membership"];
export type Conversation = components["schemas"]["Conversation"];

// useTeamChats reads a business's people and the caller's conversations in
// it, for names and titles; version re-reads them.
export function useTeamChats(slug: string, version = 0) {
  const [members, setMembers] = useState<Membership[]>();
  const [conversations, setConversations] = useState<Conversation[]>();
  const [error, setError] = useState("");
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
export function nameOf(members: Membership[] | undefined, user: string): string {
  const m = members?.find((x) => x.user_id === user);
  return m?.display_name || m?.email || "someone";
}

// titleOf names a conversation: its title, else the other members.
export function titleOf(c: Conversation, members: Membership[] | undefined, me: string | undefined): string {
  if (c.title) return c.title;
  const others = (c.members ?? []).filter((u) => u !== me).map((u) => nameOf(members, u));
  return others.length ? others.join(", ") : "Notes to self";
}
