// An invitation travels as a link. The token is in the fragment (after
// #), which browsers never send: it reaches neither the web tier nor any
// log on the way, only the page that accepts it, which sends it to the
// business's home cell.
export function joinLink(origin: string, slug: string, id: string, token: string): string {
  return `${origin}/join/${encodeURIComponent(slug)}/${encodeURIComponent(id)}#${encodeURIComponent(token)}`;
}

export function tokenOf(hash: string): string {
  try {
    return decodeURIComponent(hash.replace(/^#/, ""));
  } catch {
    return "";
  }
}
