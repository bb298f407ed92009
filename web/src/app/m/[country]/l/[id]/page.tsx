import { headers } from "next/headers";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { Metadata } from "next";
import { publicClient } from "@/api/public";
import { ListingPhoto } from "@/components/ListingPhoto";
import { formatDate, formatPrice } from "@/lib/format";
import { regionName } from "@/i18n/format";
import { regional } from "@/i18n/locales";
import type { Key } from "@/i18n/messages/en";
import { getT } from "@/i18n/server";
import { market } from "@/lib/markets";
import { networkOf } from "@/lib/photo";
import { Alert } from "@/components/Alert";

type Props = { params: Promise<{ country: string; id: string }> };

async function load(country: string, id: string) {
  const { data, response } = await publicClient().GET("/v1/markets/{country}/listings/{listing}", {
    params: { path: { country, listing: id } },
  });
  if (response.status === 404 || response.status === 400) notFound();
  return { listing: data, status: response.status };
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { country, id } = await params;
  if (!market(country)) return { title: "Listing" };
  const { listing } = await load(country, id);
  return { title: listing?.title ?? "Listing" };
}

// A published listing, public: rendered on the server from its market's
// home cell.
export default async function ListingPage({ params }: Props) {
  const { country, id } = await params;
  if (!market(country)) notFound();
  const { locale, t } = await getT();
  const numbers = regional(locale, country);
  const { listing, status } = await load(country, id);
  if (!listing) {
    return (
      <Alert tone="unreachable">
        {t("listing.unreachable")} ({status})
      </Alert>
    );
  }
  const photos = listing.photos ?? [];
  const network = networkOf(await headers());
  return (
    <article>
      <p className="mb-2 text-sm">
        <Link prefetch={false} href={`/m/${country}`} className="text-emerald-800 underline">
          <span aria-hidden="true" className="inline-block rtl:rotate-180">←</span> {regionName(locale, country)}
        </Link>
      </p>
      {photos[0] ? <ListingPhoto photo={photos[0]} alt={listing.title ?? ""} network={network} priority /> : null}
      <h1 dir="auto" className="mt-3 text-2xl font-bold">{listing.title}</h1>
      {listing.price ? (
        <p className="text-xl font-semibold text-emerald-800">{formatPrice(listing.price.amount_minor, listing.price.currency, numbers)}</p>
      ) : null}
      <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-stone-700">{t("listing.category")}</dt>
        <dd>{t(`category.${listing.category}` as Key)}</dd>
        {listing.location?.city ? (
          <>
            <dt className="text-stone-700">{t("listing.where")}</dt>
            <dd>{[listing.location.city, listing.location.region].filter(Boolean).join(", ")}</dd>
          </>
        ) : null}
        {listing.published_at ? (
          <>
            <dt className="text-stone-700">{t("listing.listed")}</dt>
            <dd>{formatDate(listing.published_at, numbers)}</dd>
          </>
        ) : null}
        <dt className="text-stone-700">{t("listing.seller")}</dt>
        <dd>{listing.tenant_slug}</dd>
      </dl>
      {listing.description ? <p dir="auto" className="mt-4 whitespace-pre-line">{listing.description}</p> : null}
      {photos.length > 1 ? (
        <ul className="mt-4 grid grid-cols-2 gap-2" aria-label={t("listing.morePhotos")}>
          {photos.slice(1).map((p) => (
            <li key={p.id}>
              <ListingPhoto photo={p} alt="" network={network} />
            </li>
          ))}
        </ul>
      ) : null}
    </article>
  );
}
