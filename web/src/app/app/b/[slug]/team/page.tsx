import type { Metadata } from "next";
import { Team } from "@/components/Team";

export const metadata: Metadata = { title: "Team" };

// Behind sign-in: a shell; the team is read and changed from the browser
// (docs/adr/0005-web-residency.md).
export default async function TeamPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <Team slug={slug} />;
}
