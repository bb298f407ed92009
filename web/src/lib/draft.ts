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

// The photos chosen for a draft are kept on the device too, in Cache
// Storage (it holds a Blob as it is; localStorage holds only text), so a
// reload does not make the person choose them again. Where Cache Storage
// is missing (an insecure origin), the photos live as long as the page.
// A listing has at most this many photos (the cell's rule).
export const maxPhotos = 12;
// draftPhotoURL is where a draft's i-th photo is kept in photoCache (never
// fetched: a name in the cache). The service worker reads them from there
// to publish a draft in the background (src/worker/listings.ts).
export const photoCache = "pnc-drafts";
export const draftPhotoURL = (key: string, i: number) => `/__pnc/draft-photo/${encodeURIComponent(key)}/${i}`;

// savePhotos keeps photos, in order, in place of what was kept before.
export async function savePhotos(key: string, photos: Blob[]): Promise<void> {
  if (typeof caches === "undefined") return;
  const cache = await caches.open(photoCache);
  for (let i = 0; i < maxPhotos; i++) {
    const p = photos[i];
    if (p) await cache.put(draftPhotoURL(key, i), new Response(p, { headers: { "Content-Type": p.type || "image/jpeg" } }));
    else await cache.delete(draftPhotoURL(key, i));
  }
}

export async function loadPhotos(key: string): Promise<Blob[]> {
  if (typeof caches === "undefined") return [];
  const cache = await caches.open(photoCache);
  const out: Blob[] = [];
  for (let i = 0; i < maxPhotos; i++) {
    const r = await cache.match(draftPhotoURL(key, i));
    if (!r) break;
    out.push(await r.blob());
  }
  return out;
}

export function clearPhotos(key: string): Promise<void> {
  return savePhotos(key, []);
}
