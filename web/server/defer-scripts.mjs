// @ts-check
// Framework scripts after the first paint. Next.js puts its scripts in the
// page's <head> as <script async> tags (plus low-priority preloads), so on
// a slow link they share the first round trips with the HTML and the CSS,
// and every page pays for about 130 KB of script before its first paint
// counts as done. The page is readable without them (server-rendered), so
// the head is rewritten: the script tags become one small loader that
// inserts them once the browser reports its first paint (or at once in a
// hidden tab, or after 3 s whatever happens). Hydration starts later by the
// time of that paint; nothing else changes.
//
// Pages behind sign-in are left as they are: the web tier renders only
// their shell (private data is read by the browser, ADR 0005), so their
// content waits for the scripts anyway, and deferring them would only
// delay it. The new-listing form is the exception: its first step is the
// content, rendered by the server (disabled until the draft is read).

const SCRIPT = /<script src="(\/_next\/static\/[^"]+)" async=""><\/script>/g;
const PRELOAD = /<link rel="preload" as="script" fetchPriority="low" href="\/_next\/static\/[^"]+"\/>/g;
const HEAD_END = "</head>";
// A head longer than this is passed on as it is: the rewrite must not hold a
// streamed page back.
const MAX_HEAD = 256 << 10;

const NEW_LISTING = /^\/app\/b\/[^/]+\/new$/;

/**
 * Whether the page at url is rendered by the server with its content, so
 * its scripts can wait for the first paint: every page but those behind
 * sign-in (/app), except the new-listing form.
 * @param {string | undefined} url
 */
export function defersScripts(url) {
  const path = (url ?? "/").split("?")[0] ?? "/";
  return (path !== "/app" && !path.startsWith("/app/")) || NEW_LISTING.test(path);
}

/**
 * The loader inserted in place of the scripts. Dynamically inserted scripts
 * are async, as the tags were: Next.js's chunks run in any order.
 * @param {string[]} srcs
 */
export function loader(srcs) {
  return (
    "<script>(function(s){var d=0;function l(){if(d)return;d=1;s.forEach(function(u){" +
    'var e=document.createElement("script");e.src=u;e.async=true;document.head.appendChild(e)})}' +
    'try{new PerformanceObserver(function(){setTimeout(l,0)}).observe({type:"paint",buffered:true})}catch(_){l()}' +
    'if(document.visibilityState==="hidden")l();setTimeout(l,3000)})(' +
    JSON.stringify(srcs).replace(/</g, "\\u003c") +
    ")</script>"
  );
}

/**
 * Rewrites a page's head: its framework scripts are loaded after the first
 * paint. A head without them is returned unchanged.
 * @param {string} head the page up to and including </head>
 */
export function rewriteHead(head) {
  /** @type {string[]} */
  const srcs = [];
  let out = head.replace(SCRIPT, (_, src) => {
    srcs.push(src);
    return "";
  });
  if (srcs.length === 0) return head;
  out = out.replace(PRELOAD, "");
  return out.slice(0, out.length - HEAD_END.length) + loader(srcs) + HEAD_END;
}

/**
 * Makes res rewrite the head of an HTML answer as it passes. The body is
 * buffered only until </head>; the rest streams through untouched.
 * Content-Length is dropped from HTML answers, whose length changes.
 * @param {import("node:http").ServerResponse} res
 */
export function deferScripts(res) {
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  const writeHead = res.writeHead.bind(res);
  /** @type {boolean | undefined} */
  let html;
  /** @type {Buffer[]} */
  let held = [];
  let heldBytes = 0;
  let passing = false;

  const isHTML = () => {
    if (html === undefined) html = String(res.getHeader("content-type") ?? "").startsWith("text/html");
    return html;
  };

  // @ts-expect-error: the overloads of writeHead are all forwarded.
  res.writeHead = (status, ...rest) => {
    const headers = rest.find((a) => a && typeof a === "object");
    if (headers && !Array.isArray(headers)) {
      for (const k of Object.keys(headers)) if (k.toLowerCase() === "content-type") res.setHeader(k, headers[k]);
    }
    if (isHTML()) {
      res.removeHeader("content-length");
      if (headers && !Array.isArray(headers)) for (const k of Object.keys(headers)) if (k.toLowerCase() === "content-length") delete headers[k];
    }
    return writeHead(status, ...rest);
  };

  /** @returns {Buffer | null} what may be sent now */
  const take = (/** @type {any} */ chunk, /** @type {BufferEncoding | undefined} */ encoding) => {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, typeof encoding === "string" ? encoding : "utf8");
    if (passing) return buf;
    held.push(buf);
    heldBytes += buf.length;
    const all = Buffer.concat(held);
    const at = all.indexOf(HEAD_END);
    if (at < 0 && heldBytes <= MAX_HEAD) return null;
    passing = true;
    held = [];
    if (at < 0) return all;
    const cut = at + HEAD_END.length;
    return Buffer.concat([Buffer.from(rewriteHead(all.subarray(0, cut).toString("utf8"))), all.subarray(cut)]);
  };

  // @ts-expect-error: the overloads of write are all forwarded.
  res.write = (chunk, encoding, cb) => {
    if (typeof encoding === "function") [cb, encoding] = [encoding, undefined];
    if (!isHTML() || chunk == null) return write(chunk, encoding, cb);
    const out = take(chunk, encoding);
    if (out === null) {
      if (cb) process.nextTick(cb);
      return true;
    }
    return write(out, cb);
  };

  // @ts-expect-error: the overloads of end are all forwarded.
  res.end = (chunk, encoding, cb) => {
    if (typeof chunk === "function") [cb, chunk] = [chunk, undefined];
    if (typeof encoding === "function") [cb, encoding] = [encoding, undefined];
    if (!isHTML()) return end(chunk, encoding, cb);
    const out = chunk == null ? null : take(chunk, encoding);
    const rest = held.length ? Buffer.concat(held) : null;
    held = [];
    if (!res.headersSent) res.removeHeader("content-length");
    const tail = out && rest ? Buffer.concat([rest, out]) : (out ?? rest);
    return tail ? end(tail, cb) : end(cb);
  };
  return res;
}
