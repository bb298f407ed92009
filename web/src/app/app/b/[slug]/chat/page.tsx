import type { Metadata } from "next";
import { ClientMessages, getT } from "@/i18n/server";
import { Inbox } from "@/components/Inbox";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("chat.title") };
}

// Behind sign-in: a shell; conversations are read from the home cell by
// the browser (docs/adr/0005-web-residency.md).
export default async function InboxPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return (
    <ClientMessages ns={["chat", "loading"]}>
      <Inbox slug={slug} />
    </ClientMessages>
  );
}
