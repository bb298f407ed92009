import type { Metadata } from "next";
import { SignupForm } from "@/components/SignupForm";
import { authConfig } from "@/lib/authconfig";

export const metadata: Metadata = { title: "Sign up your business" };
export const dynamic = "force-dynamic"; // the auth config is read per environment, at request time

export default function SignupPage() {
  return (
    <>
      <h1 className="mb-1 text-2xl font-bold">Sign up your business</h1>
      <p className="mb-4 text-stone-700">Your business’s data lives where your country’s law says. We show you where before you start.</p>
      <SignupForm config={authConfig()} />
    </>
  );
}
