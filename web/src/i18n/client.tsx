"use client";

import { createContext, useCallback, useContext, useMemo } from "react";
import { translate, type Vars } from "./format";
import { defaultLocale, type Locale } from "./locales";
import type { Catalogue, Key } from "./messages/en";

const I18n = createContext<{ locale: Locale; messages: Partial<Catalogue> }>({ locale: defaultLocale, messages: {} });

// I18nProvider hands the language and the messages the browser's
// components need, loaded on the server, to those components. Providers
// nest: a page adds its own screens' messages to the layout's, so a page
// carries only what it shows.
export function I18nProvider({ locale, messages, children }: { locale: Locale; messages: Partial<Catalogue>; children: React.ReactNode }) {
  const parent = useContext(I18n).messages;
  const merged = useMemo(() => ({ ...parent, ...messages }), [parent, messages]);
  return <I18n.Provider value={{ locale, messages: merged }}>{children}</I18n.Provider>;
}

export function useLocale(): Locale {
  return useContext(I18n).locale;
}

// useT is the page's translate function; the same function for as long as
// the language is, so effects may depend on it.
export function useT(): (key: Key, vars?: Vars) => string {
  const { locale, messages } = useContext(I18n);
  return useCallback(
    (key: Key, vars?: Vars) => translate(locale, messages, key, vars),
    [locale, messages],
  );
}
