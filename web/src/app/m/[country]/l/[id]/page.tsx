import Link from "next/link";
import { notFound } from "next/navigation";
import type { Metadata } from "next";
import { publicClient } from "@/api/public";
import { ListingPhoto } from "@/components/ListingPhoto";
import { formatDate, formatPrice } from "@/lib/format";
import { market } from "@/lib/markets";

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
  const m = market(country);
  if (!m) notFound();
  const { listing, status } = await load(country, id);
  if (!listing) {
    return (
      <p role="alert" className="rounded bg-amber-100 p-3">
        This listing cannot be reached right now ({status}); try again shortly.
      </p>
    );
  }
  const photos = listing.photos ?? [];
  return (
    <article>
      <p className="mb-2 text-sm">
        <Link href={`/m/${country}`} className="text-emerald-800 underline">
          ← {m.name}
        </Link>
      </p>
      {photos[0] ? <ListingPhoto photo={photos[0]} alt={listing.title ?? ""} /> : null}
      <h1 className="mt-3 text-2xl font-bold">{listing.title}</h1>
      {listing.price ? (
        <p className="text-xl font-semibold text-emerald-800">{formatPrice(listing.price.amount_minor, listing.price.currency, m.locale)}</p>
      ) : null}
      <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-stone-700">Category</dt>
        <dd>{listing.category}</dd>
        {listing.location?.city ? (
          <>
            <dt className="text-stone-700">Where</dt>
            <dd>{[listing.location.city, listing.location.region].filter(Boolean).join(", ")}</dd>
          </>
        ) : null}
        {listing.published_at ? (
          <>
            <dt className="text-stone-700">Listed</dt>
            <dd>{formatDate(listing.published_at, m.locale)}</dd>
          </>
        ) : null}
        <dt className="text-stone-700">Seller</dt>
        <dd>{listing.tenant_slug}</dd>
      </dl>
      {listing.description ? <p className="mt-4 whitespace-pre-line">{listing.description}</p> : null}
      {photos.length > 1 ? (
        <ul className="mt-4 grid grid-cols-2 gap-2" aria-label="More photos">
          {photos.slice(1).map((p) => (
            <li key={p.id}>
              <ListingPhoto photo={p} alt="" />
            </li>
          ))}
        </ul>
      ) : null}
    </article>
  );
}
