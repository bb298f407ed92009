"use client";

import { useEffect, useState } from "react";
import type { components } from "@/api/cell";
import { type Network, pickVariant } from "@/lib/photo";

type Photo = components["schemas"]["Photo"];
type Connection = Network & EventTarget;

function connection(): Connection | undefined {
  return (navigator as Navigator & { connection?: Connection }).connection;
}

// ListingPhoto shows the variant the reader's network can afford. The
// server picks it from the request's hints (Save-Data, and ECT once the
// browser sends it), so the photo is in the page and starts loading with
// it, without waiting for scripts; should the network change while the
// page is open, the browser picks again. Never above the network's budget.
export function ListingPhoto({ photo, alt, network, priority = false }: { photo: Photo; alt: string; network: Network; priority?: boolean }) {
  const [net, setNet] = useState(network);
  useEffect(() => {
    const c = connection();
    const change = () => setNet({ effectiveType: c?.effectiveType, saveData: c?.saveData });
    c?.addEventListener("change", change);
    return () => c?.removeEventListener("change", change);
  }, []);
  const v = pickVariant(photo, net);
  const w = photo.width ?? 4;
  const h = photo.height ?? 3;
  return (
    <div className="overflow-hidden rounded-lg bg-stone-200" style={{ aspectRatio: `${w} / ${h}` }}>
      {v?.url ? (
        // eslint-disable-next-line @next/next/no-img-element -- the cell serves sized variants; the choice is the network's
        <img src={v.url} alt={alt} width={v.width} height={v.height} fetchPriority={priority ? "high" : "auto"} loading={priority ? "eager" : "lazy"} className="size-full object-cover" />
      ) : null}
    </div>
  );
}
