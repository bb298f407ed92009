"use client";

import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import type { components } from "@/api/cell";
import { useLocale, useT } from "@/i18n/client";
import { regional } from "@/i18n/locales";
import type { Key } from "@/i18n/messages/en";
import { downscale } from "@/lib/downscale";
import { clearDraft, clearPhotos, loadDraft, loadPhotos, maxPhotos, saveDraft, savePhotos } from "@/lib/draft";
import { formatPrice } from "@/lib/format";
import { categories, currencyOf } from "@/lib/markets";
import { parseMajor } from "@/lib/price";
import { onPublishedLater, publishedLater, publishLater, seen } from "@/lib/publishlater";
import { uploadPhoto } from "@/lib/upload";
import type { Published } from "@/worker/listings";
import { cell, csrfToken, describe } from "@/lib/session";
import { buttonClass, Field, inputClass } from "./Field";
import { ListingFields } from "./ListingFields";
import { Alert } from "./Alert";

type Tenant = components["schemas"]["Tenant"];

type Draft = {
  step: 1 | 2 | 3;
  title: string;
  category: string;
  price: string;
  city: string;
  description: string;
  // Idempotency-Keys, made once per draft, so a retry repeats a request.
  createKey: string;
  // One key per chosen photo, in order; the first photosSent are uploaded.
  photoKeys: string[];
  photosSent: number;
  publishKey: string;
  listingId?: string;
  // The business's currency, kept once the details are done, so a draft
  // resumed with no connection still knows it.
  currency?: string;
};

function fresh(): Draft {
  return { step: 1, title: "", category: "", price: "", city: "", description: "",
    createKey: crypto.randomUUID(), photoKeys: [], photosSent: 0, publishKey: crypto.randomUUID() };
}

// NewListing is creating a listing in three steps — details, photo,
// review — with the draft kept on the device at every keystroke, photos
// downscaled on the phone, and every request sent with the draft's own
// Idempotency-Key, so a retry never makes a second listing.
export function NewListing({ slug }: { slug: string }) {
  const key = `pnc:draft:listing:${slug}`;
  const [draft, setDraftState] = useState<Draft>(fresh);
  const [loaded, setLoaded] = useState(false);
  const [tenant, setTenant] = useState<Tenant>();
  const [photos, setPhotos] = useState<Blob[]>([]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Published>();
  const [queued, setQueued] = useState(false);
  const t = useT();
  const locale = useLocale();

  useEffect(() => {
    // A draft the service worker published while the page was away.
    const finished = (p: Published) => {
      clearDraft(localStorage, key);
      void clearPhotos(key).catch(() => {});
      seen(key);
      setQueued(false);
      setDone(p);
    };
    // The draft is read after the first render: the server renders no
    // device state. The form waits for it (what is typed before would be
    // overwritten), not for the cell.
    const saved = { ...fresh(), ...loadDraft(localStorage, key, fresh()) };
    void loadPhotos(key)
      .catch(() => [] as Blob[])
      .then((kept) => {
        // Photos and their keys go together; a key without its photo (the
        // device dropped the cache) is dropped too.
        const n = Math.min(kept.length, saved.photoKeys.length);
        setDraftState({ ...saved, photoKeys: saved.photoKeys.slice(0, n), photosSent: Math.min(saved.photosSent, n) });
        setPhotos(kept.slice(0, n));
        setLoaded(true);
      });
    // The business's market gives the price its currency.
    void cell.GET("/v1/t/{tenant}", { params: { path: { tenant: slug } } }).then(
      ({ data, error: p, response }) => (data ? setTenant(data) : setError(describe(p, response.status))),
      () => {}, // offline: the banner says so, and the draft is kept
    );
    void publishedLater(key).then((p) => p && finished(p)).catch(() => {});
    return onPublishedLater(key, finished);
  }, [key, slug]);

  const previews = useMemo(() => photos.map((p) => URL.createObjectURL(p)), [photos]);
  useEffect(() => () => previews.forEach((u) => URL.revokeObjectURL(u)), [previews]);

  const currency = tenant?.country ? currencyOf(tenant.country) : (draft.currency ?? "");
  const minor = currency ? parseMajor(draft.price, currency) : null;

  function update(patch: Partial<Draft>) {
    setDraftState((d) => {
      const next = { ...d, ...patch };
      saveDraft(localStorage, key, next);
      return next;
    });
  }

  const detailsError: Key | "" =
    draft.title.trim().length < 3 ? "new.needTitle" : !draft.category ? "new.needCategory" : !currency ? "new.needCurrency" : minor === null ? "new.needPrice" : draft.city.trim() === "" ? "new.needCity" : "";

  // keepPhotos shows photos, with one key each, and keeps them on the device.
  async function keepPhotos(next: Blob[], keys: string[]) {
    setPhotos(next);
    update({ photoKeys: keys });
    await savePhotos(key, next).catch(() => {
      // Storage full or refused: the photos stay until the page closes.
    });
  }

  async function addPhotos(files: File[]) {
    setError("");
    const room = maxPhotos - photos.length;
    if (files.length > room) setError(t("new.tooManyPhotos", { n: maxPhotos }));
    const added: Blob[] = [];
    for (const file of files.slice(0, Math.max(0, room))) {
      try {
        added.push(await downscale(file));
      } catch {
        setError(t("new.photoBad"));
      }
    }
    if (added.length) await keepPhotos([...photos, ...added], [...draft.photoKeys, ...added.map(() => crypto.randomUUID())]);
  }

  // An uploaded photo belongs to the listing in the cell; only the ones not
  // sent yet can be taken away here.
  async function removePhoto(i: number) {
    if (i < draft.photosSent) return;
    await keepPhotos(photos.filter((_, j) => j !== i), draft.photoKeys.filter((_, j) => j !== i));
  }

  async function publish() {
    if (busy || minor === null) return;
    setBusy(true);
    setError("");
    const csrf = { "X-CSRF-Token": csrfToken() };
    const fields = {
      title: draft.title.trim(),
      category: draft.category as (typeof categories)[number],
      price: { amount_minor: minor, currency },
      location: { city: draft.city.trim() },
      ...(draft.description.trim() ? { description: draft.description.trim() } : {}),
    };
    let id = draft.listingId;
    let sent = draft.photosSent;
    try {
      if (!id) {
        const { data, error: p, response } = await cell.POST("/v1/t/{tenant}/listings", {
          params: { path: { tenant: slug }, header: { "Idempotency-Key": draft.createKey } },
          headers: csrf,
          body: fields,
        });
        if (!data?.id) throw new Error(describe(p, response.status));
        id = data.id;
        update({ listingId: id });
      }
      // In order, each with its own key.
      for (let i = sent; i < photos.length; i++) {
        const { error: p, response } = await uploadPhoto(slug, id, photos[i]!, draft.photoKeys[i]!);
        if (!response.ok) throw new Error(describe(p, response.status));
        sent = i + 1;
        update({ photosSent: sent });
      }
      const { data, error: p, response } = await cell.POST("/v1/t/{tenant}/listings/{listing}/publish", {
        params: { path: { tenant: slug, listing: id }, header: { "Idempotency-Key": draft.publishKey } },
        headers: csrf,
      });
      if (!data) throw new Error(describe(p, response.status));
      clearDraft(localStorage, key);
      await clearPhotos(key).catch(() => {});
      setDone({ id, country: data.country ?? tenant?.country ?? "" });
    } catch (err) {
      if (!(err instanceof TypeError)) setError((err as Error).message);
      // No connection: the service worker publishes it when the phone is
      // back, with the same keys, the app open or not.
      else if (await publishLater({ key, tenant: slug, fields, createKey: draft.createKey, photoKeys: draft.photoKeys, photosSent: sent, publishKey: draft.publishKey, listingId: id })) setQueued(true);
      else setError(t("new.offline"));
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return (
      <section role="status" className="rounded-lg bg-emerald-50 p-4 ring-1 ring-emerald-200">
        <h1 className="mb-2 text-xl font-bold">{t("status.published")}</h1>
        <p className="mb-3">{t("new.live", { title: draft.title })}</p>
        <Link prefetch={false} href={`/m/${done.country}/l/${done.id}`} className="text-emerald-800 underline">
          {t("form.see")}
        </Link>
      </section>
    );
  }
  // The server renders the first step, disabled until the draft is read,
  // so the form shows before its scripts arrive on a slow network.
  return (
    <>
      <h1 className="mb-1 text-2xl font-bold">{t("new.title")}</h1>
      <p className="mb-4 text-stone-700">
        {t("new.step", { step: draft.step, slug })} · {t("form.kept")}
      </p>
      <fieldset disabled={!loaded} aria-busy={!loaded}>
        {draft.step === 1 ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (!detailsError) update({ step: 2, currency });
            }}
          >
            <ListingFields values={draft} currency={currency} priceInvalid={currency !== "" && minor === null} onChange={update} />
            <button type="submit" className={buttonClass} disabled={detailsError !== ""} aria-describedby={detailsError ? "details-missing" : undefined}>
              {t("new.nextPhoto")}
            </button>
            {detailsError ? (
              <p id="details-missing" className="mt-2 text-sm text-stone-700">
                {t("new.needed", { what: t(detailsError) })}
              </p>
            ) : null}
          </form>
        ) : null}
        {draft.step === 2 ? (
          <div>
            <Field id="photo" label={t("new.photo")} hint={t("new.photoHint")}>
              <input
                id="photo"
                type="file"
                multiple
                accept="image/jpeg,image/png,image/webp"
                className={inputClass}
                disabled={photos.length >= maxPhotos}
                onChange={(e) => {
                  const files = [...(e.target.files ?? [])];
                  e.target.value = ""; // the same photo can be chosen again after a removal
                  void addPhotos(files);
                }}
                aria-describedby="photo-hint"
              />
            </Field>
            {photos.length ? (
              <ul className="mb-3 grid grid-cols-3 gap-2" aria-label={t("edit.photos")}>
                {previews.map((url, i) => (
                  <li key={url} className="flex flex-col gap-1">
                    {/* eslint-disable-next-line @next/next/no-img-element -- a local preview of the downscaled photo */}
                    <img src={url} alt={t("new.photoAlt")} className="aspect-square w-full rounded object-cover" />
                    {i >= draft.photosSent ? (
                      <button type="button" className="text-sm text-red-800 underline" onClick={() => void removePhoto(i)}>
                        {t("edit.removePhoto", { n: i + 1 })}
                      </button>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : null}
            <div className="flex gap-3">
              <button type="button" className="w-1/3 rounded-full px-4 py-3 ring-1 ring-stone-300" onClick={() => update({ step: 1 })}>
                {t("new.back")}
              </button>
              <button type="button" className={buttonClass} onClick={() => update({ step: 3 })}>
                {t("new.nextReview")}
              </button>
            </div>
          </div>
        ) : null}
        {draft.step === 3 ? (
          <div>
            <dl className="mb-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
              <dt className="text-stone-700">{t("form.title")}</dt>
              <dd>{draft.title}</dd>
              <dt className="text-stone-700">{t("listing.category")}</dt>
              <dd>{draft.category ? t(`category.${draft.category}` as Key) : ""}</dd>
              <dt className="text-stone-700">{t("form.priceLabel")}</dt>
              <dd>{minor !== null ? formatPrice(minor, currency, regional(locale, tenant?.country ?? "US")) : "—"}</dd>
              <dt className="text-stone-700">{t("form.where")}</dt>
              <dd>{draft.city}</dd>
              <dt className="text-stone-700">{t("edit.photos")}</dt>
              <dd>{t("new.photos", { n: photos.length })}</dd>
            </dl>
            <div className="flex gap-3">
              <button type="button" className="w-1/3 rounded-full px-4 py-3 ring-1 ring-stone-300" onClick={() => update({ step: 2 })} disabled={busy}>
                {t("new.back")}
              </button>
              <button type="button" className={buttonClass} onClick={() => void publish()} disabled={busy || detailsError !== ""}>
                {t(busy ? "form.publishing" : "form.publish")}
              </button>
            </div>
          </div>
        ) : null}
      </fieldset>
      {queued ? (
        <p role="status" className="mt-3 rounded-lg bg-amber-100 p-3">
          {t("new.queued")}
        </p>
      ) : null}
      {error ? (
        <Alert tone="error" className="mt-3">
          {error}
        </Alert>
      ) : null}
    </>
  );
}
