import { describe, expect, it } from "vitest";
import { PrivatePathError, publicClient } from "./public";

function recorder() {
  const seen: Request[] = [];
  const fetchImpl = (async (input: Request) => {
    seen.push(input);
    return new Response(JSON.stringify({ items: [] }), { headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return { seen, fetchImpl };
}

describe("publicClient", () => {
  it("reads a market", async () => {
    const { seen, fetchImpl } = recorder();
    const { data, error } = await publicClient("http://router.test", fetchImpl).GET("/v1/markets/{country}/listings", {
      params: { path: { country: "NG" }, query: { q: "ankara" } },
    });
    expect(error).toBeUndefined();
    expect(data?.items).toEqual([]);
    expect(seen.map((r) => new URL(r.url).pathname + new URL(r.url).search)).toEqual(["/v1/markets/NG/listings?q=ankara"]);
    expect(seen[0]?.headers.has("authorization")).toBe(false);
  });

  it("searches several markets", async () => {
    const { seen, fetchImpl } = recorder();
    const { error } = await publicClient("http://router.test", fetchImpl).GET("/v1/search", { params: { query: { markets: "NG,KE", q: "shea" } } });
    expect(error).toBeUndefined();
    expect(seen.map((r) => new URL(r.url).pathname + new URL(r.url).search)).toEqual(["/v1/search?markets=NG%2CKE&q=shea"]);
  });

  it("refuses anything but a market path, before it is sent", async () => {
    const { seen, fetchImpl } = recorder();
    // A private path smuggled past the types, as a careless cast would.
    const client = publicClient("http://router.test", fetchImpl) as unknown as {
      GET: (p: string, o?: object) => Promise<unknown>;
    };
    await expect(client.GET("/v1/t/ada-fabrics/listings")).rejects.toBeInstanceOf(PrivatePathError);
    await expect(client.GET("/v1/me")).rejects.toBeInstanceOf(PrivatePathError);
    await expect(client.GET("/v1/markets/../t/x")).rejects.toBeInstanceOf(PrivatePathError);
    await expect(client.GET("/v1/searches")).rejects.toBeInstanceOf(PrivatePathError);
    await expect(client.GET("/v1/search/../me")).rejects.toBeInstanceOf(PrivatePathError);
    expect(seen).toHaveLength(0);
  });

  it("refuses to carry credentials", async () => {
    const { seen, fetchImpl } = recorder();
    await expect(
      publicClient("http://router.test", fetchImpl).GET("/v1/markets/{country}/listings", {
        params: { path: { country: "NG" } },
        headers: { Authorization: "Bearer x" },
      }),
    ).rejects.toBeInstanceOf(PrivatePathError);
    expect(seen).toHaveLength(0);
  });
});
