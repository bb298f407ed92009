import { csrfToken } from "@/lib/session";
import { listingsCache, listingsRecord, listingsSyncTag, type PublishJob, type Published } from "@/worker/listings";

// The page's half of publishing a listing with no connection (the
// worker's is src/worker/listings.ts).

type SyncRegistration = ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } };

// publishLater hands the draft to the service worker and asks for a
// background sync; false where the browser has no worker or no Background
// Sync (the draft then waits on the device for the next Publish).
export async function publishLater(job: Omit<PublishJob, "csrf">): Promise<boolean> {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return false;
  try {
    const reg = (await navigator.serviceWorker.ready) as SyncRegistration;
    if (!reg.active || !reg.sync) return false;
    reg.active.postMessage({ type: "PNC_PUBLISH", job: { ...job, csrf: csrfToken() } });
    await reg.sync.register(listingsSyncTag);
    return true;
  } catch {
    return false;
  }
}

// publishedLater is what the worker published for the draft kept under key.
export async function publishedLater(key: string): Promise<Published | undefined> {
  if (typeof caches === "undefined") return undefined;
  const r = await (await caches.open(listingsCache)).match(listingsRecord);
  if (!r) return undefined;
  return ((await r.json()) as { done?: Record<string, Published> }).done?.[key];
}

// seen tells the worker the page has shown what it published for key.
export function seen(key: string): void {
  void navigator.serviceWorker?.ready.then((reg) => reg.active?.postMessage({ type: "PNC_PUBLISHED_SEEN", forget: key })).catch(() => {});
}

// forgetPublishing empties the worker's record at sign-out: the drafts
// waiting to be published (with the session's CSRF token) and what it
// published.
export function forgetPublishing(): void {
  void navigator.serviceWorker?.ready.then((reg) => reg.active?.postMessage({ type: "PNC_PUBLISH_FORGET" })).catch(() => {});
}

// onPublishedLater calls back when the worker publishes the draft under key.
export function onPublishedLater(key: string, f: (p: Published) => void): () => void {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return () => {};
  const listen = (e: MessageEvent) => {
    const d = e.data as { type?: string; published?: Record<string, Published> } | undefined;
    const p = d?.type === "PNC_PUBLISHED" ? d.published?.[key] : undefined;
    if (p) f(p);
  };
  navigator.serviceWorker.addEventListener("message", listen);
  return () => navigator.serviceWorker.removeEventListener("message", listen);
}
