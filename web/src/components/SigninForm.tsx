"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { useT } from "@/i18n/client";
import type { AuthConfig } from "@/lib/authconfig";
import { firebaseAuth, startSession } from "@/lib/session";
import { CredentialsForm } from "./Credentials";
import { authMessage } from "./SignupForm";

// SigninForm signs in with email and password, then opens the web session
// with the home cell.
export function SigninForm({ config }: { config: AuthConfig }) {
  const router = useRouter();
  const t = useT();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const auth = await firebaseAuth(config);
      const { signInWithEmailAndPassword } = await import("firebase/auth");
      const cred = await signInWithEmailAndPassword(auth, email, password);
      await startSession(cred.user);
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
      onSubmit={submit}
      error={error}
      busy={busy}
      submit={t(busy ? "signin.busy" : "signin.title")}
    />
  );
}
