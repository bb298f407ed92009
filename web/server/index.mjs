// @ts-check
// The web app's production server: Next.js's request handler behind
// compression (brotli or gzip, by the browser's Accept-Encoding), with the
// build's scripts and styles served precompressed and, on the pages the
// server renders with their content, the framework's scripts moved after
// the first paint (defer-scripts.mjs).
//
//	node server/index.mjs --hostname 127.0.0.1 --port 3000
import { createServer } from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";

import compression from "compression";
import next from "next";

import { deferScripts, defersScripts } from "./defer-scripts.mjs";
import { loadPrecompressed, servePrecompressed } from "./precompressed.mjs";

const { values } = parseArgs({ options: { hostname: { type: "string", default: "127.0.0.1" }, port: { type: "string", default: "3000" } } });
const dir = path.resolve(import.meta.dirname, "..");
const port = Number(values.port);

const app = next({ dev: false, dir, hostname: values.hostname, port });
const handle = app.getRequestHandler();
await app.prepare();
const precompressed = await loadPrecompressed(path.join(dir, ".next"));
const compress = compression();

const server = createServer((req, res) => {
  if (servePrecompressed(precompressed, req, res)) return;
  compress(/** @type {any} */ (req), /** @type {any} */ (res), () => {
    if (defersScripts(req.url)) deferScripts(res);
    handle(req, res);
  });
});
server.listen(port, values.hostname, () => console.log(`web: listening on http://${values.hostname}:${port}`));

for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
