"use client";

import type { Auth, User, UserCredential } from "firebase/auth";
import createClient from "openapi-fetch";
import type { paths as cellPaths } from "@/api/cell";
import type { components, paths as cpPaths } from "@/api/controlplane";
import type { AuthConfig } from "./authconfig";

// The browser's API clients: the page's own origin, where the router
// sends /v1/… to the home cell or the control plane.
export const cell = createClient<cellPaths>({ baseUrl: "", credentials: "same-origin" });
export const controlPlane = createClient<cpPaths>({ baseUrl: "" });

export type Problem = components["schemas"]["Problem"];

let auth: Promise<Auth> | undefined;

// firebaseAuth loads Firebase Auth on the screens that sign in only, so
// the market pages never pay for it.
export function firebaseAuth(cfg: AuthConfig): Promise<Auth> {
  auth ??= (async () => {
    const [{ initializeApp }, { getAuth, connectAuthEmulator }] = await Promise.all([import("firebase/app"), import("firebase/auth")]);
    const app = initializeApp({ apiKey: cfg.apiKey, projectId: cfg.projectId, authDomain: `${cfg.projectId}.firebaseapp.com` });
    const a = getAuth(app);
    if (cfg.emulatorHost) connectAuthEmulator(a, `http://${cfg.emulatorHost}`, { disableWarnings: true });
    return a;
  })();
  return auth;
}

// account makes the person's Firebase account, or signs into it when it
// exists already (a sign-up or a join interrupted after it): the same
// password continues where they were.
export async function account(cfg: AuthConfig, email: string, password: string): Promise<UserCredential> {
  const auth = await firebaseAuth(cfg);
  const { createUserWithEmailAndPassword, signInWithEmailAndPassword } = await import("firebase/auth");
  try {
    return await createUserWithEmailAndPassword(auth, email, password);
  } catch (err) {
    if ((err as { code?: string }).code !== "auth/email-already-in-use") throw err;
    return signInWithEmailAndPassword(auth, email, password);
  }
}

// startSession trades a fresh ID token for the web session: an HTTP-only
// cookie set by the home cell (the router finds it from the token), and
// the CSRF token that cookie-authenticated writes must echo.
export async function startSession(user: User): Promise<void> {
  const idToken = await user.getIdToken(true);
  const { error, response } = await cell.POST("/v1/session", { body: { id_token: idToken } });
  if (error) throw new Error(describe(error, response.status));
}

export function describe(p: Problem | unknown, status: number): string {
  const pr = p as Partial<Problem> | undefined;
  const fields = pr?.errors?.map((e) => `${e.field}: ${e.detail}`).join("; ");
  return fields || pr?.detail || pr?.title || `the request failed (${status})`;
}

// slugFor suggests a business's address from its name: lower-case ASCII
// letters, digits and inner hyphens, 3-40 characters (the directory's rule).
export function slugFor(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/g, "");
}

// csrfToken is the pnc_csrf cookie, which cookie-authenticated writes echo
// in X-CSRF-Token.
export function csrfToken(): string {
  return document.cookie.split("; ").find((c) => c.startsWith("pnc_csrf="))?.slice("pnc_csrf=".length) ?? "";
}
