// How the browser reaches Firebase Auth: read by the server at request
// time (so one build serves every environment) and handed to the sign-in
// screens. None of it is secret: a web app's Firebase config is public.
export type AuthConfig = { apiKey: string; projectId: string; emulatorHost?: string };

export function authConfig(): AuthConfig {
  const projectId = process.env.FIREBASE_PROJECT_ID ?? "demo-pushnchat";
  return {
    apiKey: process.env.FIREBASE_API_KEY ?? "demo-api-key",
    projectId,
    emulatorHost: process.env.FIREBASE_AUTH_EMULATOR_HOST || undefined,
  };
}
