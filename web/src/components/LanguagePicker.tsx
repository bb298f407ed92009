"use client";

import { useLocale, useT } from "@/i18n/client";
import { endonyms, localeCookie, locales } from "@/i18n/locales";
import { useHydrated } from "@/lib/hydrated";

// LanguagePicker keeps the reader's language in a cookie for a year and
// reloads, so the server renders the page in it.
export function LanguagePicker() {
  const locale = useLocale();
  const t = useT();
  const hydrated = useHydrated();
  return (
    <label className="flex items-center justify-center gap-2 text-sm">
      {t("language")}
      <select
        value={locale}
        disabled={!hydrated}
        className="rounded bg-white px-2 py-1 ring-1 ring-stone-300"
        onChange={(e) => {
          document.cookie = `${localeCookie}=${e.target.value}; path=/; max-age=31536000; samesite=lax`;
          location.reload();
        }}
      >
        {locales.map((l) => (
          <option key={l} value={l} lang={l}>
            {endonyms[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
