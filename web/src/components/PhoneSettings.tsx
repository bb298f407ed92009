"use client";

import type { User } from "firebase/auth";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useT } from "@/i18n/client";
import type { AuthConfig } from "@/lib/authconfig";
import { phoneMessage } from "@/lib/autherror";
import { ApiError, must } from "@/lib/query";
import { cell, firebaseAuth } from "@/lib/session";
import { Alert } from "./Alert";
import { PhoneCode } from "./PhoneCode";

// PhoneSettings adds a phone number to the signed-in person's account, so
// a code texted to it signs them in, or removes it. The number is kept by
// Firebase Auth with the account, not by any cell.
export function PhoneSettings({ config }: { config: AuthConfig }) {
  const t = useT();
  const me = useQuery({ queryKey: ["me"], queryFn: () => must(cell.GET("/v1/me")) });
  // undefined while Firebase restores its sign-in; null when the browser
  // holds no Firebase sign-in of the person the session cookie is for.
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [phone, setPhone] = useState<string | null>(null);
  const [error, setError] = useState("");
  const uid = me.data?.user?.firebase_uid;

  useEffect(() => {
    if (!uid) return;
    let live = true;
    void (async () => {
      const auth = await firebaseAuth(config);
      await auth.authStateReady();
      const u = auth.currentUser?.uid === uid ? auth.currentUser : null;
      if (!live) return;
      setUser(u);
      setPhone(u?.phoneNumber ?? null);
    })();
    return () => {
      live = false;
    };
  }, [config, uid]);

  async function remove(u: User) {
    setError("");
    try {
      const { unlink } = await import("firebase/auth");
      await unlink(u, "phone");
      setPhone(null);
    } catch (err) {
      setError(phoneMessage(err, t));
    }
  }

  const back = (
    <p className="mt-6">
      <Link prefetch={false} href="/app" className="text-emerald-800 underline">
        {t("phone.back")}
      </Link>
    </p>
  );
  const signedOut = me.error instanceof ApiError && (me.error.status === 401 || me.error.status === 404);
  if (me.isError && !signedOut) return <Alert tone="unreachable">{t("phone.unreachable")}</Alert>;
  if (user === undefined && !signedOut) return <p aria-busy="true">{t("loading")}</p>;
  if (!user)
    return (
      <>
        <p className="mb-3">{t("phone.again")}</p>
        <Link prefetch={false} href="/signin" className="text-emerald-800 underline">
          {t("phone.signIn")}
        </Link>
      </>
    );
  return (
    <>
      {phone ? (
        <>
          <p role="status" className="mb-3 rounded-lg bg-emerald-50 p-3 ring-1 ring-emerald-200">
            {t("phone.linked", { phone })}
          </p>
          {error ? (
            <Alert tone="error" className="mb-3">
              {error}
            </Alert>
          ) : null}
          <button type="button" className="text-emerald-800 underline" onClick={() => void remove(user)}>
            {t("phone.remove")}
          </button>
        </>
      ) : (
        <>
          <p className="mb-4 text-stone-700">{t("phone.why")}</p>
          <PhoneCode
            config={config}
            send={async (_auth, number, verifier) => (await import("firebase/auth")).linkWithPhoneNumber(user, number, verifier)}
            done={async (cred) => setPhone(cred.user.phoneNumber)}
            confirm={t("phone.add")}
          />
        </>
      )}
      {back}
    </>
  );
}
