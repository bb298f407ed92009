package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
)

// Hub is one replica's side of realtime messaging: its sessions, which
// of them follow which conversations, and the background work — Redis
// (fan), the sweep, presence, pushes and write coalescing — each in a file
// of its own.
type Hub struct {
	cfg    Config
	log    *slog.Logger
	fan    *fanout
	gaps   *gapClock
	co     coalescer
	sender messaging.Sender // sessions' sends: stored in cfg.DB, published here

	// subMu orders subscription changes: the bookkeeping and the Redis
	// command of one change happen before those of the next, so a channel
	// unsubscribed by one session's exit and followed again by another's
	// arrival ends up subscribed.
	subMu    sync.Mutex
	mu       sync.Mutex
	sessions map[*session]struct{}
	convs    map[string]map[*session]struct{} // conversation → local sessions following it
	users    map[string][]*session            // user → local sessions (usually one or two)
	seen     map[string]int64                 // conversation → highest seq heard of
	echoes   echoes                           // seqs delivered here as they committed, their echo from Redis not yet heard
	suspect  map[string]int64                 // conversation → head the last sweep found above seen
	draining bool

	kick     chan struct{} // sweep now, unconditionally (after a Redis reconnect)
	ctx      context.Context
	stop     context.CancelFunc
	done     sync.WaitGroup
	conns    sync.WaitGroup // live sessions
	pushJobs chan messaging.Message
	presence chan *session
	members  sync.Map                  // conversation → membersEntry
	onlineAt map[string]presenceAnswer // pushLoop only: recent presence answers by user

	mConns  metric.Int64UpDownCounter
	mFills  metric.Int64Counter
	mCloses metric.Int64Counter
}

// NewHub starts a replica's hub; Close stops it.
func NewHub(cfg Config) (*Hub, error) {
	cfg.defaults()
	h := &Hub{
		cfg: cfg, log: cfg.Logger, gaps: newGapClock(), co: coalescer{from: cfg.CoalesceFrom, window: cfg.CoalesceWindow},
		sessions: map[*session]struct{}{}, convs: map[string]map[*session]struct{}{}, users: map[string][]*session{},
		seen: map[string]int64{}, echoes: echoes{}, suspect: map[string]int64{}, onlineAt: map[string]presenceAnswer{},
		kick: make(chan struct{}, 1), pushJobs: make(chan messaging.Message, 4096), presence: make(chan *session, 8192),
	}
	h.sender = messaging.Sender{Store: cfg.DB, Publisher: h, Check: cfg.CheckMessage}
	if err := h.instrument(cfg.Meter.Meter("pushnchat/cell/realtime")); err != nil {
		return nil, err
	}
	h.ctx, h.stop = context.WithCancel(context.Background())
	h.fan = newFanout(h.ctx, cfg.Redis, cfg.StreamLength, cfg.Logger)
	for _, loop := range []func(){
		func() { h.fan.publishLoop(h.ctx) },
		func() { h.fan.receive(h.ctx, h.dispatch, h.sweepNow) },
		h.sweep,
		h.pushLoop,
		h.presenceLoop,
		func() { h.co.run(h.ctx) },
	} {
		h.done.Add(1)
		go func() {
			defer h.done.Done()
			loop()
		}()
	}
	return h, nil
}

func (h *Hub) instrument(m metric.Meter) error {
	var err error
	if h.mConns, err = m.Int64UpDownCounter("realtime.connections", metric.WithDescription("Open WebSocket sessions.")); err != nil {
		return err
	}
	for _, c := range []struct {
		name, desc string
		n          *atomic.Int64
	}{
		{"realtime.frames.sent", "Frames written to clients.", &h.co.frames},
		{"realtime.writes", "System calls writing frames to clients; fewer than frames while writes are coalesced.", &h.co.writes},
	} {
		if _, err = m.Int64ObservableCounter(c.name, metric.WithDescription(c.desc),
			metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
				o.Observe(c.n.Load())
				return nil
			})); err != nil {
			return err
		}
	}
	if h.mFills, err = m.Int64Counter("realtime.gap.fills", metric.WithDescription("Gaps filled on resume or out-of-order arrival, by source.")); err != nil {
		return err
	}
	h.mCloses, err = m.Int64Counter("realtime.closes", metric.WithDescription("Sessions closed by the server, by close code."))
	return err
}

// Close stops the hub's background work. Sessions are closed by Drain.
func (h *Hub) Close() error {
	h.stop()
	err := h.fan.close()
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

// dispatch hands what arrives on a channel to the local sessions it is for.
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
		if env.Kind == "m" && h.echoes.heard(conv, env.Seq) {
			h.mu.Unlock()
			return // this replica stored it and delivered it already
		}
		targets := slices.Collect(maps.Keys(h.convs[conv]))
		h.mu.Unlock()
		e := event{conv: conv, seq: env.Seq, frame: env.Frame}
		switch env.Kind {
		case "m":
			e.kind = evMessage
		case "r", "y", "p", "x":
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
		if w := h.fan.await(channel); w != nil {
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
	err := h.fan.subscribe(ctx, fresh)
	h.subMu.Unlock()
	if err != nil {
		h.log.Warn("realtime: subscribe (go-redis subscribes again when Redis is back)", "err", err)
		return
	}
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
			gone = append(gone, userChannel(s.user))
		} else {
			h.users[s.user] = l
		}
	}
	h.mu.Unlock()
	h.fan.unsubscribe(h.ctx, gone)
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
				delete(h.seen, c)
				delete(h.echoes, c)
				delete(h.suspect, c)
				gone = append(gone, convChannel(c))
			}
		}
	}
	h.mu.Unlock()
	h.fan.unsubscribe(h.ctx, gone)
}

func (h *Hub) countClose(code int) {
	h.mCloses.Add(context.Background(), 1, metric.WithAttributes(attribute.Int("code", code)))
}

func metricSource(src string) metric.AddOption {
	return metric.WithAttributes(attribute.String("source", src))
}
