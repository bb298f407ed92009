import type { Metadata } from "next";
import { ClientMessages, getT } from "@/i18n/server";
import { MyBusinesses } from "@/components/MyBusinesses";
import { authConfig } from "@/lib/authconfig";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("mine.title") };
}
export const dynamic = "force-dynamic";

// Behind sign-in: the server renders the shell only; the browser fetches
// everything private from the home cell (docs/adr/0005-web-residency.md).
export default function AppHome() {
  return (
    <ClientMessages ns={["mine", "role", "loading"]}>
      <MyBusinesses config={authConfig()} />
    </ClientMessages>
  );
}
