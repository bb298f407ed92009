import type { Metadata } from "next";
import { SignupForm } from "@/components/SignupForm";
import { ClientMessages, getT } from "@/i18n/server";
import { authConfig } from "@/lib/authconfig";
import { countryOptions } from "@/lib/countries";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("signup.title") };
}
export const dynamic = "force-dynamic"; // the auth config is read per environment, at request time

export default async function SignupPage() {
  const { locale, t } = await getT();
  return (
    <>
      <h1 className="mb-1 text-2xl font-bold">{t("signup.title")}</h1>
      <p className="mb-4 text-stone-700">{t("signup.intro")}</p>
      <ClientMessages ns={["signup", "signin", "form", "auth"]}>
        <SignupForm config={authConfig()} options={countryOptions(locale)} />
      </ClientMessages>
    </>
  );
}
