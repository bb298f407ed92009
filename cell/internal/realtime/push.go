package realtime

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
)

// Notification is one push to a member who has no live session: what FCM
// (or APNs through FCM) is asked to show.
type Notification struct {
	UserID         string    `json:"user_id"`
	ConversationID string    `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	SenderID       string    `json:"sender_id"`
	Preview        string    `json:"preview"`
	At             time.Time `json:"at"`
}

// Pusher delivers notifications to a user's devices. Production uses FCM;
// locally a Recorder writes down what would have been sent. Pushes are
// hints: the message itself waits in PostgreSQL and reaches the device by
// sync or resume whether or not the push arrives.
type Pusher interface {
	Push(ctx context.Context, n Notification) error
}

// Recorder is the local Pusher: it sends nothing and appends each
// notification as one JSON line to W.
type Recorder struct {
	mu sync.Mutex
	W  io.Writer
}

// Push implements Pusher.
func (r *Recorder) Push(_ context.Context, n Notification) error {
	if n.At.IsZero() {
		n.At = time.Now().UTC()
	}
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err = r.W.Write(append(b, '\n'))
	return err
}

// LogPusher records notifications in the cell's log (the default when no
// push log file is configured).
type LogPusher struct{ Logger *slog.Logger }

// Push implements Pusher.
func (p LogPusher) Push(ctx context.Context, n Notification) error {
	p.Logger.InfoContext(ctx, "push recorded (local: not sent)", "user", n.UserID, "conversation", n.ConversationID, "seq", n.Seq)
	return nil
}

// pushLoop notifies members who have no live session of new messages,
// checking presence for a batch of messages in one Redis round trip.
func (h *Hub) pushLoop() {
	for {
		batch, ok := gather(h.ctx, h.pushJobs, 256)
		if !ok {
			return
		}
		h.notifyOffline(batch)
	}
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
			asked[u] = askOnline(ctx, pipe, u, now)
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

type membersEntry struct {
	ids   []string
	until time.Time
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

// expireMembers drops cached member lists past their time.
func (h *Hub) expireMembers() {
	h.members.Range(func(k, v any) bool {
		if time.Now().After(v.(membersEntry).until) {
			h.members.Delete(k)
		}
		return true
	})
}

func preview(body string) string {
	r := []rune(body)
	if len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return body
}
