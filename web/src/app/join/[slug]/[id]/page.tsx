import type { Metadata } from "next";
import { JoinForm } from "@/components/JoinForm";
import { ClientMessages, getT } from "@/i18n/server";
import { authConfig } from "@/lib/authconfig";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("join.submit") };
}
export const dynamic = "force-dynamic"; // the auth config is read per environment, at request time

// An invitation link. The server sees the business and the invitation's
// id only: the token is in the link's fragment, read by the browser.
export default async function JoinPage({ params }: { params: Promise<{ slug: string; id: string }> }) {
  const { slug, id } = await params;
  const { t } = await getT();
  return (
    <>
      <h1 className="mb-1 text-2xl font-bold">{t("join.title", { slug })}</h1>
      <p className="mb-4 text-stone-700">{t("join.intro")}</p>
      <ClientMessages ns={["join", "signin", "auth"]}>
        <JoinForm config={authConfig()} slug={slug} id={id} />
      </ClientMessages>
    </>
  );
}
