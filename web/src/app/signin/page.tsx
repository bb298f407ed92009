import type { Metadata } from "next";
import Link from "next/link";
import { SigninForm } from "@/components/SigninForm";
import { ClientMessages, getT } from "@/i18n/server";
import { authConfig } from "@/lib/authconfig";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("signin.title") };
}
export const dynamic = "force-dynamic"; // the auth config is read per environment, at request time

export default async function SigninPage() {
  const { t } = await getT();
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">{t("signin.title")}</h1>
      <ClientMessages ns={["signin", "auth", "phone"]}>
        <SigninForm config={authConfig()} />
      </ClientMessages>
      <p className="mt-4 text-center">
        {t("signin.new")}{" "}
        <Link prefetch={false} href="/signup" className="text-emerald-800 underline">
          {t("signin.signup")}
        </Link>
      </p>
    </>
  );
}
