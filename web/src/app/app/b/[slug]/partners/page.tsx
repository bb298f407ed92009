import type { Metadata } from "next";
import { ClientMessages, getT } from "@/i18n/server";
import { Partnerships } from "@/components/Partnerships";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("biz.title") };
}

// Behind sign-in: a shell; partnerships are read and answered from the
// browser, in the business's own cell (docs/adr/0005-web-residency.md).
export default async function PartnershipsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return (
    <ClientMessages ns={["biz", "loading"]}>
      <Partnerships slug={slug} />
    </ClientMessages>
  );
}
