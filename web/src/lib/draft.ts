// Drafts live on the device until they are sent, so nothing typed is lost
// to a reload, a crash or a dead connection. A draft also keeps the
// Idempotency-Keys of its requests: a retry after a lost answer repeats
// the same request, which the cell answers once.

export type Store = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export function loadDraft<T extends object>(store: Store, key: string, fallback: T): T {
  try {
    const raw = store.getItem(key);
    if (!raw) return fallback;
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? { ...fallback, ...(v as Partial<T>) } : fallback;
  } catch {
    return fallback; // a damaged draft is dropped, not fatal
  }
}

export function saveDraft(store: Store, key: string, value: object): void {
  try {
    store.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or refused: the form keeps working; only a reload loses it.
  }
}

export function clearDraft(store: Store, key: string): void {
  store.removeItem(key);
}

// A photo chosen for a draft is kept on the device too, in Cache Storage
// (it holds a Blob as it is; localStorage holds only text), so a reload
// does not make the person choose it again. Where Cache Storage is
// missing (an insecure origin), the photo lives as long as the page.
const photoCache = "pnc-drafts";
const photoURL = (key: string) => `/__pnc/draft-photo/${encodeURIComponent(key)}`;

export async function savePhoto(key: string, photo: Blob): Promise<void> {
  if (typeof caches === "undefined") return;
  await (await caches.open(photoCache)).put(photoURL(key), new Response(photo, { headers: { "Content-Type": photo.type || "image/jpeg" } }));
}

export async function loadPhoto(key: string): Promise<Blob | undefined> {
  if (typeof caches === "undefined") return undefined;
  const r = await (await caches.open(photoCache)).match(photoURL(key));
  return r ? r.blob() : undefined;
}

export async function clearPhoto(key: string): Promise<void> {
  if (typeof caches === "undefined") return;
  await (await caches.open(photoCache)).delete(photoURL(key));
}
