import Link from "next/link";
import { notFound } from "next/navigation";
import type { Metadata } from "next";
import { publicClient } from "@/api/public";
import { ListingCard } from "@/components/ListingCard";
import { MoreListings } from "@/components/MoreListings";
import { regionName } from "@/i18n/format";
import { regional } from "@/i18n/locales";
import type { Key } from "@/i18n/messages/en";
import { ClientMessages, getT } from "@/i18n/server";
import { categories, market } from "@/lib/markets";
import { Alert } from "@/components/Alert";

type Props = {
  params: Promise<{ country: string }>;
  searchParams: Promise<{ q?: string | string[]; category?: string | string[] }>;
};

function one(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s?.trim() || undefined;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { country } = await params;
  const { locale, t } = await getT();
  return { title: market(country) ? t("market.title", { market: regionName(locale, country) }) : "PushNchat" };
}

// A market's home: public listings, rendered on the server from the
// market's home cell (through the router), searched with the cell's
// full-text search and filtered by category.
export default async function MarketPage({ params, searchParams }: Props) {
  const { country } = await params;
  if (!market(country)) notFound();
  const { locale, t } = await getT();
  const name = regionName(locale, country);
  const numbers = regional(locale, country);
  const categoryName = (c: string) => t(`category.${c}` as Key);
  const sp = await searchParams;
  const q = one(sp.q);
  const category = one(sp.category);
  const { data, error, response } = await publicClient().GET("/v1/markets/{country}/listings", {
    params: { path: { country }, query: { q, category } },
  });
  const items = data?.items ?? [];
  const base = `/m/${country}`;
  const withCategory = (c?: string) => {
    const u = new URLSearchParams();
    if (q) u.set("q", q);
    if (c) u.set("category", c);
    const s = u.toString();
    return s ? `${base}?${s}` : base;
  };

  return (
    <>
      <h1 className="mb-3 text-2xl font-bold">{name}</h1>
      <form role="search" action={base} className="mb-3 flex gap-2">
        <label htmlFor="q" className="sr-only">
          {t("market.searchLabel", { market: name })}
        </label>
        <input
          id="q"
          name="q"
          type="search"
          defaultValue={q}
          maxLength={200}
          placeholder={t("market.searchPlaceholder")}
          className="min-w-0 flex-1 rounded-full bg-white px-4 py-2 ring-1 ring-stone-300"
        />
        {category ? <input type="hidden" name="category" value={category} /> : null}
        <button type="submit" className="rounded-full bg-emerald-800 px-4 py-2 font-medium text-white">
          {t("market.search")}
        </button>
      </form>
      <nav aria-label={t("market.categories")} className="-mx-4 mb-4 overflow-x-auto px-4">
        <ul className="flex gap-2 whitespace-nowrap">
          <li>
            <Link prefetch={false} href={withCategory()} aria-current={!category ? "page" : undefined} className={chip(!category)}>
              {t("market.all")}
            </Link>
          </li>
          {categories.map((c) => (
            <li key={c}>
              <Link prefetch={false} href={withCategory(c)} aria-current={category === c ? "page" : undefined} className={chip(category === c)}>
                {categoryName(c)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {error ? (
        <Alert tone="unreachable">
          {t("market.unreachable")} ({response.status})
        </Alert>
      ) : items.length === 0 ? (
        <p className="text-stone-700">
          {q && category
            ? t("market.noneMatchIn", { q, category: categoryName(category) })
            : q
              ? t("market.noneMatch", { q })
              : category
                ? t("market.noneIn", { category: categoryName(category) })
                : t("market.none")}
        </p>
      ) : (
        <ul className="space-y-3" aria-label={t("market.listings")}>
          {items.map((l) => (
            <ListingCard key={l.id} listing={l} locale={numbers} category={categoryName(l.category ?? "")} />
          ))}
        </ul>
      )}
      {data?.next_cursor ? (
        <ClientMessages ns={["more", "category"]}>
          <MoreListings country={country} q={q} category={category} cursor={data.next_cursor} locale={numbers} />
        </ClientMessages>
      ) : null}
    </>
  );
}

function chip(active: boolean): string {
  return `inline-block rounded-full px-3 py-1 text-sm ring-1 ${active ? "bg-emerald-800 text-white ring-emerald-800" : "bg-white ring-stone-300"}`;
}
