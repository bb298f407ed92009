"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useLocale, useT } from "@/i18n/client";
import { regional } from "@/i18n/locales";
import { formatPrice } from "@/lib/format";
import { must } from "@/lib/query";
import { cell } from "@/lib/session";
import { Alert } from "./Alert";

// MyListings is a business's listings in every status, newest first, each
// opening its editor; read by the browser from the home cell.
export function MyListings({ slug }: { slug: string }) {
  const t = useT();
  const locale = useLocale();
  const q = useQuery({ queryKey: ["listings", slug], queryFn: () => must(cell.GET("/v1/t/{tenant}/listings", { params: { path: { tenant: slug } } })) });
  const items = q.data?.items;
  const error = q.error?.message ?? (q.fetchStatus === "paused" && !items ? t("listings.unreachable") : "");

  return (
    <>
      <h1 className="mb-1 text-2xl font-bold">{t("mine.listings")}</h1>
      <p className="mb-4 flex gap-4 text-stone-700">
        {slug}
        <Link prefetch={false} href={`/app/b/${slug}/new`} className="text-emerald-800 underline">
          {t("mine.newListing")}
        </Link>
      </p>
      {error ? (
        <Alert tone="unreachable">
          {error}
        </Alert>
      ) : !items ? (
        <p aria-busy="true">{t("loading")}</p>
      ) : items.length === 0 ? (
        <p className="text-stone-700">{t("listings.none")}</p>
      ) : (
        <ul className="space-y-3" aria-label={t("mine.listings")}>
          {items.map((l) => (
            <li key={l.id}>
              <Link prefetch={false} href={`/app/b/${slug}/listings/${l.id}`} className="block rounded-lg bg-white p-3 shadow-sm ring-1 ring-stone-200">
                <span dir="auto" className="block font-semibold">
                  {l.title}
                </span>
                <span className="text-sm text-stone-700">
                  {l.status ? t(`status.${l.status}`) : ""}
                  {l.price ? ` · ${formatPrice(l.price.amount_minor, l.price.currency, regional(locale, l.country ?? "US"))}` : ""}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
