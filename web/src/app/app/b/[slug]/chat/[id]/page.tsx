import type { Metadata } from "next";
import { ClientMessages, getT } from "@/i18n/server";
import { Conversation } from "@/components/Conversation";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("chat.default") };
}

// Behind sign-in: a shell; messages travel between the browser and the
// home cell only (docs/adr/0005-web-residency.md).
export default async function ConversationPage({ params }: { params: Promise<{ slug: string; id: string }> }) {
  const { slug, id } = await params;
  return (
    <ClientMessages ns={["chat", "loading"]}>
      <Conversation slug={slug} id={id} />
    </ClientMessages>
  );
}
