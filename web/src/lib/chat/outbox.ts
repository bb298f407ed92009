import type { Store } from "../draft";

// A message typed on this device and not yet acknowledged by the cell.
// Its id is fixed when it is typed; the cell stores an id once, so
// sending it again after a lost answer, a reload or a day offline never
// makes a second message.
export type Queued = {
  id: string;
  user: string; // who typed it: only their session may send it
  tenant: string;
  conversation: string;
  body: string;
  queuedAt: string;
  failed?: string; // why the cell refused it (shown; sent again only when the person retries)
  failedCode?: string; // the refusal's error code (docs/realtime.md)
};

const key = "pnc.outbox.v1";

// Outbox is the device's send queue, kept in storage at every change so a
// reload or a crash loses nothing typed. Entries leave it only when the
// cell acknowledges them (or the person discards a refused one).
export class Outbox {
  constructor(private readonly store: Store) {}

  all(): Queued[] {
    try {
      const v = JSON.parse(this.store.getItem(key) ?? "[]") as unknown;
      return Array.isArray(v) ? (v as Queued[]).filter((q) => q && typeof q.id === "string" && typeof q.conversation === "string") : [];
    } catch {
      return [];
    }
  }

  of(conversation: string): Queued[] {
    return this.all().filter((q) => q.conversation === conversation);
  }

  // sendable is what a session of user may send now, oldest first.
  sendable(user: string): Queued[] {
    return this.all().filter((q) => q.user === user && !q.failed);
  }

  add(q: Queued): void {
    const all = this.all();
    if (!all.some((x) => x.id === q.id)) this.save([...all, q]);
  }

  fail(id: string, why: string, code?: string): void {
    this.save(this.all().map((q) => (q.id === id ? { ...q, failed: why, failedCode: code } : q)));
  }

  // retry makes a refused entry sendable again.
  retry(id: string): void {
    this.save(this.all().map((q) => (q.id === id ? { ...q, failed: undefined, failedCode: undefined } : q)));
  }

  // remove drops an entry once the cell holds it; true if it was here.
  remove(id: string): boolean {
    const all = this.all();
    const rest = all.filter((q) => q.id !== id);
    if (rest.length === all.length) return false;
    this.save(rest);
    return true;
  }

  clear(): void {
    this.store.removeItem(key);
  }

  private save(all: Queued[]): void {
    if (all.length === 0) {
      this.store.removeItem(key);
      return;
    }
    // A full store throws: the caller shows the message as not kept.
    this.store.setItem(key, JSON.stringify(all));
  }
}
