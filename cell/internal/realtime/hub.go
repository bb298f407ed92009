package realtime

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
)

// Config tunes a Hub; zero values take the defaults in parentheses.
type Config struct {
	DB     *postgres.DB
	Redis  *redis.Client
	Pusher Pusher
	Logger *slog.Logger
	Meter  metric.MeterProvider
	// OriginPatterns are the web app's hosts allowed to open a connection
	// from a browser (requests without Origin, from apps, are allowed).
	OriginPatterns []string
	StreamLength   int           // entries kept per conversation stream, at least (256; trimmed in whole nodes)
	Heartbeat      time.Duration // how often clients ping (25s); silent for 2×+5s → closed
	Sweep          time.Duration // how often delivered heads are checked against PostgreSQL (2s)
	QueueLimit     int           // frames waiting for one slow client before it is closed (512)
	ResumeLimit    int           // messages sent on resume before "refetch" (500)
	MaxConvs       int           // conversations one connection follows (5000)
	FrameRate      float64       // frames per second a client may send (20)
	FrameBurst     float64       // and in a burst (60)
	// CoalesceFrom is the rate of frames written by this replica, per
	// second, above which it coalesces writes (7 500 per core of
	// GOMAXPROCS); CoalesceWindow is how long a session's frames then
	// gather before they go out together (10ms). See coalesce.
	CoalesceFrom   float64
	CoalesceWindow time.Duration
}

func (c *Config) defaults() {
	set := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	set(&c.StreamLength, 256)
	set(&c.QueueLimit, 512)
	set(&c.ResumeLimit, 500)
	set(&c.MaxConvs, 5000)
	if c.Heartbeat == 0 {
		c.Heartbeat = 25 * time.Second
	}
	if c.Sweep == 0 {
		c.Sweep = 2 * time.Second
	}
	if c.FrameRate == 0 {
		c.FrameRate = 20
	}
	if c.FrameBurst == 0 {
		c.FrameBurst = 60
	}
	if c.CoalesceFrom == 0 {
		c.CoalesceFrom = 7500 * float64(runtime.GOMAXPROCS(0))
	}
	if c.CoalesceWindow == 0 {
		c.CoalesceWindow = 10 * time.Millisecond
	}
	if c.Pusher == nil {
		c.Pusher = LogPusher{Logger: c.Logger}
	}
}

// Redis names. Channels are shared by every logical database of a server,
// so they carry ids that are unique anyway.
func convChannel(id string) string { return "rt:c:" + id }
func userChannel(id string) string { return "rt:u:" + id }
func streamKey(id string) string   { return "rt:s:" + id }
func presenceKey(id string) string { return "rt:p:" + id }

// publishScript appends a message frame to the conversation's bounded
// stream and publishes it, atomically: a reader of the stream never misses
// what subscribers were told, and the reverse. The stream is trimmed
// approximately (whole nodes), which costs Redis less than trimming an
// entry per append; it keeps at least StreamLength entries.
var publishScript = redis.NewScript(`
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 's', ARGV[2], 'f', ARGV[3])
redis.call('EXPIRE', KEYS[1], 604800)
return redis.call('PUBLISH', ARGV[4], ARGV[5])
`)

// An envelope is what travels on the channels: "<kind> <conversation>
// <seq> <frame>", the frame being the JSON clients get (for kind j, the
// conversation joined: a headInfo). Kinds: m message, r receipt, y
// typing, j joined. Receivers split it without scanning the frame.
type envelope struct {
	Kind  string
	Conv  string
	Seq   int64
	Frame []byte
}

func (e envelope) encode() []byte {
	b := make([]byte, 0, len(e.Kind)+len(e.Conv)+len(e.Frame)+24)
	b = append(b, e.Kind...)
	b = append(b, ' ')
	b = append(b, e.Conv...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, ' ')
	return append(b, e.Frame...)
}

func parseEnvelope(s string) (envelope, bool) {
	kind, rest, ok1 := strings.Cut(s, " ")
	conv, rest, ok2 := strings.Cut(rest, " ")
	seqS, frame, ok3 := strings.Cut(rest, " ")
	seq, err := strconv.ParseInt(seqS, 10, 64)
	if !ok1 || !ok2 || !ok3 || err != nil || kind == "" || conv == "" {
		return envelope{}, false
	}
	return envelope{Kind: kind, Conv: conv, Seq: seq, Frame: []byte(frame)}, true
}

// Hub is one replica's side of realtime messaging: its sessions, its
// Redis subscriptions, and the sweep.
type Hub struct {
	cfg Config
	log *slog.Logger
	ps  *redis.PubSub

	// subMu orders subscription changes: the bookkeeping and the Redis
	// command of one change happen before those of the next, so a channel
	// unsubscribed by one session's exit and followed again by another's
	// arrival ends up subscribed.
	subMu     sync.Mutex
	mu        sync.Mutex
	sessions  map[*session]struct{}
	convs     map[string]map[*session]struct{} // conversation → local sessions following it
	users     map[string][]*session            // user → local sessions (usually one or two)
	confirmed map[string]bool                  // channels Redis confirmed
	waiters   map[string][]chan struct{}
	seen      map[string]int64   // conversation → highest seq heard of
	echoes    map[string][]int64 // conversation → seqs delivered by deliverLocal, their echo from Redis not yet heard
	suspect   map[string]int64   // conversation → head the last sweep found above seen
	draining  bool

	kick      chan struct{} // sweep now, unconditionally (after a Redis reconnect)
	ctx       context.Context
	stop      context.CancelFunc
	done      sync.WaitGroup
	conns     sync.WaitGroup // live sessions
	pushJobs  chan messaging.Message
	publishes chan publication
	presence  chan *session
	members   sync.Map                  // conversation → membersEntry
	onlineAt  map[string]presenceAnswer // pushLoop only: recent presence answers by user

	mConns   metric.Int64UpDownCounter
	frames   atomic.Int64 // frames written to clients, read by the metric's callback
	writes   atomic.Int64 // the system calls that wrote them
	busy     atomic.Bool
	epoch    time.Time // the zero of the hub's clock (now)
	gapMu    sync.Mutex
	gaps     gapWindow // how long gaps took to close by themselves; under gapMu
	deferMu  sync.Mutex
	deferred []*session
	mFills   metric.Int64Counter
	mCloses  metric.Int64Counter
}

type membersEntry struct {
	ids   []string
	until time.Time
}

// NewHub starts a replica's hub; Close stops it.
func NewHub(cfg Config) (*Hub, error) {
	cfg.defaults()
	h := &Hub{
		cfg: cfg, log: cfg.Logger, epoch: time.Now(),
		sessions: map[*session]struct{}{}, convs: map[string]map[*session]struct{}{}, users: map[string][]*session{},
		confirmed: map[string]bool{}, onlineAt: map[string]presenceAnswer{}, waiters: map[string][]chan struct{}{}, seen: map[string]int64{}, echoes: map[string][]int64{}, suspect: map[string]int64{},
		kick: make(chan struct{}, 1), pushJobs: make(chan messaging.Message, 4096), publishes: make(chan publication, 4096), presence: make(chan *session, 8192),
	}
	m := cfg.Meter.Meter("pushnchat/cell/realtime")
	var err error
	if h.mConns, err = m.Int64UpDownCounter("realtime.connections", metric.WithDescription("Open WebSocket sessions.")); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		name, desc string
		n          *atomic.Int64
	}{
		{"realtime.frames.sent", "Frames written to clients.", &h.frames},
		{"realtime.writes", "System calls writing frames to clients; fewer than frames while writes are coalesced.", &h.writes},
	} {
		if _, err = m.Int64ObservableCounter(c.name, metric.WithDescription(c.desc),
			metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
				o.Observe(c.n.Load())
				return nil
			})); err != nil {
			return nil, err
		}
	}
	if h.mFills, err = m.Int64Counter("realtime.gap.fills", metric.WithDescription("Gaps filled on resume or out-of-order arrival, by source.")); err != nil {
		return nil, err
	}
	if h.mCloses, err = m.Int64Counter("realtime.closes", metric.WithDescription("Sessions closed by the server, by close code.")); err != nil {
		return nil, err
	}
	h.ctx, h.stop = context.WithCancel(context.Background())
	h.ps = cfg.Redis.Subscribe(h.ctx, accessChannel)
	cfg.DB.OnAppended(h.stored)
	h.done.Add(6)
	go h.publishLoop()
	go h.receive()
	go h.sweep()
	go h.pushLoop()
	go h.presenceLoop()
	go h.coalesce()
	return h, nil
}

// Close stops the hub's background work. Sessions are closed by Drain.
func (h *Hub) Close() error {
	h.stop()
	err := h.ps.Close()
	h.done.Wait()
	return err
}

// Drain closes every session with CloseRestart, so clients reconnect to
// another replica at once, refuses new ones, and waits for the sessions'
// goroutines to finish or ctx to end.
func (h *Hub) Drain(ctx context.Context) error {
	h.mu.Lock()
	h.draining = true
	ss := make([]*session, 0, len(h.sessions))
	for s := range h.sessions {
		ss = append(ss, s)
	}
	h.mu.Unlock()
	for _, s := range ss {
		s.closeWith(CloseRestart, "the server is restarting; reconnect")
	}
	done := make(chan struct{})
	go func() { h.conns.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("realtime: sessions still open at the end of the drain")
	}
}

// receive dispatches what Redis sends until the hub closes. go-redis
// reconnects and subscribes again by itself; a confirmation of a channel
// confirmed before means messages may have been missed meanwhile, so the
// sweep runs at once.
func (h *Hub) receive() {
	defer h.done.Done()
	backoff := 50 * time.Millisecond
	for {
		msg, err := h.ps.Receive(h.ctx)
		if err != nil {
			if h.ctx.Err() != nil {
				return
			}
			h.log.Warn("realtime: redis subscription interrupted", "err", err)
			select {
			case <-h.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			h.mu.Lock()
			again := h.confirmed[m.Channel]
			h.confirmed[m.Channel] = true
			for _, w := range h.waiters[m.Channel] {
				close(w)
			}
			delete(h.waiters, m.Channel)
			h.mu.Unlock()
			if again {
				select {
				case h.kick <- struct{}{}:
				default:
				}
			}
		case *redis.Message:
			h.dispatch(m.Channel, m.Payload)
		}
	}
}

func (h *Hub) dispatch(channel, payload string) {
	if channel == accessChannel {
		h.accessChanged(payload)
		return
	}
	env, ok := parseEnvelope(payload)
	if !ok {
		h.log.Error("realtime: unreadable envelope", "channel", channel)
		return
	}
	switch {
	case strings.HasPrefix(channel, "rt:c:"):
		conv := channel[len("rt:c:"):]
		h.mu.Lock()
		if env.Kind == "m" && env.Seq > h.seen[conv] {
			h.seen[conv] = env.Seq
		}
		if env.Kind == "m" && h.echoed(conv, env.Seq) {
			h.mu.Unlock()
			return // this replica stored it and delivered it already
		}
		targets := slices.Collect(maps.Keys(h.convs[conv]))
		h.mu.Unlock()
		e := event{conv: conv, seq: env.Seq, frame: env.Frame}
		switch env.Kind {
		case "m":
			e.kind = evMessage
		case "r", "y":
			e.kind = evEphemeral
		default:
			return
		}
		for _, s := range targets {
			s.enqueue(e)
		}
	case strings.HasPrefix(channel, "rt:u:") && env.Kind == "j":
		var head headInfo
		if err := json.Unmarshal(env.Frame, &head); err != nil || head.ID == "" {
			h.log.Error("realtime: unreadable join", "channel", channel, "err", err)
			return
		}
		user := channel[len("rt:u:"):]
		h.mu.Lock()
		targets := slices.Clone(h.users[user])
		h.mu.Unlock()
		for _, s := range targets {
			s.join(head)
		}
	}
}

// follow adds s to the local followers of convs (and its user channel),
// subscribing in Redis to what no local session followed yet, and waits
// for Redis to confirm, so that nothing published after follow returns is
// missed. A confirmation that does not come in time is logged: the sweep
// covers what the subscription misses.
func (h *Hub) follow(ctx context.Context, s *session, withUser bool, convs []string) {
	var fresh []string
	var waits []chan struct{}
	h.subMu.Lock()
	h.mu.Lock()
	await := func(channel string) {
		if !h.confirmed[channel] {
			w := make(chan struct{})
			h.waiters[channel] = append(h.waiters[channel], w)
			waits = append(waits, w)
		}
	}
	if withUser {
		ch := userChannel(s.user)
		if len(h.users[s.user]) == 0 {
			fresh = append(fresh, ch)
		}
		h.users[s.user] = append(h.users[s.user], s)
		await(ch)
	}
	for _, c := range convs {
		ch := convChannel(c)
		m := h.convs[c]
		if m == nil {
			m = map[*session]struct{}{}
			h.convs[c] = m
			fresh = append(fresh, ch)
		}
		m[s] = struct{}{}
		await(ch)
	}
	h.mu.Unlock()
	if len(fresh) > 0 {
		err := h.ps.Subscribe(ctx, fresh...)
		if err != nil {
			h.subMu.Unlock()
			h.log.Warn("realtime: subscribe (go-redis subscribes again when Redis is back)", "err", err)
			return
		}
	}
	h.subMu.Unlock()
	deadline := time.After(3 * time.Second)
	for _, w := range waits {
		select {
		case <-w:
		case <-deadline:
			h.log.Warn("realtime: subscription not confirmed in time; the sweep covers the gap")
			return
		case <-ctx.Done():
			return
		}
	}
}

// unfollow removes s from its user's local sessions, unsubscribing the
// user channel when no local session needs it any more.
func (h *Hub) unfollow(s *session) {
	h.subMu.Lock()
	defer h.subMu.Unlock()
	h.mu.Lock()
	var gone []string
	if l := h.users[s.user]; len(l) > 0 {
		if i := slices.Index(l, s); i >= 0 {
			l = slices.Delete(l, i, i+1)
		}
		if len(l) == 0 {
			delete(h.users, s.user)
			delete(h.confirmed, userChannel(s.user))
			gone = append(gone, userChannel(s.user))
		} else {
			h.users[s.user] = l
		}
	}
	h.mu.Unlock()
	h.unsubscribe(gone)
}

// unfollowConversations removes s from the local followers of convs,
// unsubscribing channels no local session needs any more.
func (h *Hub) unfollowConversations(s *session, convs []string) {
	h.subMu.Lock()
	defer h.subMu.Unlock()
	h.mu.Lock()
	var gone []string
	for _, c := range convs {
		if m := h.convs[c]; m != nil {
			delete(m, s)
			if len(m) == 0 {
				delete(h.convs, c)
				delete(h.confirmed, convChannel(c))
				delete(h.seen, c)
				delete(h.echoes, c)
				delete(h.suspect, c)
				gone = append(gone, convChannel(c))
			}
		}
	}
	h.mu.Unlock()
	h.unsubscribe(gone)
}

// unsubscribe drops Redis channels; h.subMu is held.
func (h *Hub) unsubscribe(channels []string) {
	if len(channels) == 0 {
		return
	}
	if err := h.ps.Unsubscribe(context.WithoutCancel(h.ctx), channels...); err != nil && h.ctx.Err() == nil {
		h.log.Warn("realtime: unsubscribe", "err", err)
	}
}

// Publish makes a stored message live. This replica's followers of the
// conversation get it at once; the other replicas hear it from Redis: it
// goes to the conversation's stream and channel, atomically, in one
// script. Publishes queue for the publisher, which sends what has
// gathered as one pipeline — one Redis round trip for a whole group
// commit — so the sender's ack never waits for Redis. The hub publishes
// what the database stores as it commits (see stored); senders call
// Publish for a retry, whose message was stored before (a repeated
// publish is dropped by receivers by its seq). A failure is logged, not
// returned to the sender: the message is stored, and the sweep delivers
// it.
func (h *Hub) Publish(ctx context.Context, m messaging.Message) {
	p := publication{m: m, frame: encode(messageFrame{Type: "message", Message: m})}
	h.deliverLocal(p)
	select {
	case h.publishes <- p:
	default: // the publisher is behind: publish in line, which slows this sender
		h.publishBatch(ctx, []publication{p})
	}
	select {
	case h.pushJobs <- m:
	default:
		h.log.Warn("realtime: push queue full; notification skipped (the message is stored and syncs)", "conversation", m.ConversationID, "seq", m.Seq)
	}
}

// stored publishes messages the database just committed, in commit order,
// before their senders are told (postgres.DB.OnAppended): a group commit's
// messages reach this replica's followers and the publisher's queue in seq
// order, however the senders' goroutines are scheduled after it.
func (h *Hub) stored(ms []messaging.Message) {
	for _, m := range ms {
		h.Publish(h.ctx, m)
	}
}

// A publication is a stored message and its frame.
type publication struct {
	m     messaging.Message
	frame []byte
}

// echoLimit bounds the seqs per conversation awaiting their echo from
// Redis; past it (Redis lost publishes) the oldest is forgotten, and its
// echo, should it come, is delivered again and dropped by each session.
const echoLimit = 64

// gapWindow keeps the longest of the gaps noted in the current and the
// previous window of gapSpan.
type gapWindow struct {
	start     time.Duration
	cur, prev time.Duration
}

const gapSpan = time.Second

// roll moves the windows on to now and returns the longest gap they hold.
func (w *gapWindow) roll(now time.Duration) time.Duration {
	switch el := now - w.start; {
	case el >= 2*gapSpan:
		w.start, w.cur, w.prev = now, 0, 0
	case el >= gapSpan:
		w.start, w.cur, w.prev = now, 0, w.cur
	}
	return max(w.cur, w.prev)
}

// note adds a gap that lasted d, at now, and returns the longest held.
func (w *gapWindow) note(now, d time.Duration) time.Duration {
	w.roll(now)
	w.cur = max(w.cur, d)
	return max(w.cur, w.prev)
}

// gapWait is how long a message that arrived ahead of a gap waits for it
// to close before the gap is filled. Gaps are usually messages in flight:
// replicas deliver their own messages at once and hear the others' from
// Redis, so a later seq often arrives first. They close within about the
// time a publish takes to arrive, which grows with load; filling a gap
// that was about to close costs each waiting session a read of the stream
// (or the database) — more load. So the wait follows the gaps: twice as
// long as the longest that closed by itself in the last one or two
// seconds, between gapWait and gapWaitMax. (A fill ends a gap at the wait,
// so when many gaps close just before it, the wait grows.) A publish
// Redis lost waits longer for its fill under load.
func (h *Hub) gapWait() time.Duration {
	h.gapMu.Lock()
	defer h.gapMu.Unlock()
	return waitFor(h.gaps.roll(h.now()))
}

// waitFor is the gap wait when the longest recent gap lasted longest.
func waitFor(longest time.Duration) time.Duration {
	return min(max(gapWait, 2*longest), gapWaitMax)
}

// now is the time on the hub's monotonic clock.
func (h *Hub) now() time.Duration { return time.Since(h.epoch) }

// gapClosed notes that a gap closed by itself after d.
func (h *Hub) gapClosed(d time.Duration) {
	h.gapMu.Lock()
	h.gaps.note(h.now(), d)
	h.gapMu.Unlock()
}

// deliverLocal hands a message stored on this replica to the local
// followers of its conversation, without the round trip through Redis,
// and notes its seq so the copy Redis sends back is not delivered twice.
// A session that starts following the conversation after this read its
// head after the commit, so it does not need the message.
func (h *Hub) deliverLocal(p publication) {
	conv := p.m.ConversationID
	h.mu.Lock()
	if p.m.Seq > h.seen[conv] {
		h.seen[conv] = p.m.Seq
	}
	targets := slices.Collect(maps.Keys(h.convs[conv]))
	if len(targets) > 0 {
		l := h.echoes[conv]
		if len(l) >= echoLimit {
			l = l[1:]
		}
		h.echoes[conv] = append(l, p.m.Seq)
	}
	h.mu.Unlock()
	for _, s := range targets {
		s.enqueue(event{kind: evMessage, conv: conv, seq: p.m.Seq, frame: p.frame})
	}
}

// echoed reports whether seq of conv was delivered here by deliverLocal,
// forgetting it. h.mu is held.
func (h *Hub) echoed(conv string, seq int64) bool {
	l := h.echoes[conv]
	i := slices.Index(l, seq)
	if i < 0 {
		return false
	}
	if len(l) == 1 {
		delete(h.echoes, conv)
	} else {
		h.echoes[conv] = slices.Delete(l, i, i+1)
	}
	return true
}

// publishLoop sends queued publishes in batches until the hub closes, then
// sends what is left, so other replicas need not wait for their sweep.
func (h *Hub) publishLoop() {
	defer h.done.Done()
	for {
		batch, ok := gather(h.ctx, h.publishes, 256)
		if !ok {
			break
		}
		h.publishBatch(h.ctx, batch)
	}
	var rest []publication
	for len(h.publishes) > 0 {
		rest = append(rest, <-h.publishes)
	}
	if len(rest) > 0 {
		h.publishBatch(context.Background(), rest)
	}
}

// publishBatch runs the publish script for each message in one pipeline,
// in (conversation, seq) order so streams stay ordered. A script Redis
// lost (it restarted) is loaded again by running that publish alone.
func (h *Hub) publishBatch(ctx context.Context, batch []publication) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	slices.SortFunc(batch, func(a, b publication) int {
		return cmp.Or(strings.Compare(a.m.ConversationID, b.m.ConversationID), cmp.Compare(a.m.Seq, b.m.Seq))
	})
	type call struct {
		keys []string
		args []any
		cmd  *redis.Cmd
	}
	calls := make([]call, len(batch))
	pipe := h.cfg.Redis.Pipeline()
	for i, p := range batch {
		m := p.m
		env := envelope{Kind: "m", Conv: m.ConversationID, Seq: m.Seq, Frame: p.frame}.encode()
		c := call{keys: []string{streamKey(m.ConversationID)}, args: []any{h.cfg.StreamLength, m.Seq, p.frame, convChannel(m.ConversationID), env}}
		c.cmd = publishScript.EvalSha(ctx, pipe, c.keys, c.args...)
		calls[i] = c
	}
	_, _ = pipe.Exec(ctx)
	for i, c := range calls {
		err := c.cmd.Err()
		if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			err = publishScript.Run(ctx, h.cfg.Redis, c.keys, c.args...).Err()
		}
		if err != nil {
			h.log.Warn("realtime: publish failed; the sweep will deliver", "conversation", batch[i].m.ConversationID, "seq", batch[i].m.Seq, "err", err)
		}
	}
}

// publishEphemeral sends a receipt or typing frame to a conversation's
// followers; nothing is stored in Redis.
func (h *Hub) publishEphemeral(ctx context.Context, kind, conv string, frame []byte) {
	env := envelope{Kind: kind, Conv: conv, Frame: frame}.encode()
	if err := h.cfg.Redis.Publish(ctx, convChannel(conv), env).Err(); err != nil {
		h.log.Warn("realtime: publish", "kind", kind, "err", err)
	}
}

// ConversationCreated tells the members' live sessions about a new
// conversation, so they follow it without reconnecting.
func (h *Hub) ConversationCreated(ctx context.Context, c messaging.Conversation) {
	env := envelope{Kind: "j", Conv: c.ID, Frame: encode(headInfo{ID: c.ID, TenantID: c.TenantID, LastSeq: c.LastSeq})}.encode()
	pipe := h.cfg.Redis.Pipeline()
	for _, u := range c.Members {
		pipe.Publish(ctx, userChannel(u), env)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		h.log.Warn("realtime: publish new conversation", "conversation", c.ID, "err", err)
	}
}

// sweep compares, every Sweep, the head of each followed conversation in
// PostgreSQL with the highest seq heard of here. A head that stays above
// for two sweeps in a row (or any after a Redis reconnect) is delivered
// from PostgreSQL: a publish was lost.
func (h *Hub) sweep() {
	defer h.done.Done()
	t := time.NewTicker(h.cfg.Sweep)
	defer t.Stop()
	housekeeping := time.NewTicker(h.cfg.Heartbeat)
	defer housekeeping.Stop()
	for {
		force := false
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		case <-h.kick:
			force = true
		case <-housekeeping.C:
			h.closeSilent()
			h.members.Range(func(k, v any) bool {
				if time.Now().After(v.(membersEntry).until) {
					h.members.Delete(k)
				}
				return true
			})
			continue
		}
		h.mu.Lock()
		ids := make([]string, 0, len(h.convs))
		for c := range h.convs {
			ids = append(ids, c)
		}
		h.mu.Unlock()
		h.checkAccessVersions()
		for start := 0; start < len(ids); start += 5000 {
			batch := ids[start:min(start+5000, len(ids))]
			ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
			heads, err := h.cfg.DB.Heads(ctx, batch)
			cancel()
			if err != nil {
				if h.ctx.Err() == nil {
					h.log.Warn("realtime: sweep", "err", err)
				}
				break
			}
			h.catchUp(heads, force)
		}
	}
}

func (h *Hub) catchUp(heads map[string]int64, force bool) {
	type job struct {
		ss   []*session
		conv string
		head int64
	}
	var jobs []job
	h.mu.Lock()
	for conv, head := range heads {
		if head <= h.seen[conv] {
			delete(h.suspect, conv)
			continue
		}
		if prev, ok := h.suspect[conv]; !force && (!ok || prev < head) {
			h.suspect[conv] = head // note it; act if it is still missing next time
			continue
		}
		delete(h.suspect, conv)
		h.seen[conv] = head
		jobs = append(jobs, job{conv: conv, head: head, ss: slices.Collect(maps.Keys(h.convs[conv]))})
	}
	h.mu.Unlock()
	for _, j := range jobs {
		for _, s := range j.ss {
			s.enqueue(event{kind: evCatchUp, conv: j.conv, seq: j.head})
		}
	}
}

// markPresent notes s as online; presenceLoop writes it to Redis with
// others, so the session's reader never waits on Redis for it.
func (h *Hub) markPresent(s *session) {
	select {
	case h.presence <- s:
	default: // presence is a hint for pushes; a full queue skips one renewal
	}
}

// presenceLoop records sessions as online until three heartbeats from now,
// in one pipeline per batch; clients renew it with every ping.
func (h *Hub) presenceLoop() {
	defer h.done.Done()
	for {
		batch, ok := gather(h.ctx, h.presence, 512)
		if !ok {
			return
		}
		now := time.Now()
		exp := float64(now.Add(3 * h.cfg.Heartbeat).Unix())
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		pipe := h.cfg.Redis.Pipeline()
		for _, s := range batch {
			key := presenceKey(s.user)
			pipe.ZAdd(ctx, key, redis.Z{Score: exp, Member: s.id})
			pipe.Expire(ctx, key, 4*h.cfg.Heartbeat)
			pipe.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(now.Unix(), 10))
		}
		if _, err := pipe.Exec(ctx); err != nil && h.ctx.Err() == nil {
			h.log.Debug("realtime: presence", "err", err)
		}
		cancel()
	}
}

// closeSilent closes sessions that sent nothing for twice the heartbeat.
func (h *Hub) closeSilent() {
	limit := time.Now().Add(-(2*h.cfg.Heartbeat + 5*time.Second)).UnixNano()
	h.mu.Lock()
	var silent []*session
	for s := range h.sessions {
		if s.lastRead.Load() < limit {
			silent = append(silent, s)
		}
	}
	h.mu.Unlock()
	for _, s := range silent {
		s.closeWith(CloseHeartbeat, "no heartbeat")
	}
}

// pushLoop notifies members who have no live session of new messages,
// checking presence for a batch of messages in one Redis round trip.
func (h *Hub) pushLoop() {
	defer h.done.Done()
	for {
		batch, ok := gather(h.ctx, h.pushJobs, 256)
		if !ok {
			return
		}
		h.notifyOffline(batch)
	}
}

// gather waits for one item of ch, then takes what else is already
// there, up to max; false once ctx ends.
func gather[T any](ctx context.Context, ch <-chan T, max int) ([]T, bool) {
	var batch []T
	select {
	case <-ctx.Done():
		return nil, false
	case v := <-ch:
		batch = append(batch, v)
	}
	for len(batch) < max {
		select {
		case v := <-ch:
			batch = append(batch, v)
		default:
			return batch, true
		}
	}
	return batch, true
}

// presenceFresh is how long a presence answer from Redis is reused: a
// member who went offline (or came back) within it may miss a push (or get
// one too many). The message itself syncs either way.
const presenceFresh = time.Second

type presenceAnswer struct {
	online bool
	at     time.Time
}

func (h *Hub) notifyOffline(batch []messaging.Message) {
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	now := time.Now()
	members := make([][]string, len(batch))
	asked := map[string]*redis.IntCmd{}
	pipe := h.cfg.Redis.Pipeline()
	for i, m := range batch {
		ids, err := h.conversationMembers(ctx, m.ConversationID)
		if err != nil {
			h.log.Warn("realtime: push: members", "err", err)
			continue
		}
		members[i] = ids
		for _, u := range ids {
			if u == m.SenderID || asked[u] != nil {
				continue
			}
			if a, ok := h.onlineAt[u]; ok && now.Sub(a.at) < presenceFresh {
				continue
			}
			h.mu.Lock()
			local := len(h.users[u]) > 0
			h.mu.Unlock()
			if local { // a live session here: online, no need to ask
				h.onlineAt[u] = presenceAnswer{online: true, at: now}
				continue
			}
			asked[u] = pipe.ZCount(ctx, presenceKey(u), strconv.FormatInt(now.Unix(), 10), "+inf")
		}
	}
	if len(asked) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			h.log.Warn("realtime: push: presence", "err", err)
			return
		}
		for u, c := range asked {
			h.onlineAt[u] = presenceAnswer{online: c.Val() > 0, at: now}
		}
	}
	for i, m := range batch {
		for _, u := range members[i] {
			if u == m.SenderID || h.onlineAt[u].online {
				continue // online: the live frame is the notification
			}
			n := Notification{UserID: u, ConversationID: m.ConversationID, Seq: m.Seq, SenderID: m.SenderID, Preview: preview(m.Body)}
			if err := h.cfg.Pusher.Push(ctx, n); err != nil {
				h.log.Warn("realtime: push", "user", u, "err", err)
			}
		}
	}
	if len(h.onlineAt) > 4096 { // forget stale answers now and then
		for u, a := range h.onlineAt {
			if now.Sub(a.at) >= presenceFresh {
				delete(h.onlineAt, u)
			}
		}
	}
}

// conversationMembers caches member lists for 20-40 s (spread, so they do
// not all expire at once): a member added since then gets the message by
// sync rather than a push.
func (h *Hub) conversationMembers(ctx context.Context, conv string) ([]string, error) {
	if v, ok := h.members.Load(conv); ok && time.Now().Before(v.(membersEntry).until) {
		return v.(membersEntry).ids, nil
	}
	ids, err := h.cfg.DB.ConversationMembers(ctx, conv)
	if err != nil {
		return nil, err
	}
	h.members.Store(conv, membersEntry{ids: ids, until: time.Now().Add(20*time.Second + rand.N(20*time.Second))})
	return ids, nil
}

func preview(body string) string {
	r := []rune(body)
	if len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return body
}

func (h *Hub) countClose(code int) {
	h.mCloses.Add(context.Background(), 1, metric.WithAttributes(attribute.Int("code", code)))
}

func metricSource(src string) metric.AddOption {
	return metric.WithAttributes(attribute.String("source", src))
}

// deferPump queues s, whose pump is not running, for the next tick.
func (h *Hub) deferPump(s *session) {
	h.deferMu.Lock()
	h.deferred = append(h.deferred, s)
	h.deferMu.Unlock()
}

// coalesce decides, ten times a second, whether the replica is busy —
// writing more than CoalesceFrom frames a second — and starts, every
// CoalesceWindow, the pumps of the sessions deferred meanwhile. A busy
// replica's write system calls are most of its work and each carries one
// frame to one client; a session that gathers for a window sends what
// arrived meanwhile in one call (see corkWriter), so at high rates a
// client's frames share system calls and TCP segments, and the replica
// starts one pump per window instead of one per frame. Below the rate
// nothing waits.
func (h *Hub) coalesce() {
	defer h.done.Done()
	t := time.NewTicker(h.cfg.CoalesceWindow)
	defer t.Stop()
	last, lastAt := h.frames.Load(), time.Now()
	start := func() {
		h.deferMu.Lock()
		d := h.deferred
		h.deferred = nil
		h.deferMu.Unlock()
		for _, s := range d {
			go s.pump()
		}
	}
	for {
		select {
		case <-h.ctx.Done():
			h.busy.Store(false)
			start()
			return
		case now := <-t.C:
			if el := now.Sub(lastAt); el >= 100*time.Millisecond {
				n := h.frames.Load()
				h.busy.Store(float64(n-last)/el.Seconds() > h.cfg.CoalesceFrom)
				last, lastAt = n, now
			}
			start()
		}
	}
}
