import Link from "next/link";
import type { components } from "@/api/cell";
import { formatPrice } from "@/lib/format";

type Listing = components["schemas"]["Listing"];

// ListingCard is one listing in a market's list; it shows public fields
// only, and renders the same on the server and in the browser. children
// go under the card (an action about its business).
export function ListingCard({ listing, locale, category, children }: { listing: Listing; locale: string; category: string; children?: React.ReactNode }) {
  const thumb = listing.photos?.[0]?.variants?.thumb;
  return (
    <li>
      <Link prefetch={false}
        href={`/m/${listing.country}/l/${listing.id}`}
        className="flex gap-3 rounded-lg bg-white p-3 shadow-sm ring-1 ring-stone-200"
      >
        <div className="size-20 shrink-0 overflow-hidden rounded bg-stone-200" aria-hidden="true">
          {thumb?.url ? (
            // eslint-disable-next-line @next/next/no-img-element -- variants are sized by the cell; no optimiser in between
            <img src={thumb.url} alt="" width={80} height={80} loading="lazy" className="size-20 object-cover" />
          ) : null}
        </div>
        <div className="min-w-0">
          <h2 dir="auto" className="truncate font-semibold">{listing.title}</h2>
          {listing.price ? (
            <p className="font-medium text-emerald-800">{formatPrice(listing.price.amount_minor, listing.price.currency, locale)}</p>
          ) : null}
          <p className="text-sm text-stone-700">
            {category}
            {listing.location?.city ? ` · ${listing.location.city}` : ""}
          </p>
        </div>
      </Link>
      {children}
    </li>
  );
}
