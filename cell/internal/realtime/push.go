package realtime

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"
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
