"use client";

import type { UserCredential } from "firebase/auth";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useT } from "@/i18n/client";
import type { AuthConfig } from "@/lib/authconfig";
import { useHydrated } from "@/lib/hydrated";
import { firebaseAuth, startSession } from "@/lib/session";
import { CredentialsForm } from "./Credentials";
import { PhoneCode } from "./PhoneCode";
import { authMessage } from "@/lib/autherror";

// SigninForm signs in with email and password, or with a code texted to a
// phone number the account has added, then opens the web session with the
// home cell.
export function SigninForm({ config }: { config: AuthConfig }) {
  const router = useRouter();
  const t = useT();
  const hydrated = useHydrated();
  const [byPhone, setByPhone] = useState(false);
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

  // A number no account has added makes a new Firebase account as it
  // signs in: delete it at once, so nothing is kept about that number.
  async function signedInByPhone(cred: UserCredential) {
    const { deleteUser, getAdditionalUserInfo } = await import("firebase/auth");
    if (getAdditionalUserInfo(cred)?.isNewUser) {
      await deleteUser(cred.user);
      throw new Error(t("phone.noAccount"));
    }
    await startSession(cred.user);
    router.push("/app");
  }

  return (
    <>
      {byPhone ? (
        <PhoneCode
          config={config}
          send={async (auth, phone, verifier) => (await import("firebase/auth")).signInWithPhoneNumber(auth, phone, verifier)}
          done={signedInByPhone}
          confirm={t("signin.title")}
        />
      ) : (
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
      )}
      <p className="mt-4 text-center">
        <button type="button" className="text-emerald-800 underline" disabled={!hydrated} onClick={() => setByPhone(!byPhone)}>
          {t(byPhone ? "phone.byEmail" : "phone.byPhone")}
        </button>
      </p>
    </>
  );
}
