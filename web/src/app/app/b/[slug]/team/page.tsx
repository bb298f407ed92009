import type { Metadata } from "next";
import { ClientMessages, getT } from "@/i18n/server";
import { Team } from "@/components/Team";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("team.title") };
}

// Behind sign-in: a shell; the team is read and changed from the browser
// (docs/adr/0005-web-residency.md).
export default async function TeamPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return (
    <ClientMessages ns={["team", "role", "signin", "loading"]}>
      <Team slug={slug} />
    </ClientMessages>
  );
}
