"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { useT } from "@/i18n/client";
import type { AuthConfig } from "@/lib/authconfig";
import { tokenOf } from "@/lib/invitation";
import { account, cell, describe, startSession } from "@/lib/session";
import { CredentialsForm } from "./Credentials";
import { authMessage } from "@/lib/autherror";

// JoinForm accepts an invitation: the person signs in (or makes their
// account, with the email the invitation was sent to), the business's home
// cell checks the link's token and adds them to the team, and the web
// session opens in their new home.
export function JoinForm({ config, slug, id }: { config: AuthConfig; slug: string; id: string }) {
  const router = useRouter();
  const t = useT();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const token = tokenOf(location.hash);
    if (!token) {
      setError(t("join.incomplete"));
      return;
    }
    setBusy(true);
    setError("");
    try {
      const cred = await account(config, email, password);
      const idToken = await cred.user.getIdToken();
      const { error: p, response } = await cell.POST("/v1/t/{tenant}/invitations/{invitation}/accept", {
        params: { path: { tenant: slug, invitation: id }, header: { "Idempotency-Key": `${id}:${cred.user.uid}` } },
        headers: { Authorization: `Bearer ${idToken}` },
        body: { token },
      });
      if (!response.ok) {
        setError(describe(p, response.status));
        return;
      }
      await openSession(() => startSession(cred.user));
      router.push("/app");
    } catch (err) {
      setError(authMessage(err, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <CredentialsForm
      email={email}
      password={password}
      onEmail={setEmail}
      onPassword={setPassword}
      emailHint={t("join.emailHint")}
      passwordHint={t("join.passwordHint")}
      minLength={8}
      onSubmit={submit}
      error={error}
      busy={busy}
      submit={t(busy ? "join.busy" : "join.submit")}
    />
  );
}

// openSession retries while the router learns which cell is the person's
// new home (the directory hears of the membership within moments), for at
// most about five seconds.
async function openSession(start: () => Promise<void>): Promise<void> {
  for (let wait = 200; ; wait *= 2) {
    try {
      return await start();
    } catch (err) {
      if (wait > 2000) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
