import { cell } from "@/lib/session";
import type { Store } from "../draft";
import { handToWorker, onSentByWorker } from "./background";
import { Outbox, type Queued } from "./outbox";
import { empty, gap, merge, type Message, type Timeline } from "./timeline";
import { uuidv7 } from "./uuidv7";

// What the chat screens read: one immutable snapshot per change.
export type Snapshot = {
  status: "connecting" | "live" | "offline" | "waiting";
  user?: string; // the cell's id of the signed-in person
  heads: ReadonlyMap<string, number>; // newest seq per conversation
  timelines: ReadonlyMap<string, Timeline>;
  pending: readonly Queued[]; // typed here, not yet acknowledged
  typing: ReadonlyMap<string, { user: string; until: number }>;
  receipts: ReadonlyMap<string, ReadonlyMap<string, number>>; // conversation → user → seq read
  read: ReadonlyMap<string, number>; // what this person has read, per conversation
  // Partner conversations: how far the partner has this side's messages
  // (in its cell, read), and messages the broker did not carry (seq → why).
  partner: ReadonlyMap<string, { delivered: number; read: number }>;
  undelivered: ReadonlyMap<string, ReadonlyMap<number, string>>;
};

type Frame = Record<string, unknown> & { type: string };

const typingShownMs = 4000;
const typingEveryMs = 2000;
const inFlightMax = 50; // under the cell's burst of 60 frames
const pageSize = 100;
const newest = Number.MAX_SAFE_INTEGER; // as before_seq: the latest page
const readKey = "pnc.read.v1";
const userKey = "pnc.user.v1";

// Connection is the device's chat with its home cell: one WebSocket
// (docs/realtime.md) that resumes where the device stands after every
// cut, and the outbox, sent again with the same ids until the cell
// acknowledges each message. Going offline closes the socket at once, so
// what is typed meanwhile waits in the outbox, not in a dead socket.
export class Connection {
  private ws?: WebSocket;
  private snap: Snapshot;
  private readonly listeners = new Set<() => void>();
  private readonly tenants = new Map<string, string>(); // conversation → business slug, for REST
  private readonly inFlight = new Map<string, string>(); // ref → message id, on this socket
  private readonly filling = new Set<string>();
  private readonly opening = new Map<string, Promise<unknown>>(); // conversation → its first page
  private readonly typingSent = new Map<string, number>();
  private attempt = 0;
  private nextRef = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private pinger?: ReturnType<typeof setInterval>;
  private closed = false;
  private readonly stopListening: () => void;

  constructor(
    private readonly url: string,
    private readonly store: Store,
    private readonly outbox = new Outbox(store),
  ) {
    this.snap = { ...initial, user: store.getItem(userKey) ?? undefined, pending: outbox.all(), read: readPositions(store) };
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    // Messages the service worker sent by background sync leave the outbox
    // here too; the stream brings them back as stored messages.
    this.stopListening = onSentByWorker((ids) => {
      let changed = false;
      for (const id of ids) changed = this.outbox.remove(id) || changed;
      if (changed) this.update({ pending: this.outbox.all() });
    });
    this.connect();
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  snapshot = (): Snapshot => this.snap;

  // open loads a conversation's newest page and follows it from there.
  // It starts before the conversation's head is known (the page needs no
  // other answer first); called again with the head (lastSeq), it fills
  // up to it once that first page is in.
  async open(tenant: string, conversation: string, lastSeq?: number): Promise<void> {
    this.tenants.set(conversation, tenant);
    if (lastSeq !== undefined) this.update({ heads: raise(this.snap.heads, conversation, lastSeq) });
    if (!this.snap.timelines.has(conversation)) {
      this.update({ timelines: withEntry(this.snap.timelines, conversation, empty) });
      const before = lastSeq === undefined ? newest : lastSeq + 1;
      this.opening.set(
        conversation,
        this.history(conversation, { before_seq: before, limit: pageSize }).then((page) => page && this.add(conversation, page)),
      );
    }
    await this.opening.get(conversation);
    await this.fill(conversation);
  }

  // send queues a message (kept on the device first) and sends it if the
  // socket is up; otherwise it leaves with the next connection.
  send(tenant: string, conversation: string, body: string): void {
    const user = this.snap.user;
    if (!user) throw new Error("not connected yet");
    const q: Queued = { id: uuidv7(), user, tenant, conversation, body, queuedAt: new Date().toISOString() };
    this.outbox.add(q);
    this.update({ pending: this.outbox.all() });
    this.flush();
  }

  // retry sends a refused message again, once what refused it has changed
  // (a consent given): same id, so it is stored once.
  retry(id: string): void {
    this.outbox.retry(id);
    this.update({ pending: this.outbox.all() });
    this.flush();
  }

  // discard drops a message the cell refused for good.
  discard(id: string): void {
    this.outbox.remove(id);
    this.update({ pending: this.outbox.all() });
  }

  // markRead tells the members how far this person has read.
  markRead(conversation: string): void {
    const t = this.snap.timelines.get(conversation);
    const seq = t?.held ?? 0;
    if (seq <= (this.snap.read.get(conversation) ?? 0)) return;
    const read = withEntry(this.snap.read, conversation, seq);
    try {
      this.store.setItem(readKey, JSON.stringify(Object.fromEntries(read)));
    } catch {
      // only the unread counts of this device are lost
    }
    this.update({ read });
    this.frame({ type: "read", conversation, seq });
  }

  // typing tells the members, at most once every two seconds.
  typing(conversation: string): void {
    const now = Date.now();
    if (now - (this.typingSent.get(conversation) ?? 0) < typingEveryMs) return;
    if (this.frame({ type: "typing", conversation })) this.typingSent.set(conversation, now);
  }

  // close ends the chat on this device (sign-out): the socket, and what
  // was queued, which belongs to the person signing out.
  close(): void {
    this.closed = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    clearTimeout(this.retryTimer);
    this.stopPing();
    this.stopListening();
    this.ws?.close(1000);
    forget(this.store);
    handToWorker([], false);
  }

  private onOnline = () => {
    this.attempt = 0;
    this.connect();
  };

  private onOffline = () => {
    clearTimeout(this.retryTimer);
    this.ws?.close(1000);
    this.ws = undefined;
    this.stopPing();
    this.update({ status: "offline" });
  };

  private connect(): void {
    if (this.closed || this.ws) return;
    clearTimeout(this.retryTimer);
    if (!navigator.onLine) {
      this.update({ status: "offline" });
      return;
    }
    this.update({ status: "connecting" });
    const ws = new WebSocket(this.url, "pushnchat.v1");
    this.ws = ws;
    ws.onmessage = (e) => {
      if (this.ws !== ws || typeof e.data !== "string") return;
      try {
        this.handle(JSON.parse(e.data) as Frame);
      } catch {
        // a frame this client cannot read is skipped; the stream is still in order
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.inFlight.clear();
      this.stopPing();
      if (this.closed || !navigator.onLine) return;
      // 1012 (the replica is draining) asks for a reconnect now; anything
      // else backs off with jitter, longer after flooding (4029).
      const base = e.code === 1012 ? 0 : Math.min(30_000, 500 * 2 ** this.attempt) * (e.code === 4029 ? 4 : 1);
      this.attempt++;
      this.update({ status: "waiting" });
      this.retryTimer = setTimeout(() => this.connect(), base * (0.5 + Math.random() / 2));
    };
  }

  private handle(f: Frame): void {
    switch (f.type) {
      case "hello":
        return this.hello(f);
      case "message":
        return this.received(f.message as Message);
      case "ack":
        return this.acked(f);
      case "refetch":
        void this.fill(String(f.conversation), Number(f.head_seq));
        return;
      case "joined":
        this.update({ heads: raise(this.snap.heads, String(f.conversation), 0) });
        return;
      case "left":
        return this.left(String(f.conversation));
      case "receipt": {
        const c = String(f.conversation);
        const mine = new Map(this.snap.receipts.get(c) ?? []);
        mine.set(String(f.user), Math.max(Number(f.seq), mine.get(String(f.user)) ?? 0));
        this.update({ receipts: withEntry(this.snap.receipts, c, mine) });
        return;
      }
      case "typing":
        return this.typed(String(f.conversation), String(f.user));
      case "partner_receipt": {
        const c = String(f.conversation);
        const cur = this.snap.partner.get(c) ?? { delivered: 0, read: 0 };
        const seq = Number(f.seq);
        const next = f.state === "read" ? { delivered: Math.max(cur.delivered, seq), read: Math.max(cur.read, seq) } : { ...cur, delivered: Math.max(cur.delivered, seq) };
        this.update({ partner: withEntry(this.snap.partner, c, next) });
        return;
      }
      case "refused": {
        const c = String(f.conversation);
        this.update({ undelivered: withEntry(this.snap.undelivered, c, withEntry(this.snap.undelivered.get(c) ?? new Map<number, string>(), Number(f.seq), String(f.detail))) });
        return;
      }
      case "error":
        return this.refused(f);
    }
  }

  private hello(f: Frame): void {
    const user = String(f.user);
    this.attempt = 0;
    try {
      this.store.setItem(userKey, user);
    } catch {
      // the next offline visit cannot show who typed; nothing is lost
    }
    let heads = this.snap.heads;
    for (const c of (f.conversations as { id: string; last_seq: number }[]) ?? []) heads = raise(heads, c.id, c.last_seq);
    this.update({ status: "live", user, heads });
    const every = Number(f.heartbeat_ms) || 25_000;
    this.stopPing();
    this.pinger = setInterval(() => this.frame({ type: "ping" }), every);
    // Where this device stands in each conversation it holds; the others
    // start at the hello's heads.
    const conversations = [...this.snap.timelines].filter(([, t]) => t.held > 0).map(([id, t]) => ({ id, last_seq: t.held }));
    this.frame({ type: "resume", ref: this.ref(), conversations });
    this.flush();
  }

  private received(m: Message): void {
    if (!m?.conversation_id) return;
    if (this.snap.typing.get(m.conversation_id)?.user === m.sender_id) {
      const typing = new Map(this.snap.typing); // what they typed has arrived
      typing.delete(m.conversation_id);
      this.update({ typing });
    }
    this.add(m.conversation_id, [m]);
    if (m.id && this.outbox.remove(m.id)) this.update({ pending: this.outbox.all() });
  }

  private acked(f: Frame): void {
    const id = String(f.id);
    const q = this.snap.pending.find((x) => x.id === id);
    for (const [ref, mid] of this.inFlight) if (mid === id) this.inFlight.delete(ref);
    if (q) {
      this.add(q.conversation, [{ conversation_id: q.conversation, seq: Number(f.seq), id, sender_id: q.user, body: q.body, created_at: String(f.created_at) }]);
      this.outbox.remove(id);
      this.update({ pending: this.outbox.all() });
    }
    this.flush();
  }

  private refused(f: Frame): void {
    const id = this.inFlight.get(String(f.ref));
    if (!id) return;
    this.inFlight.delete(String(f.ref));
    switch (f.code) {
      case "unavailable":
      case "rate_limited":
        // Sent again, with the same id, once the cell has had a moment.
        this.retryTimer = setTimeout(() => this.flush(), 1000);
        return;
      default:
        this.outbox.fail(id, String(f.detail ?? f.code), String(f.code));
        this.update({ pending: this.outbox.all() });
    }
  }

  private left(conversation: string): void {
    const heads = new Map(this.snap.heads);
    heads.delete(conversation);
    const timelines = new Map(this.snap.timelines);
    timelines.delete(conversation);
    this.update({ heads, timelines });
  }

  private typed(conversation: string, user: string): void {
    if (user === this.snap.user) return;
    const until = Date.now() + typingShownMs;
    this.update({ typing: withEntry(this.snap.typing, conversation, { user, until }) });
    setTimeout(() => {
      if (this.snap.typing.get(conversation)?.until === until) {
        const typing = new Map(this.snap.typing);
        typing.delete(conversation);
        this.update({ typing });
      }
    }, typingShownMs);
  }

  // flush sends what this person has queued, a bounded number at a time;
  // each ack makes room for the next.
  private flush(): void {
    const user = this.snap.user;
    if (!user || this.ws?.readyState !== WebSocket.OPEN || this.snap.status !== "live") return;
    const sent = new Set(this.inFlight.values());
    for (const q of this.outbox.sendable(user)) {
      if (this.inFlight.size >= inFlightMax) return;
      if (sent.has(q.id)) continue;
      const ref = this.ref();
      if (this.frame({ type: "send", ref, conversation: q.conversation, id: q.id, body: q.body })) this.inFlight.set(ref, q.id);
    }
  }

  private add(conversation: string, messages: Message[]): void {
    const last = messages.reduce((n, m) => Math.max(n, m.seq ?? 0), 0);
    const heads = raise(this.snap.heads, conversation, last);
    const t = this.snap.timelines.get(conversation);
    if (!t) {
      if (heads !== this.snap.heads) this.update({ heads });
      return; // not open on this device: the inbox only needs the head
    }
    const next = merge(t, messages);
    this.update({ heads, timelines: next === t ? this.snap.timelines : withEntry(this.snap.timelines, conversation, next) });
    if (gap(next)) void this.fill(conversation);
  }

  // fill fetches what is missing after the seq the device holds up to,
  // page by page, until the conversation's head (or upTo).
  private async fill(conversation: string, upTo = 0): Promise<void> {
    const tenant = this.tenants.get(conversation);
    if (!tenant || this.filling.has(conversation)) return;
    this.filling.add(conversation);
    try {
      for (;;) {
        const t = this.snap.timelines.get(conversation);
        const head = Math.max(upTo, this.snap.heads.get(conversation) ?? 0, t?.messages.at(-1)?.seq ?? 0);
        if (!t || t.held >= head) return;
        const page = await this.history(conversation, { after_seq: t.held, limit: pageSize });
        if (!page?.length) return;
        this.add(conversation, page);
      }
    } finally {
      this.filling.delete(conversation);
    }
  }

  private async history(conversation: string, query: { after_seq?: number; before_seq?: number; limit: number }): Promise<Message[] | undefined> {
    const tenant = this.tenants.get(conversation);
    if (!tenant) return undefined;
    try {
      const { data } = await cell.GET("/v1/t/{tenant}/conversations/{conversation}/messages", {
        params: { path: { tenant, conversation }, query },
      });
      return data?.items;
    } catch {
      return undefined; // offline: the next resume or open fills it
    }
  }

  private frame(f: Frame): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(f));
    return true;
  }

  private ref(): string {
    return `r${++this.nextRef}`;
  }

  private stopPing(): void {
    clearInterval(this.pinger);
    this.pinger = undefined;
  }

  private update(p: Partial<Snapshot>): void {
    this.snap = { ...this.snap, ...p };
    if (!this.closed && (p.pending !== undefined || p.status !== undefined)) {
      handToWorker(this.snap.user ? this.outbox.sendable(this.snap.user) : [], this.snap.status !== "live");
    }
    for (const fn of this.listeners) fn();
  }
}

// forget drops what the device holds for the person signing out: their
// queued messages, who they are, how far they have read.
export function forget(store: Store): void {
  new Outbox(store).clear();
  store.removeItem(userKey);
  store.removeItem(readKey);
}

export const initial: Snapshot = {
  status: "connecting",
  heads: new Map(),
  timelines: new Map(),
  pending: [],
  typing: new Map(),
  receipts: new Map(),
  read: new Map(),
  partner: new Map(),
  undelivered: new Map(),
};

function withEntry<K, V>(m: ReadonlyMap<K, V>, k: K, v: V): Map<K, V> {
  const n = new Map(m);
  n.set(k, v);
  return n;
}

// raise moves a head forward only; the same map when nothing changes.
function raise(m: ReadonlyMap<string, number>, k: string, seq: number): ReadonlyMap<string, number> {
  const cur = m.get(k);
  return cur !== undefined && cur >= seq ? m : withEntry(m, k, seq);
}

function readPositions(store: Store): Map<string, number> {
  try {
    const v = JSON.parse(store.getItem(readKey) ?? "{}") as Record<string, number>;
    return new Map(Object.entries(v).filter(([, s]) => typeof s === "number"));
  } catch {
    return new Map();
  }
}
