// @ts-check
// Writes a brotli copy (quality 11) next to every script and style of the
// build, for server/precompressed.mjs. Run by `npm run build`.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { brotliCompressSync, constants } from "node:zlib";

const root = path.resolve(import.meta.dirname, "..", ".next", "static");
let n = 0;
for (const rel of await readdir(root, { recursive: true })) {
  if (!/\.(js|css)$/.test(rel)) continue;
  const file = path.join(root, rel);
  const data = await readFile(file);
  await writeFile(file + ".br", brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
  n++;
}
console.log(`precompress: ${n} files`);
