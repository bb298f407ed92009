package realtime

import (
	"sync"
	"time"
)

// How long a message that arrived ahead of a gap waits for the gap to
// close before it is filled: at least minGapWait, longer while gaps take
// longer to close by themselves (see gapClock.wait), at most maxGapWait.
const (
	minGapWait = 100 * time.Millisecond
	maxGapWait = time.Second
)

// gapClock is the replica's clock for gaps, and what it learned of them.
// Gaps are usually messages in flight: replicas deliver their own
// messages at once and hear the others' from Redis, so a later seq often
// arrives first. They close within about the time a publish takes to
// arrive, which grows with load; filling a gap that was about to close
// costs each waiting session a read of the stream (or the database) —
// more load. So the wait follows the gaps: twice as long as the longest
// that closed by itself in the last one or two seconds, between
// minGapWait and maxGapWait. (A fill ends a gap at the wait, so when many
// gaps close just before it, the wait grows.) A publish Redis lost waits
// longer for its fill under load.
type gapClock struct {
	epoch time.Time // the zero of now
	mu    sync.Mutex
	gaps  gapWindow
}

func newGapClock() *gapClock { return &gapClock{epoch: time.Now()} }

// now is the time on the replica's monotonic gap clock.
func (c *gapClock) now() time.Duration { return time.Since(c.epoch) }

// wait is the current gap wait.
func (c *gapClock) wait() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return waitFor(c.gaps.roll(c.now()))
}

// closed notes that a gap closed by itself after d.
func (c *gapClock) closed(d time.Duration) {
	c.mu.Lock()
	c.gaps.note(c.now(), d)
	c.mu.Unlock()
}

// waitFor is the gap wait when the longest recent gap lasted longest.
func waitFor(longest time.Duration) time.Duration {
	return min(max(minGapWait, 2*longest), maxGapWait)
}

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
