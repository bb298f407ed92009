import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./cell";
import type { paths as cpPaths } from "./controlplane";

// The web server is global (a CDN in production): it may read public
// market data and nothing else (docs/adr/0005-web-residency.md): a
// market's listings, and the partner search across markets. This is the
// only API client server code has; it knows the public paths only, sends
// no credentials, and refuses any other path at run time too.

type PublicPath = Extract<keyof paths, `/v1/markets/${string}`>;
export type PublicPaths = Pick<paths, PublicPath> & Pick<cpPaths, typeof searchPath>;

export const publicPrefix = "/v1/markets/";
export const searchPath = "/v1/search";

export class PrivatePathError extends Error {
  constructor(path: string) {
    super(`the web server may not call ${path}: only ${publicPrefix}… and ${searchPath} are public`);
    this.name = "PrivatePathError";
  }
}

function isPublic(path: string): boolean {
  return (path.startsWith(publicPrefix) && !path.includes("/../")) || path === searchPath;
}

const onlyPublic: Middleware = {
  onRequest({ request }) {
    const path = new URL(request.url).pathname;
    if (!isPublic(path)) throw new PrivatePathError(path);
    if (request.headers.has("authorization") || request.headers.has("cookie")) {
      throw new PrivatePathError(`${path} with credentials`);
    }
    return request;
  },
};

// apiOrigin is where the server reaches the router: the same front door
// browsers use, seen from the web server.
export function apiOrigin(): string {
  return process.env.PUSHNCHAT_API_ORIGIN ?? "http://127.0.0.1:8080";
}

export function publicClient(origin = apiOrigin(), fetchImpl: typeof fetch = fetch) {
  const client = createClient<PublicPaths>({ baseUrl: origin, fetch: fetchImpl, cache: "no-store", credentials: "omit" });
  client.use(onlyPublic);
  return client;
}
