import type { Metadata } from "next";
import { ClientMessages, getT } from "@/i18n/server";
import { EditListing } from "@/components/EditListing";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("edit.title") };
}

// Behind sign-in: a shell; the listing is read and changed from the
// browser (docs/adr/0005-web-residency.md).
export default async function EditListingPage({ params }: { params: Promise<{ slug: string; id: string }> }) {
  const { slug, id } = await params;
  return (
    <ClientMessages ns={["edit", "new", "form", "listing", "category", "status", "loading", "auth"]}>
      <EditListing slug={slug} id={id} />
    </ClientMessages>
  );
}
