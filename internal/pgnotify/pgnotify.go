// Package pgnotify turns PostgreSQL NOTIFY into long-polled change feeds:
// Listen follows a channel (reconnecting after failures), a Signal wakes
// every waiting reader at once, and Wait is the long-poll that readers of
// a feed run. The control plane's directory feed and a cell's membership
// feed are both built from it.
package pgnotify

import (
	"context"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// Listen calls notify (which must not block) whenever channel is notified
// on the database at url, and once after each (re)connection to cover
// what was missed meanwhile, until ctx ends.
func Listen(ctx context.Context, url, channel string, notify func()) {
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize())
			notify()
			for err == nil {
				_, err = conn.WaitForNotification(ctx)
				if err == nil {
					notify()
				}
			}
			conn.Close(context.Background())
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// Signal wakes every waiter each time it fires. The zero value is ready.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// C returns a channel that is closed at the next Fire.
func (s *Signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Fire wakes everyone waiting on a channel from C.
func (s *Signal) Fire() {
	s.mu.Lock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
	s.mu.Unlock()
}

// Wait runs fetch until it reports something to answer (found) or wait
// has passed, fetching again each time sig fires. It returns early, with
// one last fetch, when stop is closed (a server shutting down); ctx ending
// (the client went away) returns ctx's error. The last fetch's answer is
// the reader's to write.
func Wait(ctx context.Context, wait time.Duration, sig *Signal, stop <-chan struct{}, fetch func() (found bool, err error)) error {
	deadline := time.NewTimer(max(wait, 0))
	defer deadline.Stop()
	last := wait <= 0
	for {
		woken := sig.C() // before the fetch: a change after it wakes us
		found, err := fetch()
		if err != nil || found || last {
			return err
		}
		select {
		case <-woken:
		case <-deadline.C:
			last = true
		case <-stop:
			last = true
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Query reads a feed reader's ?after= (the last seq it has; 0 when absent)
// and ?wait= (how long to wait for a first change, at most maxWait; 0
// when absent). Anything else is Invalid, naming the parameter.
func Query(q url.Values, maxWait time.Duration) (after int64, wait time.Duration, _ error) {
	var f errs.Fields
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			f.Add("after", "must be a sequence number")
		}
		after = n
	}
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			f.Add("wait", "must be a duration such as 25s")
		}
		wait = min(d, maxWait)
	}
	return after, wait, f.Err()
}
