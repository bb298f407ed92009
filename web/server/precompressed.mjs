// @ts-check
// The build's scripts and styles, brotli-compressed once at the highest
// quality when the app is built (scripts/precompress.mjs), served as they
// are to browsers that accept brotli. Compressing on every request can only
// afford a fast setting; these files never change (their names carry their
// hash), so they are compressed as small as brotli goes, once.
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

const TYPES = { ".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

/**
 * Lists the precompressed files under .next/static, by URL path.
 * @param {string} nextDir the build directory (.next)
 * @returns {Promise<Map<string, {file: string, size: number, type: string}>>}
 */
export async function loadPrecompressed(nextDir) {
  const root = path.join(nextDir, "static");
  /** @type {Map<string, {file: string, size: number, type: string}>} */
  const files = new Map();
  for (const rel of await readdir(root, { recursive: true })) {
    if (!rel.endsWith(".br")) continue;
    const original = rel.slice(0, -3);
    const type = TYPES[/** @type {keyof TYPES} */ (path.extname(original))];
    if (!type) continue;
    const file = path.join(root, rel);
    const { size } = await stat(file);
    files.set("/_next/static/" + original.split(path.sep).join("/"), { file, size, type });
  }
  return files;
}

/**
 * Whether the request accepts brotli (a plain "br" token, not refused with q=0).
 * @param {string | undefined} header
 */
export function acceptsBrotli(header) {
  return (header ?? "").split(",").some((part) => {
    const [coding, ...params] = part.trim().split(";");
    if (coding?.trim().toLowerCase() !== "br") return false;
    return !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p));
  });
}

/**
 * Answers req from the precompressed files when it can; returns false to
 * let the app answer.
 * @param {Map<string, {file: string, size: number, type: string}>} files
 * @param {import("node:http").IncomingMessage} req
 * @param {import("node:http").ServerResponse} res
 */
export function servePrecompressed(files, req, res) {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const f = files.get((req.url ?? "").split("?")[0] ?? "");
  if (!f || !acceptsBrotli(req.headers["accept-encoding"])) return false;
  res.writeHead(200, {
    "Content-Type": f.type,
    "Content-Encoding": "br",
    "Content-Length": f.size,
    "Cache-Control": "public, max-age=31536000, immutable",
    Vary: "Accept-Encoding",
  });
  if (req.method === "HEAD") res.end();
  else createReadStream(f.file).pipe(res);
  return true;
}
