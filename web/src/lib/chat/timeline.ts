import type { components } from "@/api/cell";

export type Message = components["schemas"]["Message"];

// Timeline is one conversation as this device holds it: messages in seq
// order, each once, whichever way it arrived (history, the live stream,
// an ack). held is the highest seq up to which nothing is missing, from
// the first seq held; a message beyond held+1 means a gap to fetch.
export type Timeline = { messages: Message[]; held: number; first: number };

export const empty: Timeline = { messages: [], held: 0, first: 0 };

// merge adds messages to a timeline, dropping any seq it already holds.
export function merge(t: Timeline, incoming: Message[]): Timeline {
  const bySeq = new Map<number, Message>();
  for (const m of t.messages) bySeq.set(m.seq ?? 0, m);
  let added = false;
  for (const m of incoming) {
    const s = m.seq ?? 0;
    if (s < 1 || bySeq.has(s)) continue;
    bySeq.set(s, m);
    added = true;
  }
  if (!added) return t;
  const messages = [...bySeq.values()].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const first = messages[0]?.seq ?? 0;
  let held = first - 1;
  for (const m of messages) {
    if ((m.seq ?? 0) !== held + 1) break;
    held++;
  }
  return { messages, held, first };
}

// gap is the range after held that must be fetched, if any message beyond
// it is already here.
export function gap(t: Timeline): { after: number; upTo: number } | undefined {
  const last = t.messages.at(-1)?.seq ?? 0;
  return last > t.held ? { after: t.held, upTo: last } : undefined;
}
