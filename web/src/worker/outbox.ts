/// <reference lib="webworker" />
// The service worker's half of the chat outbox: the page hands it what is
// queued (each message with the id made on the device) and asks for a
// background sync while it has no connection; when the browser is back
// online — the app open or not — the worker sends each message over REST
// with its own id. The cell stores an id once, so a message the page also
// sends on its WebSocket is still stored once.

declare const self: ServiceWorkerGlobalScope;

type Entry = { id: string; tenant: string; conversation: string; body: string };
type Stored = { csrf: string; entries: Entry[] };
type SyncEvent = ExtendableEvent & { tag: string };

export const syncTag = "pnc-outbox";
const cacheName = "pnc-outbox";
const key = "/__pnc/outbox"; // never fetched: the worker's own record

async function load(): Promise<Stored> {
  const r = await (await caches.open(cacheName)).match(key);
  return r ? ((await r.json()) as Stored) : { csrf: "", entries: [] };
}

async function save(s: Stored): Promise<void> {
  await (await caches.open(cacheName)).put(key, new Response(JSON.stringify(s), { headers: { "Content-Type": "application/json" } }));
}

// send posts the queued messages in order. A message the cell stored
// (201, or 200 for an id it already held) leaves the queue; one it refused
// for good stays for the page to show; a network failure or a busy cell
// ends the run with an error, so the browser retries the sync later.
async function send(): Promise<void> {
  const s = await load();
  const sent: string[] = [];
  let retry = false;
  for (const q of s.entries) {
    try {
      const r = await fetch(`/v1/t/${encodeURIComponent(q.tenant)}/conversations/${encodeURIComponent(q.conversation)}/messages`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": s.csrf },
        body: JSON.stringify({ id: q.id, body: q.body }),
      });
      if (r.ok) sent.push(q.id);
      else if (r.status >= 500 || r.status === 429) retry = true;
    } catch {
      retry = true;
      break;
    }
  }
  const now = await load(); // the page may have handed over more meanwhile
  await save({ ...now, entries: now.entries.filter((e) => !sent.includes(e.id)) });
  for (const c of await self.clients.matchAll({ type: "window" })) c.postMessage({ type: "PNC_SENT", ids: sent });
  if (retry) throw new Error("the outbox waits for the next sync");
}

export function listenForOutbox(): void {
  self.addEventListener("message", (e) => {
    const d = e.data as { type?: string; csrf?: string; entries?: Entry[] } | undefined;
    if (d?.type === "PNC_OUTBOX") e.waitUntil(save({ csrf: d.csrf ?? "", entries: d.entries ?? [] }));
  });
  self.addEventListener("sync", (e) => {
    const s = e as SyncEvent;
    if (s.tag === syncTag) s.waitUntil(send());
  });
}
