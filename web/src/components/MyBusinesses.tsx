"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { components } from "@/api/cell";
import { useT } from "@/i18n/client";
import type { Key } from "@/i18n/messages/en";
import type { AuthConfig } from "@/lib/authconfig";
import { endChat } from "@/lib/chat";
import { ApiError, must, useQueryClient } from "@/lib/query";
import { cell, csrfToken, describe, firebaseAuth } from "@/lib/session";
import { forgetPublishing } from "@/lib/publishlater";
import { Alert } from "./Alert";

type Me = components["schemas"]["Me"];

// MyBusinesses is the signed-in person's home: who they are, the
// businesses they belong to and their role in each, read from their home
// cell with the session cookie.
export function MyBusinesses({ config }: { config: AuthConfig }) {
  const router = useRouter();
  const t = useT();
  const params = useSearchParams();
  const queries = useQueryClient();
  const q = useQuery({ queryKey: ["me"], queryFn: () => must(cell.GET("/v1/me")) });
  const [signOutError, setSignOutError] = useState("");

  // Not signed in here (or no longer): the sign-in screen.
  const signedOut = q.error instanceof ApiError && (q.error.status === 401 || q.error.status === 404);
  useEffect(() => {
    if (signedOut) router.replace("/signin");
  }, [signedOut, router]);

  async function signOut() {
    const { error, response } = await cell.DELETE("/v1/session", {
      headers: { "X-CSRF-Token": csrfToken() },
      params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    });
    if (error || !response.ok) {
      setSignOutError(describe(error, response.status));
      return;
    }
    endChat();
    forgetPublishing();
    queries.clear();
    const { signOut } = await import("firebase/auth");
    await signOut(await firebaseAuth(config));
    router.replace("/");
  }

  const me: Me | undefined = q.data;
  if (!me && !q.isError) return <p aria-busy="true">{t("loading")}</p>;
  if (!me)
    return (
      <Alert tone="unreachable">
        {t("mine.unreachable")}
      </Alert>
    );
  // Welcomed only when the cell that answered knows the business: the
  // address bar names it, the home cell vouches for it and says where it lives.
  const welcome = (me.memberships ?? []).find((m) => m.tenant_slug === params.get("welcome"))?.tenant_slug;
  return (
    <>
      {welcome ? (
        <p role="status" className="mb-4 rounded-lg bg-emerald-50 p-3 ring-1 ring-emerald-200">
          {t("mine.welcome", { slug: welcome, cell: me.cell ?? "" })}
        </p>
      ) : null}
      <h1 className="mb-1 text-2xl font-bold">{t("mine.title")}</h1>
      <p className="mb-4 text-stone-700">
        {t("mine.signedInAs", { email: me.user?.email ?? "" })}
        {me.cell ? ` · ${t("mine.homeCell", { cell: me.cell })}` : ""}
      </p>
      <ul className="space-y-3" aria-label={t("mine.title")}>
        {(me.memberships ?? []).map((m) => (
          <li key={m.tenant_id} className="rounded-lg bg-white p-3 shadow-sm ring-1 ring-stone-200">
            <span className="block font-semibold">{m.tenant_slug}</span>
            <span className="text-sm text-stone-700">{t(`role.${m.role}` as Key)}</span>
            <span className="mt-2 flex flex-wrap gap-x-4 gap-y-2">
              {m.role !== "viewer" ? (
                <Link prefetch={false} href={`/app/b/${m.tenant_slug}/new`} className="text-emerald-800 underline">
                  {t("mine.newListing")}
                </Link>
              ) : null}
              <Link prefetch={false} href={`/app/b/${m.tenant_slug}/listings`} className="text-emerald-800 underline">
                {t("mine.listings")}
              </Link>
              <Link prefetch={false} href={`/app/b/${m.tenant_slug}/chat`} className="text-emerald-800 underline">
                {t("mine.chats")}
              </Link>
              <Link prefetch={false} href={`/app/b/${m.tenant_slug}/partners`} className="text-emerald-800 underline">
                {t("mine.partners")}
              </Link>
              <Link prefetch={false} href={`/app/b/${m.tenant_slug}/team`} className="text-emerald-800 underline">
                {t("mine.team")}
              </Link>
            </span>
          </li>
        ))}
      </ul>
      {signOutError ? (
        <Alert tone="error" className="mt-4">
          {t("mine.signOutFailed", { why: signOutError })}
        </Alert>
      ) : null}
      <p className="mt-6 flex flex-wrap gap-x-4 gap-y-2">
        <Link prefetch={false} href="/" className="text-emerald-800 underline">
          {t("mine.browse")}
        </Link>
        <Link prefetch={false} href="/app/phone" className="text-emerald-800 underline">
          {t("mine.phone")}
        </Link>
        <button type="button" onClick={() => void signOut()} className="text-emerald-800 underline">
          {t("mine.signOut")}
        </button>
      </p>
    </>
  );
}
