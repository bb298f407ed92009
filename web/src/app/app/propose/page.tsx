import type { Metadata } from "next";
import { ClientMessages, getT } from "@/i18n/server";
import { ProposeForm } from "@/components/ProposeForm";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("biz.title") };
}
export const dynamic = "force-dynamic";

// Behind sign-in: proposing a partnership to a business partner search
// found; the proposal is sent from the browser to the proposer's own cell.
export default function ProposePage() {
  return (
    <ClientMessages ns={["biz", "partners", "nav", "loading"]}>
      <ProposeForm />
    </ClientMessages>
  );
}
