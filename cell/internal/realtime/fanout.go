package realtime

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
)

// fanout is the replica's side of Redis, shared by every replica of the
// cell: the channels it subscribes to (each confirmed before a follower
// relies on it), the publish pipeline that puts a message on its
// conversation's stream and channel, the ephemeral and join notices, and
// reading a stream back to fill a gap.
type fanout struct {
	rdb          *redis.Client
	ps           *redis.PubSub
	streamLength int
	log          *slog.Logger
	queue        chan publication

	mu        sync.Mutex
	confirmed map[string]bool            // channels Redis confirmed
	waiters   map[string][]chan struct{} // closed when their channel is confirmed
}

// A publication is a stored message and its frame.
type publication struct {
	m     messaging.Message
	frame []byte
}

func newFanout(ctx context.Context, rdb *redis.Client, streamLength int, log *slog.Logger) *fanout {
	return &fanout{
		rdb: rdb, ps: rdb.Subscribe(ctx, accessChannel), streamLength: streamLength, log: log,
		queue: make(chan publication, 4096), confirmed: map[string]bool{}, waiters: map[string][]chan struct{}{},
	}
}

// close ends the subscriptions; receive returns.
func (f *fanout) close() error { return f.ps.Close() }

// await returns a channel closed once Redis confirms the subscription to
// channel, or nil when it has.
func (f *fanout) await(channel string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.confirmed[channel] {
		return nil
	}
	w := make(chan struct{})
	f.waiters[channel] = append(f.waiters[channel], w)
	return w
}

// subscribe asks Redis for channels; await tells when each is confirmed.
func (f *fanout) subscribe(ctx context.Context, channels []string) error {
	if len(channels) == 0 {
		return nil
	}
	return f.ps.Subscribe(ctx, channels...)
}

// unsubscribe drops channels, also while ctx (the hub's) is ending.
func (f *fanout) unsubscribe(ctx context.Context, channels []string) {
	if len(channels) == 0 {
		return
	}
	f.mu.Lock()
	for _, c := range channels {
		delete(f.confirmed, c)
	}
	f.mu.Unlock()
	if err := f.ps.Unsubscribe(context.WithoutCancel(ctx), channels...); err != nil && ctx.Err() == nil {
		f.log.Warn("realtime: unsubscribe", "err", err)
	}
}

// receive hands what Redis sends to deliver until ctx ends. go-redis
// reconnects and subscribes again by itself; a confirmation of a channel
// confirmed before means messages may have been missed meanwhile, and
// resubscribed is called.
func (f *fanout) receive(ctx context.Context, deliver func(channel, payload string), resubscribed func()) {
	backoff := 50 * time.Millisecond
	for {
		msg, err := f.ps.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			f.log.Warn("realtime: redis subscription interrupted", "err", err)
			select {
			case <-ctx.Done():
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
			f.mu.Lock()
			again := f.confirmed[m.Channel]
			f.confirmed[m.Channel] = true
			for _, w := range f.waiters[m.Channel] {
				close(w)
			}
			delete(f.waiters, m.Channel)
			f.mu.Unlock()
			if again {
				resubscribed()
			}
		case *redis.Message:
			deliver(m.Channel, m.Payload)
		}
	}
}

// publish queues p for the publisher, which sends what has gathered as
// one pipeline — one Redis round trip for a whole group commit — so the
// sender's ack never waits for Redis. When the publisher is behind, p is
// published in line, which slows its sender.
func (f *fanout) publish(ctx context.Context, p publication) {
	select {
	case f.queue <- p:
	default:
		f.publishBatch(ctx, []publication{p})
	}
}

// publishScript appends a message frame to the conversation's bounded
// stream and publishes it, atomically: a reader of the stream never misses
// what subscribers were told, and the reverse. The stream is trimmed
// approximately (whole nodes), which costs Redis less than trimming an
// entry per append; it keeps at least streamLength entries.
var publishScript = redis.NewScript(`
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 's', ARGV[2], 'f', ARGV[3])
redis.call('EXPIRE', KEYS[1], 604800)
return redis.call('PUBLISH', ARGV[4], ARGV[5])
`)

// publishLoop sends queued publishes in batches until ctx ends, then
// sends what is left, so other replicas need not wait for their sweep.
func (f *fanout) publishLoop(ctx context.Context) {
	for {
		batch, ok := gather(ctx, f.queue, 256)
		if !ok {
			break
		}
		f.publishBatch(ctx, batch)
	}
	var rest []publication
	for len(f.queue) > 0 {
		rest = append(rest, <-f.queue)
	}
	if len(rest) > 0 {
		f.publishBatch(context.Background(), rest)
	}
}

// publishBatch runs the publish script for each message in one pipeline,
// in (conversation, seq) order so streams stay ordered. A script Redis
// lost (it restarted) is loaded again by running that publish alone. A
// failure is logged: the message is stored, and the sweep delivers it.
func (f *fanout) publishBatch(ctx context.Context, batch []publication) {
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
	pipe := f.rdb.Pipeline()
	for i, p := range batch {
		m := p.m
		env := envelope{Kind: "m", Conv: m.ConversationID, Seq: m.Seq, Frame: p.frame}.encode()
		c := call{keys: []string{streamKey(m.ConversationID)}, args: []any{f.streamLength, m.Seq, p.frame, convChannel(m.ConversationID), env}}
		c.cmd = publishScript.EvalSha(ctx, pipe, c.keys, c.args...)
		calls[i] = c
	}
	_, _ = pipe.Exec(ctx)
	for i, c := range calls {
		err := c.cmd.Err()
		if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			err = publishScript.Run(ctx, f.rdb, c.keys, c.args...).Err()
		}
		if err != nil {
			f.log.Warn("realtime: publish failed; the sweep will deliver", "conversation", batch[i].m.ConversationID, "seq", batch[i].m.Seq, "err", err)
		}
	}
}

// publishEphemeral sends a receipt or typing frame to a conversation's
// followers; nothing is stored in Redis.
func (f *fanout) publishEphemeral(ctx context.Context, kind, conv string, frame []byte) {
	env := envelope{Kind: kind, Conv: conv, Frame: frame}.encode()
	if err := f.rdb.Publish(ctx, convChannel(conv), env).Err(); err != nil {
		f.log.Warn("realtime: publish", "kind", kind, "err", err)
	}
}

// announceJoin tells the members' live sessions, on every replica, about
// a conversation they now belong to.
func (f *fanout) announceJoin(ctx context.Context, c messaging.Conversation) {
	env := envelope{Kind: "j", Conv: c.ID, Frame: encode(headInfo{ID: c.ID, TenantID: c.TenantID, LastSeq: c.LastSeq})}.encode()
	pipe := f.rdb.Pipeline()
	for _, u := range c.Members {
		pipe.Publish(ctx, userChannel(u), env)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		f.log.Warn("realtime: publish new conversation", "conversation", c.ID, "err", err)
	}
}

// readStream returns the frames of seqs (from, to] from conv's stream, or
// nil unless it holds all of them.
func (f *fanout) readStream(ctx context.Context, conv string, from, to int64) [][]byte {
	n := to - from
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	entries, err := f.rdb.XRevRangeN(ctx, streamKey(conv), "+", "-", min(int64(f.streamLength), n+32)).Result()
	if err != nil || int64(len(entries)) < n {
		return nil
	}
	frames := make([][]byte, n)
	found := int64(0)
	for _, e := range entries {
		seqS, _ := e.Values["s"].(string)
		fr, _ := e.Values["f"].(string)
		seq, err := strconv.ParseInt(seqS, 10, 64)
		if err != nil || seq <= from || seq > to || frames[seq-from-1] != nil {
			continue
		}
		frames[seq-from-1] = []byte(fr)
		found++
	}
	if found != n {
		return nil
	}
	return frames
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
