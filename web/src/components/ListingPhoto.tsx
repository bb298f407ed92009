"use client";

import { useSyncExternalStore } from "react";
import type { components } from "@/api/cell";
import { type Network, pickVariant } from "@/lib/photo";

type Photo = components["schemas"]["Photo"];
type Connection = Network & EventTarget;

function connection(): Connection | undefined {
  return (navigator as Navigator & { connection?: Connection }).connection;
}

function subscribe(onChange: () => void) {
  const c = connection();
  c?.addEventListener("change", onChange);
  return () => c?.removeEventListener("change", onChange);
}

// The server cannot know the reader's network, so it renders the
// thumbnail's place only; the browser then picks the variant its network
// can afford (never above the network's budget).
export function ListingPhoto({ photo, alt }: { photo: Photo; alt: string }) {
  const key = useSyncExternalStore(
    subscribe,
    () => {
      const c = connection();
      return `${c?.effectiveType ?? ""}|${c?.saveData ? 1 : 0}`;
    },
    () => "server",
  );
  const w = photo.width ?? 4;
  const h = photo.height ?? 3;
  let v: components["schemas"]["Variant"] | undefined;
  if (key !== "server") {
    const [effectiveType, saveData] = key.split("|");
    v = pickVariant(photo, { effectiveType: effectiveType || undefined, saveData: saveData === "1" });
  }
  return (
    <div className="overflow-hidden rounded-lg bg-stone-200" style={{ aspectRatio: `${w} / ${h}` }}>
      {v?.url ? (
        // eslint-disable-next-line @next/next/no-img-element -- the cell serves sized variants; the choice is the network's
        <img src={v.url} alt={alt} width={v.width} height={v.height} className="size-full object-cover" />
      ) : null}
    </div>
  );
}
