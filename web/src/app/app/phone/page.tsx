import type { Metadata } from "next";
import { ClientMessages, getT } from "@/i18n/server";
import { PhoneSettings } from "@/components/PhoneSettings";
import { authConfig } from "@/lib/authconfig";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("phone.title") };
}
export const dynamic = "force-dynamic"; // the auth config is read per environment, at request time

// Behind sign-in: the number lives in the person's Firebase account, read
// and changed by the browser only (docs/adr/0005-web-residency.md).
export default async function PhonePage() {
  const { t } = await getT();
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">{t("phone.title")}</h1>
      <ClientMessages ns={["phone", "auth", "loading"]}>
        <PhoneSettings config={authConfig()} />
      </ClientMessages>
    </>
  );
}
