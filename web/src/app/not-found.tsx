import Link from "next/link";

export default function NotFound() {
  return (
    <>
      <h1 className="mb-2 text-2xl font-bold">Not found</h1>
      <p>
        There is nothing here. <Link href="/" className="text-emerald-800 underline">Choose a market</Link>.
      </p>
    </>
  );
}
