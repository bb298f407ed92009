import type { Metadata } from "next";
import { Inbox } from "@/components/Inbox";

export const metadata: Metadata = { title: "Chats" };

// Behind sign-in: a shell; conversations are read from the home cell by
// the browser (docs/adr/0005-web-residency.md).
export default async function InboxPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <Inbox slug={slug} />;
}
