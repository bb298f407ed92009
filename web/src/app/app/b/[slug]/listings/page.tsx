import type { Metadata } from "next";
import { ClientMessages, getT } from "@/i18n/server";
import { MyListings } from "@/components/MyListings";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("mine.listings") };
}

// Behind sign-in: a shell; the listings are read from the home cell by the
// browser (docs/adr/0005-web-residency.md).
export default async function ListingsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return (
    <ClientMessages ns={["mine", "listings", "status", "loading"]}>
      <MyListings slug={slug} />
    </ClientMessages>
  );
}
