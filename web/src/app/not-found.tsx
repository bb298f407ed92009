import Link from "next/link";
import { getT } from "@/i18n/server";

export default async function NotFound() {
  const { t } = await getT();
  return (
    <>
      <h1 className="mb-2 text-2xl font-bold">{t("notFound.title")}</h1>
      <p>
        {t("notFound.body")}{" "}
        <Link prefetch={false} href="/" className="text-emerald-800 underline">
          {t("notFound.link")}
        </Link>
      </p>
    </>
  );
}
