import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { brotliCompressSync } from "node:zlib";

import { afterEach, describe, expect, it } from "vitest";

import { acceptsBrotli, loadPrecompressed, servePrecompressed } from "./precompressed.mjs";

describe("acceptsBrotli", () => {
  it.each([
    ["gzip, deflate, br", true],
    ["br;q=0.5", true],
    ["BR", true],
    ["gzip", false],
    ["br;q=0", false],
    ["br; q=0.0", false],
    ["brotli", false],
    [undefined, false],
  ])("%s → %s", (header, want) => expect(acceptsBrotli(header)).toBe(want));
});

describe("servePrecompressed", () => {
  /** @type {string | undefined} */
  let dir;
  /** @type {import("node:http").Server | undefined} */
  let server;
  afterEach(async () => {
    server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves a build file's brotli copy to a browser that accepts it, and leaves the rest to the app", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "pnc-precompressed-"));
    const chunks = path.join(dir, "static", "chunks");
    await mkdir(chunks, { recursive: true });
    const js = "console.log('pushnchat');".repeat(50);
    await writeFile(path.join(chunks, "a.js"), js);
    await writeFile(path.join(chunks, "a.js.br"), brotliCompressSync(js));
    await writeFile(path.join(chunks, "b.js"), js); // no brotli copy
    const files = await loadPrecompressed(dir);
    expect([...files.keys()]).toEqual(["/_next/static/chunks/a.js"]);

    server = createServer((req, res) => {
      if (!servePrecompressed(files, req, res)) res.end("app");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const base = `http://127.0.0.1:${/** @type {import("node:net").AddressInfo} */ (server.address()).port}`;
    const get = (p, enc) => fetch(base + p, { headers: { "Accept-Encoding": enc } });

    const res = await get("/_next/static/chunks/a.js?v=1", "gzip, br");
    expect(res.headers.get("content-encoding")).toBe("br");
    expect(res.headers.get("cache-control")).toContain("immutable");
    expect(res.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
    // The compressed copy went over the wire; fetch decodes it to the file.
    expect(res.headers.get("content-length")).toBe(String(brotliCompressSync(js).length));
    expect(await res.text()).toBe(js);

    expect(await (await get("/_next/static/chunks/a.js", "gzip")).text()).toBe("app");
    expect(await (await get("/_next/static/chunks/b.js", "br")).text()).toBe("app");
  });
});
