import { cookies, headers } from "next/headers";
import { translate, type Vars } from "./format";
import { localeCookie, negotiate, type Locale } from "./locales";
import { I18nProvider } from "./client";
import type { Catalogue, Key } from "./messages/en";

// The reader's language on the server: their choice (the one cookie the
// router lets through to the web tier), else their browser's.
export async function getLocale(): Promise<Locale> {
  const [c, h] = await Promise.all([cookies(), headers()]);
  return negotiate(c.get(localeCookie)?.value, h.get("accept-language"));
}

// getMessages loads one language's catalogue; each is its own module, so
// a page carries only the language it is in.
export async function getMessages(l: Locale): Promise<Catalogue> {
  return (await import(`./messages/${l}.ts`)).default as Catalogue;
}

export async function getT(): Promise<{ locale: Locale; t: (key: Key, vars?: Vars) => string }> {
  const locale = await getLocale();
  const messages = await getMessages(locale);
  return { locale, t: (key, vars) => translate(locale, messages, key, vars) };
}

// A namespace is what a key starts with ("chat" of "chat.send").
type NamespaceOf<K> = K extends `${infer N}.${string}` ? N : K;
export type Namespace = NamespaceOf<Key>;

// ClientMessages gives the browser's components inside it the messages of
// the namespaces they use, in the reader's language, and nothing more.
export async function ClientMessages({ ns, children }: { ns: Namespace[]; children: React.ReactNode }) {
  const locale = await getLocale();
  const all = await getMessages(locale);
  const some: Partial<Catalogue> = {};
  for (const k of Object.keys(all) as Key[]) if (ns.includes(k.split(".")[0] as Namespace)) some[k] = all[k];
  return (
    <I18nProvider locale={locale} messages={some}>
      {children}
    </I18nProvider>
  );
}
