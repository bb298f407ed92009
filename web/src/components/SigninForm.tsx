"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { useT } from "@/i18n/client";
import type { AuthConfig } from "@/lib/authconfig";
import { useHydrated } from "@/lib/hydrated";
import { firebaseAuth, startSession } from "@/lib/session";
import { Credentials } from "./Credentials";
import { buttonClass } from "./Field";
import { authMessage } from "./SignupForm";
import { Alert } from "./Alert";

// SigninForm signs in with email and password, then opens the web session
// with the home cell.
export function SigninForm({ config }: { config: AuthConfig }) {
  const router = useRouter();
  const t = useT();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();

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
    <form onSubmit={submit}>
      <fieldset disabled={!hydrated}>
        <Credentials email={email} password={password} onEmail={setEmail} onPassword={setPassword} />
        {error ? (
          <Alert tone="error" className="mb-3">
            {error}
          </Alert>
        ) : null}
        <button type="submit" className={buttonClass} disabled={busy}>
          {t(busy ? "signin.busy" : "signin.title")}
        </button>
      </fieldset>
    </form>
  );
}
