"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import type { components } from "@/api/cell";
import { useT } from "@/i18n/client";
import { downscale } from "@/lib/downscale";
import { clearDraft, loadDraft, saveDraft } from "@/lib/draft";
import { categories } from "@/lib/markets";
import { parseMajor, toMajor } from "@/lib/price";
import { uploadPhoto } from "@/lib/upload";
import { cell, csrfToken, describe } from "@/lib/session";
import { buttonClass, Field, inputClass } from "./Field";
import { type ListingDetails, ListingFields } from "./ListingFields";
import { Alert } from "./Alert";

type Listing = components["schemas"]["Listing"];

// An edit in progress, kept on the device: the fields, the ETag of the
// listing they were read from (a save must not overwrite someone else's
// change), and the save's Idempotency-Key.
type Edit = ListingDetails & { etag: string; key: string };

function editOf(l: Listing, etag: string): Edit {
  return {
    title: l.title ?? "",
    category: l.category ?? "",
    price: l.price ? toMajor(l.price.amount_minor, l.price.currency) : "",
    city: l.location?.city ?? "",
    description: l.description ?? "",
    etag,
    key: crypto.randomUUID(),
  };
}

// EditListing changes a listing's details, publishes or unpublishes it.
// Every keystroke is kept on the device until the cell has the change;
// the cell refuses a save based on an older version (412), and the screen
// then offers the latest without losing what was typed.
export function EditListing({ slug, id }: { slug: string; id: string }) {
  const key = `pnc:draft:edit:${id}`;
  const [listing, setListing] = useState<Listing>();
  const [edit, setEdit] = useState<Edit>();
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [stale, setStale] = useState(false);
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState(0);
  const t = useT();

  useEffect(() => {
    let live = true;
    void cell
      .GET("/v1/t/{tenant}/listings/{listing}", { params: { path: { tenant: slug, listing: id } } })
      .then(({ data, error: p, response }) => {
        if (!live) return;
        if (!data) {
          setError(describe(p, response.status));
          return;
        }
        const fresh = editOf(data, response.headers.get("ETag") ?? "");
        setListing(data);
        // A draft of an earlier visit wins over what the cell holds: it is
        // what the person typed.
        setEdit(version === 0 ? loadDraft(localStorage, key, fresh) : fresh);
      })
      .catch(() => live && setError(t("edit.unreachable")));
    return () => {
      live = false;
    };
  }, [slug, id, key, version, t]);

  const currency = listing?.price?.currency ?? "USD";
  const minor = edit ? parseMajor(edit.price, currency) : null;

  function update(patch: Partial<Edit>) {
    setEdit((e) => {
      if (!e) return e;
      const next = { ...e, ...patch };
      saveDraft(localStorage, key, next);
      return next;
    });
  }

  async function save(e: React.FormEvent) {
    e.preventDefault();
    if (!edit || busy || minor === null) return;
    setBusy(true);
    setError("");
    setNotice("");
    try {
      const { data, error: p, response } = await cell.PATCH("/v1/t/{tenant}/listings/{listing}", {
        params: { path: { tenant: slug, listing: id }, header: { "Idempotency-Key": edit.key, "If-Match": edit.etag } },
        headers: { "X-CSRF-Token": csrfToken() },
        body: {
          title: edit.title.trim(),
          category: edit.category as (typeof categories)[number],
          price: { amount_minor: minor, currency },
          location: { ...listing?.location, city: edit.city.trim() },
          description: edit.description.trim(),
        },
      });
      if (response.status === 412) {
        setStale(true);
        setError(t("edit.stale"));
        return;
      }
      if (!data) {
        setError(describe(p, response.status));
        return;
      }
      clearDraft(localStorage, key);
      setListing(data);
      setEdit(editOf(data, response.headers.get("ETag") ?? ""));
      setNotice(t("edit.saved"));
    } catch {
      setError(t("edit.offline"));
    } finally {
      setBusy(false);
    }
  }

  // reread takes the listing's photos and ETag from the cell after a photo
  // changed, keeping what the person has typed.
  async function reread() {
    const { data, response } = await cell.GET("/v1/t/{tenant}/listings/{listing}", { params: { path: { tenant: slug, listing: id } } });
    if (!data) return;
    setListing(data);
    update({ etag: response.headers.get("ETag") ?? edit?.etag ?? "" });
  }

  async function addPhoto(file: File | undefined) {
    if (!file || busy) return;
    setBusy(true);
    setError("");
    setNotice("");
    try {
      const { error: p, response } = await uploadPhoto(slug, id, await downscale(file), crypto.randomUUID());
      if (!response.ok) setError(describe(p, response.status));
      else await reread();
    } catch (err) {
      setError(err instanceof TypeError ? t("auth.offline") : t("new.photoBad"));
    } finally {
      setBusy(false);
    }
  }

  async function removePhoto(photo: string) {
    if (busy) return;
    setBusy(true);
    setError("");
    setNotice("");
    try {
      const { error: p, response } = await cell.DELETE("/v1/t/{tenant}/listings/{listing}/photos/{photo}", {
        params: { path: { tenant: slug, listing: id, photo }, header: { "Idempotency-Key": crypto.randomUUID() } },
        headers: { "X-CSRF-Token": csrfToken() },
      });
      if (!response.ok) setError(describe(p, response.status));
      else await reread();
    } catch {
      setError(t("auth.offline"));
    } finally {
      setBusy(false);
    }
  }

  async function transition(action: "publish" | "unpublish") {
    if (!edit || busy) return;
    setBusy(true);
    setError("");
    setNotice("");
    const path = action === "publish" ? "/v1/t/{tenant}/listings/{listing}/publish" : "/v1/t/{tenant}/listings/{listing}/unpublish";
    try {
      const { data, error: p, response } = await cell.POST(path, {
        params: { path: { tenant: slug, listing: id }, header: { "Idempotency-Key": crypto.randomUUID() } },
        headers: { "X-CSRF-Token": csrfToken() },
      });
      if (!data) {
        setError(describe(p, response.status));
        return;
      }
      setListing(data);
      update({ etag: response.headers.get("ETag") ?? edit.etag });
      setNotice(t(action === "publish" ? "edit.published" : "edit.unpublished"));
    } catch {
      setError(t("auth.offline"));
    } finally {
      setBusy(false);
    }
  }

  if (error && !edit) {
    return (
      <Alert tone="unreachable">
        {error}
      </Alert>
    );
  }
  if (!edit || !listing) return <p aria-busy="true">{t("loading")}</p>;

  return (
    <>
      <p className="mb-2">
        <Link prefetch={false} href={`/app/b/${slug}/listings`} className="text-emerald-800 underline">
          {t("edit.all")}
        </Link>
      </p>
      <h1 className="mb-1 text-2xl font-bold">{t("edit.title")}</h1>
      <p className="mb-4 text-stone-700">
        {t(`status.${listing.status ?? "draft"}`)} · {t("form.kept")}
      </p>
      <form onSubmit={(e) => void save(e)}>
        <ListingFields values={edit} currency={currency} priceInvalid={minor === null} onChange={update} />
        <button type="submit" className={buttonClass} disabled={busy || minor === null}>
          {t(busy ? "edit.saving" : "edit.save")}
        </button>
      </form>
      <section className="mt-6" aria-labelledby="photos-heading">
        <h2 id="photos-heading" className="mb-2 text-xl font-semibold">
          {t("edit.photos")}
        </h2>
        <ul className="mb-3 grid grid-cols-3 gap-2" aria-label={t("edit.photos")}>
          {(listing.photos ?? []).map((p, i) => (
            <li key={p.id} className="flex flex-col gap-1">
              {p.variants?.thumb?.url ? (
                // eslint-disable-next-line @next/next/no-img-element -- the cell's own thumbnail variant
                <img src={p.variants.thumb.url} alt="" width={p.variants.thumb.width} height={p.variants.thumb.height} className="aspect-square w-full rounded object-cover" />
              ) : null}
              <button type="button" className="text-sm text-red-800 underline" onClick={() => void removePhoto(p.id ?? "")} disabled={busy}>
                {t("edit.removePhoto", { n: i + 1 })}
              </button>
            </li>
          ))}
        </ul>
        <Field id="add-photo" label={t("edit.addPhoto")} hint={t("new.photoHint")}>
          <input id="add-photo" type="file" accept="image/jpeg,image/png,image/webp" className={inputClass} disabled={busy} onChange={(e) => void addPhoto(e.target.files?.[0])} aria-describedby="add-photo-hint" />
        </Field>
      </section>
      <div className="mt-3 flex gap-4">
        {listing.status === "published" ? (
          <>
            <Link prefetch={false} href={`/m/${listing.country}/l/${listing.id}`} className="text-emerald-800 underline">
              {t("form.see")}
            </Link>
            <button type="button" className="text-emerald-800 underline" onClick={() => void transition("unpublish")} disabled={busy}>
              {t("edit.unpublish")}
            </button>
          </>
        ) : listing.status === "draft" ? (
          <button type="button" className="text-emerald-800 underline" onClick={() => void transition("publish")} disabled={busy}>
            {t("form.publish")}
          </button>
        ) : null}
      </div>
      {notice ? (
        <p role="status" className="mt-3 rounded bg-emerald-50 p-3 ring-1 ring-emerald-200">
          {notice}
        </p>
      ) : null}
      {error ? (
        <Alert tone="error" className="mt-3">
          {error}
          {stale ? (
            <button
              type="button"
              className="ms-2 underline"
              onClick={() => {
                clearDraft(localStorage, key);
                setStale(false);
                setError("");
                setVersion((v) => v + 1);
              }}
            >
              {t("edit.latest")}
            </button>
          ) : null}
        </Alert>
      ) : null}
    </>
  );
}
