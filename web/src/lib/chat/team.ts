"use client";

import { useQuery } from "@tanstack/react-query";
import type { components } from "@/api/cell";
import type { Vars } from "@/i18n/format";
import type { Key } from "@/i18n/messages/en";
import { must } from "@/lib/query";
import { cell } from "@/lib/session";

type T = (key: Key, vars?: Vars) => string;

type Membership = components["schemas"]["Membership"];
export type Conversation = components["schemas"]["Conversation"];

// useTeamChats reads a business's people and the caller's conversations in
// it, for names and titles. Offline, the reads wait (offline is true) and
// run when the phone is back.
export function useTeamChats(slug: string) {
  const members = useQuery({ queryKey: ["members", slug], queryFn: () => must(cell.GET("/v1/t/{tenant}/members", { params: { path: { tenant: slug } } })) });
  const conversations = useQuery({
    queryKey: ["conversations", slug],
    queryFn: () => must(cell.GET("/v1/t/{tenant}/conversations", { params: { path: { tenant: slug } } })),
  });
  const failed = members.error ?? conversations.error;
  return {
    members: members.data?.items,
    conversations: conversations.data?.items,
    offline: members.fetchStatus === "paused" || conversations.fetchStatus === "paused",
    error: failed ? failed.message : "",
  };
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
