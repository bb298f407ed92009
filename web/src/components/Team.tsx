"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { components } from "@/api/cell";
import { cell, csrfToken, describe } from "@/lib/session";
import { useT } from "@/i18n/client";
import type { Key } from "@/i18n/messages/en";
import { joinLink } from "@/lib/invitation";
import { must, useQueryClient } from "@/lib/query";
import { buttonClass, Field, inputClass } from "./Field";
import { Alert } from "./Alert";

type Membership = components["schemas"]["Membership"];
type Invitation = components["schemas"]["Invitation"];
type Role = components["schemas"]["Role"];

const assignable: Role[] = ["admin", "member", "viewer"];

// write is what every change sends: the CSRF token of the web session and
// an Idempotency-Key of its own.
function write() {
  return { headers: { "X-CSRF-Token": csrfToken() }, key: crypto.randomUUID() };
}

// Team is a business's people: their roles, changed or removed by admins,
// and invitations by email. The cell decides who may do what; the screen
// shows its answer when it refuses.
export function Team({ slug }: { slug: string }) {
  const t = useT();
  const queries = useQueryClient();
  const membersQ = useQuery({ queryKey: ["members", slug], queryFn: () => must(cell.GET("/v1/t/{tenant}/members", { params: { path: { tenant: slug } } })) });
  // Only admins may read invitations; for others the list stays empty.
  const invitationsQ = useQuery({
    queryKey: ["invitations", slug],
    queryFn: () => must(cell.GET("/v1/t/{tenant}/invitations", { params: { path: { tenant: slug } } })),
  });
  const members: Membership[] | undefined = membersQ.data?.items;
  const invitations: Invitation[] = (invitationsQ.data?.items ?? []).filter((x) => x.status === "pending");
  const [actionError, setError] = useState("");
  const error = actionError || (membersQ.error?.message ?? "");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<"admin" | "member" | "viewer">("member");
  const [link, setLink] = useState<{ email: string; url: string }>();

  // Every change reads the team again from the cell.
  const reload = () => {
    void queries.invalidateQueries({ queryKey: ["members", slug] });
    void queries.invalidateQueries({ queryKey: ["invitations", slug] });
  };

  async function changeRole(m: Membership, to: Role) {
    setError("");
    const w = write();
    const { error: p, response } = await cell.PATCH("/v1/t/{tenant}/members/{user}", {
      params: { path: { tenant: slug, user: m.user_id ?? "" }, header: { "Idempotency-Key": w.key } },
      headers: w.headers,
      body: { role: to },
    });
    if (!response.ok) setError(describe(p, response.status));
    reload();
  }

  async function remove(m: Membership) {
    if (!window.confirm(t("team.removeConfirm", { who: m.email ?? m.display_name ?? "", slug }))) return;
    setError("");
    const w = write();
    const { error: p, response } = await cell.DELETE("/v1/t/{tenant}/members/{user}", {
      params: { path: { tenant: slug, user: m.user_id ?? "" }, header: { "Idempotency-Key": w.key } },
      headers: w.headers,
    });
    if (!response.ok) setError(describe(p, response.status));
    reload();
  }

  async function invite(e: React.FormEvent) {
    e.preventDefault();
    setError("");
    const w = write();
    const { data, error: p, response } = await cell.POST("/v1/t/{tenant}/invitations", {
      params: { path: { tenant: slug }, header: { "Idempotency-Key": w.key } },
      headers: w.headers,
      body: { email: email.trim(), role },
    });
    if (!data?.id || !data.token) setError(describe(p, response.status));
    else {
      setLink({ email: email.trim(), url: joinLink(location.origin, slug, data.id, data.token) });
      setEmail("");
    }
    reload();
  }

  async function revoke(inv: Invitation) {
    setError("");
    const w = write();
    const { error: p, response } = await cell.DELETE("/v1/t/{tenant}/invitations/{invitation}", {
      params: { path: { tenant: slug, invitation: inv.id ?? "" }, header: { "Idempotency-Key": w.key } },
      headers: w.headers,
    });
    if (!response.ok) setError(describe(p, response.status));
    reload();
  }

  return (
    <>
      <h1 className="mb-1 text-2xl font-bold">{t("team.title")}</h1>
      <p className="mb-4 text-stone-700">{slug}</p>
      {error ? (
        <Alert tone="error" className="mb-3">
          {error}
        </Alert>
      ) : null}
      {!members ? (
        <p aria-busy="true">{t("loading")}</p>
      ) : (
        <ul className="mb-6 space-y-3" aria-label={t("team.members")}>
          {members.map((m) => (
            <li key={m.user_id} className="rounded-lg bg-white p-3 shadow-sm ring-1 ring-stone-200">
              <span className="block break-all font-semibold">{m.display_name || m.email}</span>
              {m.display_name ? <span className="block break-all text-sm text-stone-700">{m.email}</span> : null}
              {m.role === "owner" ? (
                <span className="text-sm">{t("role.owner")}</span>
              ) : (
                <div className="mt-2 flex items-center gap-3">
                  <label className="sr-only" htmlFor={`role-${m.user_id}`}>
                    {t("team.roleOf", { email: m.email ?? "" })}
                  </label>
                  <select
                    id={`role-${m.user_id}`}
                    className="rounded-lg bg-white px-2 py-1 ring-1 ring-stone-300"
                    value={m.role}
                    onChange={(e) => void changeRole(m, e.target.value as Role)}
                  >
                    {assignable.map((r) => (
                      <option key={r} value={r}>
                        {t(`role.${r}` as Key)}
                      </option>
                    ))}
                  </select>
                  <button type="button" className="text-red-800 underline" onClick={() => void remove(m)}>
                    {t("team.remove")}
                    <span className="sr-only"> {m.email}</span>
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <h2 className="mb-2 text-xl font-semibold">{t("team.invite")}</h2>
      <form onSubmit={invite} className="mb-6">
        <Field id="invite-email" label={t("signin.email")}>
          <input id="invite-email" type="email" className={inputClass} value={email} onChange={(e) => setEmail(e.target.value)} required />
        </Field>
        <Field id="invite-role" label={t("team.role")}>
          <select id="invite-role" className={inputClass} value={role} onChange={(e) => setRole(e.target.value as typeof role)}>
            {assignable.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}` as Key)}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" className={buttonClass}>
          {t("team.inviteButton")}
        </button>
      </form>
      {link ? (
        <div role="status" className="mb-6 rounded-lg bg-emerald-50 p-3 ring-1 ring-emerald-200">
          <p className="mb-2">
            {t("team.linkSay", { email: link.email })}
          </p>
          <label htmlFor="invite-link" className="sr-only">
            {t("team.link")}
          </label>
          <input id="invite-link" readOnly value={link.url} className={`${inputClass} text-sm`} onFocus={(e) => e.target.select()} />
          {typeof navigator !== "undefined" && "share" in navigator ? (
            <button type="button" className="mt-2 text-emerald-800 underline" onClick={() => void navigator.share({ url: link.url }).catch(() => {})}>
              {t("team.share")}
            </button>
          ) : null}
        </div>
      ) : null}
      {invitations.length > 0 ? (
        <>
          <h2 className="mb-2 text-xl font-semibold">{t("team.waiting")}</h2>
          <ul className="space-y-2" aria-label={t("team.invitations")}>
            {invitations.map((inv) => (
              <li key={inv.id} className="flex items-center justify-between gap-3 rounded-lg bg-white p-3 ring-1 ring-stone-200">
                <span className="min-w-0 break-all">
                  {inv.email} · {t(`role.${inv.role}` as Key)}
                </span>
                <button type="button" className="shrink-0 text-red-800 underline" onClick={() => void revoke(inv)}>
                  {t("team.revoke")}
                  <span className="sr-only"> {t("team.revokeWho", { email: inv.email ?? "" })}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}
