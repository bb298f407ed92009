import type { Metadata } from "next";
import { ClientMessages, getT } from "@/i18n/server";
import { NewListing } from "@/components/NewListing";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("new.title") };
}

// Behind sign-in: a shell; the form talks to the home cell from the
// browser (docs/adr/0005-web-residency.md).
export default async function NewListingPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return (
    <ClientMessages ns={["new", "edit", "form", "listing", "category", "status", "loading"]}>
      <NewListing slug={slug} />
    </ClientMessages>
  );
}
