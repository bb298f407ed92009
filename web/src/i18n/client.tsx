"use client";

import { createContext, useCallback, useContext } from "react";
import { translate, type Vars } from "./format";
import { defaultLocale, type Locale } from "./locales";
import type { Catalogue, Key } from "./messages/en";

const I18n = createContext<{ locale: Locale; messages?: Catalogue }>({ locale: defaultLocale });

// I18nProvider hands the page's language and catalogue, loaded on the
// server, to the components that run in the browser.
export function I18nProvider({ locale, messages, children }: { locale: Locale; messages: Catalogue; children: React.ReactNode }) {
  return <I18n.Provider value={{ locale, messages }}>{children}</I18n.Provider>;
}

export function useLocale(): Locale {
  return useContext(I18n).locale;
}

// useT is the page's translate function; the same function for as long as
// the language is, so effects may depend on it.
export function useT(): (key: Key, vars?: Vars) => string {
  const { locale, messages } = useContext(I18n);
  return useCallback(
    (key: Key, vars?: Vars) => {
      if (!messages) throw new Error("useT outside I18nProvider");
      return translate(locale, messages, key, vars);
    },
    [locale, messages],
  );
}
