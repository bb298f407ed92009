import type { Metadata } from "next";
import { JoinForm } from "@/components/JoinForm";
import { authConfig } from "@/lib/authconfig";

export const metadata: Metadata = { title: "Join a team" };
export const dynamic = "force-dynamic"; // the auth config is read per environment, at request time

// An invitation link. The server sees the business and the invitation's
// id only: the token is in the link's fragment, read by the browser.
export default async function JoinPage({ params }: { params: Promise<{ slug: string; id: string }> }) {
  const { slug, id } = await params;
  return (
    <>
      <h1 className="mb-1 text-2xl font-bold">Join {slug}</h1>
      <p className="mb-4 text-stone-700">You were invited to this business&apos;s team on PushNchat.</p>
      <JoinForm config={authConfig()} slug={slug} id={id} />
    </>
  );
}
