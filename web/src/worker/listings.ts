/// <reference lib="webworker" />
// The service worker's half of publishing a listing offline: when Publish
// is pressed without a connection, the page hands the worker the draft
// (its fields and the Idempotency-Keys made for it; the photos stay in the
// draft's Cache Storage) and asks for a background sync. When the phone is
// back online — the app open or not — the worker creates the listing,
// uploads the photos in order and publishes it, each request with the
// draft's own key, so whatever the page also sends is done once. What it
// published is recorded for the page to find when it next opens the draft.
import { draftPhotoURL, maxPhotos, photoCache } from "../lib/draft";

declare const self: ServiceWorkerGlobalScope;

export type ListingFields = {
  title: string;
  category: string;
  price: { amount_minor: number; currency: string };
  location: { city: string };
  description?: string;
};

export type PublishJob = {
  key: string; // the draft's key on the device
  tenant: string;
  csrf: string;
  fields: ListingFields;
  createKey: string;
  photoKeys: string[];
  photosSent: number;
  publishKey: string;
  listingId?: string;
};

export type Published = { id: string; country: string };
type Stored = { jobs: PublishJob[]; done: Record<string, Published> };
type SyncEvent = ExtendableEvent & { tag: string };

export const listingsSyncTag = "pnc-listings";
export const listingsCache = "pnc-listings";
export const listingsRecord = "/__pnc/listings"; // never fetched: the worker's own record

async function load(): Promise<Stored> {
  const r = await (await caches.open(listingsCache)).match(listingsRecord);
  return r ? ((await r.json()) as Stored) : { jobs: [], done: {} };
}

async function save(s: Stored): Promise<void> {
  await (await caches.open(listingsCache)).put(listingsRecord, new Response(JSON.stringify(s), { headers: { "Content-Type": "application/json" } }));
}

// A network failure or a busy cell ends the run, and the browser syncs
// again later; the job starts over with the same keys, so what was done is
// not done twice. A refusal (4xx but 429) drops the job: the draft is
// still on the device, and the page shows the refusal when Publish is
// pressed again.
class Retry extends Error {}

async function post(job: PublishJob, path: string, idempotencyKey: string, body?: string | FormData): Promise<Response> {
  let r: Response;
  try {
    r = await fetch(`/v1/t/${encodeURIComponent(job.tenant)}/listings${path}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": job.csrf, "Idempotency-Key": idempotencyKey, ...(typeof body === "string" ? { "Content-Type": "application/json" } : {}) },
      body,
    });
  } catch {
    throw new Retry("no connection");
  }
  if (r.status >= 500 || r.status === 429) throw new Retry(`the cell answered ${r.status}`);
  return r;
}

// run publishes one draft; null when the cell refused it.
async function run(job: PublishJob): Promise<Published | null> {
  if (!job.listingId) {
    const r = await post(job, "", job.createKey, JSON.stringify(job.fields));
    if (!r.ok) return null;
    job = { ...job, listingId: ((await r.json()) as { id: string }).id };
  }
  const photos = await caches.open(photoCache);
  for (let i = job.photosSent; i < job.photoKeys.length; i++) {
    const kept = await photos.match(draftPhotoURL(job.key, i));
    if (kept) {
      const form = new FormData();
      form.append("photo", await kept.blob(), "photo.jpg");
      const r = await post(job, `/${encodeURIComponent(job.listingId!)}/photos`, job.photoKeys[i]!, form);
      if (!r.ok) return null;
    }
    job = { ...job, photosSent: i + 1 };
  }
  const r = await post(job, `/${encodeURIComponent(job.listingId!)}/publish`, job.publishKey);
  if (!r.ok) return null;
  const data = (await r.json()) as { id?: string; country?: string };
  return { id: job.listingId!, country: data.country ?? "" };
}

async function publishAll(): Promise<void> {
  const s = await load();
  let retry = false;
  const published: Record<string, Published> = {};
  const finished = new Set<string>(); // published or refused
  for (const job of s.jobs) {
    try {
      const out = await run(job);
      if (out) published[job.key] = out;
      finished.add(job.key);
    } catch (e) {
      if (!(e instanceof Retry)) throw e;
      retry = true;
    }
  }
  const now = await load(); // the page may have handed over more meanwhile
  await save({ jobs: now.jobs.filter((j) => !finished.has(j.key)), done: { ...now.done, ...published } });
  const photos = await caches.open(photoCache);
  for (const key of Object.keys(published)) for (let i = 0; i < maxPhotos; i++) await photos.delete(draftPhotoURL(key, i));
  for (const c of await self.clients.matchAll({ type: "window" })) c.postMessage({ type: "PNC_PUBLISHED", published });
  if (retry) throw new Error("a listing waits for the next sync");
}

export function listenForListings(): void {
  self.addEventListener("message", (e) => {
    const d = e.data as { type?: string; job?: PublishJob; forget?: string } | undefined;
    if (d?.type === "PNC_PUBLISH" && d.job) {
      const job = d.job;
      e.waitUntil(load().then((s) => save({ ...s, jobs: [...s.jobs.filter((j) => j.key !== job.key), job] })));
    }
    if (d?.type === "PNC_PUBLISH_FORGET") e.waitUntil(caches.open(listingsCache).then((c) => c.delete(listingsRecord)));
    if (d?.type === "PNC_PUBLISHED_SEEN" && d.forget) {
      const key = d.forget;
      e.waitUntil(load().then((s) => save({ ...s, done: Object.fromEntries(Object.entries(s.done).filter(([k]) => k !== key)) })));
    }
  });
  self.addEventListener("sync", (e) => {
    const s = e as SyncEvent;
    if (s.tag === listingsSyncTag) s.waitUntil(publishAll());
  });
}
