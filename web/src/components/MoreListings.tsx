"use client";

import createClient from "openapi-fetch";
import { useCallback, useEffect, useRef, useState } from "react";
import type { components, paths } from "@/api/cell";
import { useT } from "@/i18n/client";
import type { Key } from "@/i18n/messages/en";
import { ListingCard } from "./ListingCard";

type Listing = components["schemas"]["Listing"];

// The browser reads further pages from the home cell through the router,
// on the page's own origin.
const api = createClient<paths>({ baseUrl: "" });

// MoreListings continues a market's first page (rendered by the server)
// by cursor as the reader scrolls, and with a button where scrolling
// cannot be observed.
export function MoreListings(props: { country: string; q?: string; category?: string; cursor?: string; locale: string }) {
  const [items, setItems] = useState<Listing[]>([]);
  const [cursor, setCursor] = useState(props.cursor);
  const [state, setState] = useState<"idle" | "loading" | "failed">("idle");
  const sentinel = useRef<HTMLDivElement>(null);
  const t = useT();

  const more = useCallback(async () => {
    if (!cursor || state === "loading") return;
    setState("loading");
    const { data, error } = await api.GET("/v1/markets/{country}/listings", {
      params: { path: { country: props.country }, query: { q: props.q, category: props.category, cursor } },
    });
    if (error || !data) {
      setState("failed");
      return;
    }
    setItems((prev) => [...prev, ...(data.items ?? [])]);
    setCursor(data.next_cursor || undefined);
    setState("idle");
  }, [cursor, state, props.country, props.q, props.category]);

  useEffect(() => {
    const el = sentinel.current;
    if (!el || !cursor || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void more();
    }, { rootMargin: "400px" });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, more]);

  return (
    <>
      {items.length > 0 ? (
        <ul className="mt-3 space-y-3">
          {items.map((l) => (
            <ListingCard key={l.id} listing={l} locale={props.locale} category={t(`category.${l.category}` as Key)} />
          ))}
        </ul>
      ) : null}
      <div ref={sentinel} className="mt-4 text-center" aria-live="polite">
        {cursor ? (
          <button type="button" onClick={() => void more()} disabled={state === "loading"} className="rounded-full bg-white px-4 py-2 ring-1 ring-stone-300">
            {t(state === "loading" ? "more.loading" : state === "failed" ? "more.failed" : "more.more")}
          </button>
        ) : null}
      </div>
    </>
  );
}
