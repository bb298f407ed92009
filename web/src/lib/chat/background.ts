import { csrfToken } from "@/lib/session";
import type { Queued } from "./outbox";

// handToWorker gives the service worker a copy of what this person has
// queued, and, while the page has no live connection, asks the browser for
// a background sync: the worker then sends the messages when the phone is
// back online, even if the app was closed (src/worker/outbox.ts).
export function handToWorker(entries: readonly Queued[], wantSync: boolean): void {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return;
  void navigator.serviceWorker.ready
    .then(async (reg) => {
      reg.active?.postMessage({
        type: "PNC_OUTBOX",
        csrf: csrfToken(),
        entries: entries.map(({ id, tenant, conversation, body }) => ({ id, tenant, conversation, body })),
      });
      const sync = (reg as ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }).sync;
      if (wantSync && entries.length > 0 && sync) await sync.register("pnc-outbox");
    })
    .catch(() => {
      // No worker or no Background Sync: the page sends them when it is next open and online.
    });
}

// onSentByWorker calls back with the ids the worker stored at the cell.
export function onSentByWorker(f: (ids: string[]) => void): () => void {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return () => {};
  const listen = (e: MessageEvent) => {
    const d = e.data as { type?: string; ids?: string[] } | undefined;
    if (d?.type === "PNC_SENT" && Array.isArray(d.ids)) f(d.ids);
  };
  navigator.serviceWorker.addEventListener("message", listen);
  return () => navigator.serviceWorker.removeEventListener("message", listen);
}
