import type { Metadata } from "next";
import { MyBusinesses } from "@/components/MyBusinesses";
import { authConfig } from "@/lib/authconfig";

export const metadata: Metadata = { title: "My businesses" };
export const dynamic = "force-dynamic";

// Behind sign-in: the server renders the shell only; the browser fetches
// everything private from the home cell (docs/adr/0005-web-residency.md).
export default function AppHome() {
  return <MyBusinesses config={authConfig()} />;
}
