"use client";

import { useSyncExternalStore } from "react";
import { useT } from "@/i18n/client";

function subscribe(onChange: () => void) {
  window.addEventListener("online", onChange);
  window.addEventListener("offline", onChange);
  return () => {
    window.removeEventListener("online", onChange);
    window.removeEventListener("offline", onChange);
  };
}

// OfflineBanner says so when the phone has no connection; what is typed
// meanwhile stays on the device (drafts) until it is back.
export function OfflineBanner() {
  const t = useT();
  const online = useSyncExternalStore(subscribe, () => navigator.onLine, () => true);
  if (online) return null;
  return (
    <p role="status" className="bg-amber-200 px-4 py-2 text-center text-sm text-amber-950">
      {t("offline")}
    </p>
  );
}
