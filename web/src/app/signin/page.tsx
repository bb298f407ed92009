import type { Metadata } from "next";
import Link from "next/link";
import { SigninForm } from "@/components/SigninForm";
import { authConfig } from "@/lib/authconfig";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic"; // the auth config is read per environment, at request time

export default function SigninPage() {
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">Sign in</h1>
      <SigninForm config={authConfig()} />
      <p className="mt-4 text-center">
        New here?{" "}
        <Link href="/signup" className="text-emerald-800 underline">
          Sign up your business
        </Link>
      </p>
    </>
  );
}
