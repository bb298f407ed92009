import type { Metadata, Viewport } from "next";
import Link from "next/link";
import { LanguagePicker } from "@/components/LanguagePicker";
import { OfflineBanner } from "@/components/OfflineBanner";
import { ServiceWorker } from "@/components/ServiceWorker";
import { dirOf } from "@/i18n/locales";
import { ClientMessages, getT } from "@/i18n/server";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "PushNchat", template: "%s · PushNchat" },
  description: "Listings, partnerships and chat for small businesses.",
  // The app's own icon, so browsers do not also ask for /favicon.ico.
  icons: { icon: [{ url: "/icon.svg", type: "image/svg+xml" }] },
};

export const viewport: Viewport = { width: "device-width", initialScale: 1, themeColor: "#065f46" };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const { locale, t } = await getT();
  return (
    <html lang={locale} dir={dirOf(locale)}>
      <body className="min-h-dvh">
        <ClientMessages ns={["offline", "language"]}>
          <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
            {t("skip")}
          </a>
          <header className="sticky top-0 z-10 bg-emerald-800 text-white">
            <nav className="mx-auto flex max-w-2xl items-center gap-4 px-4 py-3" aria-label="Main">
              <Link prefetch={false} href="/" className="text-lg font-semibold">
                PushNchat
              </Link>
              <Link prefetch={false} href="/app" className="ms-auto">
                {t("nav.mine")}
              </Link>
              <Link prefetch={false} href="/signin">{t("nav.signin")}</Link>
            </nav>
          </header>
          <OfflineBanner />
          <main id="main" className="mx-auto max-w-2xl px-4 py-4">
            {children}
          </main>
          <ServiceWorker />
          <footer className="mx-auto max-w-2xl px-4 pb-6">
            <LanguagePicker />
          </footer>
        </ClientMessages>
      </body>
    </html>
  );
}
