"use client";

import { onlineManager, QueryClient, QueryClientProvider, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describe } from "./session";

// ApiError is a refused or failed call to the home cell, with its status.
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

// must turns an openapi-fetch answer into its data, or throws an ApiError
// whose message is the cell's problem in words.
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (data === undefined) throw new ApiError(describe(error, response.status), response.status);
  return data;
}

// QueryProvider holds what the signed-in screens read from the home cell,
// in this browser's memory only (never the web tier's: ADR 0005). Reads
// pause while the phone is offline and run again when it is back.
export function QueryProvider({ children }: { children: React.ReactNode }) {
  const [client] = useState(() => {
    // TanStack Query assumes it starts online; a page opened offline (from
    // the service worker's cache) must start paused, and resume when the
    // browser says it is back.
    if (typeof navigator !== "undefined") onlineManager.setOnline(navigator.onLine);
    return new QueryClient({
      defaultOptions: {
        queries: {
          staleTime: 30_000,
          refetchOnWindowFocus: false,
          // A refusal (4xx) is an answer; only failures are retried.
          retry: (n, err) => n < 2 && !(err instanceof ApiError && err.status < 500),
        },
      },
    });
  });
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

export { useQueryClient };
