import Link from "next/link";
import { regionName } from "@/i18n/format";
import { getT } from "@/i18n/server";
import { markets } from "@/lib/markets";

export default async function Home() {
  const { locale, t } = await getT();
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">{t("home.title")}</h1>
      <ul className="grid grid-cols-2 gap-3">
        {markets.map((m) => (
          <li key={m}>
            <Link prefetch={false} href={`/m/${m}`} className="block rounded-lg bg-white p-4 shadow-sm ring-1 ring-stone-200">
              <span className="block text-lg font-semibold">{regionName(locale, m)}</span>
              <span className="text-sm text-stone-700">{m}</span>
            </Link>
          </li>
        ))}
      </ul>
      <p className="mt-6">
        <Link prefetch={false} href="/partners" className="text-emerald-800 underline">
          {t("home.partners")}
        </Link>
      </p>
    </>
  );
}
