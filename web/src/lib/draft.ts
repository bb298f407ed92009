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
