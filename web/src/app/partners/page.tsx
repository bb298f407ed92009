import type { Metadata } from "next";
import Link from "next/link";
import type { components } from "@/api/cell";
import { publicClient } from "@/api/public";
import { Alert } from "@/components/Alert";
import { ListingCard } from "@/components/ListingCard";
import { regionName } from "@/i18n/format";
import { regional } from "@/i18n/locales";
import type { Key } from "@/i18n/messages/en";
import { getT } from "@/i18n/server";
import { markets } from "@/lib/markets";

type Listing = components["schemas"]["Listing"];
type Props = { searchParams: Promise<{ q?: string | string[]; m?: string | string[] }> };

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("partners.title") };
}

// Partner search: public listings from several markets at once, read on
// the server through the router from the control plane's search, which
// asks each market's cell (docs/bizconnect.md). A plain GET form, so it
// works before any script has arrived.
export default async function PartnersPage({ searchParams }: Props) {
  const { locale, t } = await getT();
  const sp = await searchParams;
  const q = (Array.isArray(sp.q) ? sp.q[0] : sp.q)?.trim() ?? "";
  const chosen = [sp.m ?? []].flat().filter((m) => (markets as readonly string[]).includes(m));
  const searched = sp.q !== undefined || sp.m !== undefined;
  const name = (m: string) => regionName(locale, m);
  const answer =
    searched && chosen.length > 0
      ? await publicClient().GET("/v1/search", { params: { query: { markets: chosen.join(","), ...(q ? { q } : {}) } } })
      : undefined;
  // The cells' own listings, as their API describes them (SearchResult).
  const items = (answer?.data?.items ?? []) as Listing[];
  const missing = answer?.data?.missing ?? [];
  return (
    <>
      <h1 className="mb-1 text-2xl font-bold">{t("partners.title")}</h1>
      <p className="mb-4 text-stone-700">{t("partners.intro")}</p>
      <form role="search" action="/partners" className="mb-4">
        <label htmlFor="q" className="mb-1 block font-medium">
          {t("partners.words")}
        </label>
        <input id="q" name="q" type="search" defaultValue={q} maxLength={200} className="mb-3 w-full rounded-full bg-white px-4 py-2 ring-1 ring-stone-300" />
        <fieldset className="mb-3">
          <legend className="mb-1 font-medium">{t("partners.markets")}</legend>
          <div className="grid grid-cols-2 gap-2">
            {markets.map((m) => (
              <label key={m} className="flex items-center gap-2 rounded-lg bg-white px-3 py-2 ring-1 ring-stone-200">
                <input type="checkbox" name="m" value={m} defaultChecked={chosen.includes(m)} className="size-5" />
                {name(m)}
              </label>
            ))}
          </div>
        </fieldset>
        <button type="submit" className="w-full rounded-full bg-emerald-800 px-4 py-3 font-semibold text-white">
          {t("partners.search")}
        </button>
      </form>
      {searched && chosen.length === 0 ? <Alert tone="error">{t("partners.chooseMarket")}</Alert> : null}
      {answer?.error ? (
        <Alert tone="unreachable">
          {t("partners.unreachable")} ({answer.response.status})
        </Alert>
      ) : null}
      {missing.length > 0 ? (
        <Alert tone="unreachable" className="mb-3">
          {t("partners.missing", { markets: missing.map(name).join(", ") })}
        </Alert>
      ) : null}
      {answer?.data && items.length === 0 ? <p className="text-stone-700">{t("partners.none")}</p> : null}
      {items.length > 0 ? (
        <ul className="space-y-3" aria-label={t("partners.results")}>
          {items.map((l) => (
            <ListingCard
              key={l.id}
              listing={l}
              locale={regional(locale, l.country ?? "US")}
              category={`${t(`category.${l.category}` as Key)} · ${name(l.country ?? "")}`}
            >
              <Link
                prefetch={false}
                href={`/app/propose?${new URLSearchParams({ to: l.tenant_id ?? "", country: l.country ?? "", name: l.tenant_slug ?? "" })}`}
                className="mt-1 inline-block min-h-11 py-2 text-emerald-800 underline"
              >
                {t("partners.propose", { name: l.tenant_slug ?? "" })}
              </Link>
            </ListingCard>
          ))}
        </ul>
      ) : null}
    </>
  );
}
