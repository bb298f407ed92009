import { once } from "node:events";
import { createServer } from "node:http";

import { afterEach, describe, expect, it } from "vitest";

import { deferScripts, defersScripts, loader, rewriteHead } from "./defer-scripts.mjs";

const head =
  '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>' +
  '<link rel="stylesheet" href="/_next/static/chunks/a.css" data-precedence="next"/>' +
  '<link rel="preload" as="script" fetchPriority="low" href="/_next/static/chunks/w.js"/>' +
  '<script src="/_next/static/chunks/x.js" async=""></script>' +
  '<script src="/_next/static/chunks/y.js" async=""></script>' +
  '<script src="/_next/static/chunks/p.js" noModule=""></script>' +
  "<title>Market</title></head>";
const body = '<body><h1>Fabrics</h1><script>self.__next_f.push([1,"x"])</script></body></html>';

describe("rewriteHead", () => {
  it("replaces the framework's async scripts and their preloads with one loader, keeping the rest", () => {
    const out = rewriteHead(head);
    expect(out).not.toContain('src="/_next/static/chunks/x.js" async');
    expect(out).not.toContain('rel="preload" as="script"');
    expect(out).toContain('<link rel="stylesheet" href="/_next/static/chunks/a.css"');
    expect(out).toContain('<script src="/_next/static/chunks/p.js" noModule=""></script>');
    expect(out).toContain("<title>Market</title>");
    expect(out.endsWith(loader(["/_next/static/chunks/x.js", "/_next/static/chunks/y.js"]) + "</head>")).toBe(true);
  });

  it("leaves a head without framework scripts as it is", () => {
    const plain = "<html><head><title>x</title></head>";
    expect(rewriteHead(plain)).toBe(plain);
  });

  it("cannot be made to close its script by a chunk's name", () => {
    expect(loader(["/_next/static/</script><b>"])).not.toContain("</script><b>");
  });
});

describe("defersScripts", () => {
  it.each([
    ["/", true],
    ["/m/NG?q=ankara", true],
    ["/signup", true],
    ["/apps", true],
    ["/app", false],
    ["/app?x=1", false],
    ["/app/b/ada/chat", false],
    ["/app/b/ada/new", true],
    ["/app/b/ada/new?step=2", true],
    ["/app/b/ada/newer", false],
    ["/app/b/ada/listings", false],
  ])("%s → %s", (url, want) => expect(defersScripts(url)).toBe(want));
});

describe("deferScripts over HTTP", () => {
  /** @type {import("node:http").Server | undefined} */
  let server;
  afterEach(() => server?.close());

  /** @param {(res: import("node:http").ServerResponse) => void} answer */
  async function serve(answer) {
    server = createServer((_, res) => answer(deferScripts(res)));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const addr = /** @type {import("node:net").AddressInfo} */ (server.address());
    return fetch(`http://127.0.0.1:${addr.port}/`);
  }

  it("rewrites a streamed page whose </head> is split across writes, and sends the rest unchanged", async () => {
    const page = head + body;
    const cut = page.indexOf("</he") + 3;
    const res = await serve((res) => {
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      res.write(page.slice(0, 40));
      res.write(Buffer.from(page.slice(40, cut)));
      res.write(page.slice(cut, cut + 10));
      res.end(page.slice(cut + 10));
    });
    expect(await res.text()).toBe(rewriteHead(head) + body);
  });

  it("drops a Content-Length the rewrite made wrong", async () => {
    const page = head + body;
    const res = await serve((res) => {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(page) });
      res.end(page);
    });
    expect(res.headers.get("content-length")).toBeNull();
    expect(await res.text()).toBe(rewriteHead(head) + body);
  });

  it("passes other answers through untouched, Content-Length included", async () => {
    const js = '<script src="/_next/static/chunks/x.js" async=""></script></head>';
    const res = await serve((res) => {
      res.setHeader("Content-Type", "application/javascript");
      res.setHeader("Content-Length", Buffer.byteLength(js));
      res.end(js);
    });
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(js)));
    expect(await res.text()).toBe(js);
  });

  it("sends an HTML answer without a head as it came", async () => {
    const res = await serve((res) => {
      res.setHeader("Content-Type", "text/html");
      res.write("<p>one</p>");
      res.end("<p>two</p>");
    });
    expect(await res.text()).toBe("<p>one</p><p>two</p>");
  });
});
