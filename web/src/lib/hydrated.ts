import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

// useHydrated is false in the server's HTML and until React has taken the
// page over, then true. A form the server renders stays disabled until its
// handlers exist: on a slow network its scripts arrive after the first
// paint, and a form used before that would lose what was typed, or submit
// natively (a GET with every field, a password included, in the URL).
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
