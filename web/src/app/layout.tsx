import type { Metadata, Viewport } from "next";
import Link from "next/link";
import { OfflineBanner } from "@/components/OfflineBanner";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "PushNchat", template: "%s · PushNchat" },
  description: "Listings, partnerships and chat for small businesses.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1, themeColor: "#065f46" };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" dir="ltr">
      <body className="min-h-dvh">
        <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
          Skip to content
        </a>
        <header className="sticky top-0 z-10 bg-emerald-800 text-white">
          <nav className="mx-auto flex max-w-2xl items-center gap-4 px-4 py-3" aria-label="Main">
            <Link href="/" className="text-lg font-semibold">
              PushNchat
            </Link>
            <Link href="/app" className="ms-auto">
              My businesses
            </Link>
            <Link href="/signin">Sign in</Link>
          </nav>
        </header>
        <OfflineBanner />
        <main id="main" className="mx-auto max-w-2xl px-4 py-4">
          {children}
        </main>
      </body>
    </html>
  );
}
