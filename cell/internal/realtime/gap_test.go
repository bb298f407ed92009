package realtime

import (
	"testing"
	"time"
)

// The gap wait follows how long gaps took to close by themselves: the
// longest of the last one or two windows, twice over, within its
// bounds.
func TestGapWaitFollowsTheGaps(t *testing.T) {
	var w gapWindow
	ms := time.Millisecond
	steps := []struct {
		now, took, want time.Duration
	}{
		{100 * ms, 2 * ms, minGapWait},           // quick gaps: the floor
		{300 * ms, 200 * ms, 400 * ms},           // a slow one
		{900 * ms, 10 * ms, 400 * ms},            // remembered within its window
		{1500 * ms, 10 * ms, 400 * ms},           // and through the next one
		{2600 * ms, 10 * ms, minGapWait},         // then forgotten
		{2700 * ms, 5 * time.Second, maxGapWait}, // never beyond the cap
		{9000 * ms, 40 * ms, minGapWait},         // a long pause forgets everything
	}
	for _, st := range steps {
		if got := waitFor(w.note(st.now, st.took)); got != st.want {
			t.Fatalf("at %v a gap of %v: wait %v; want %v", st.now, st.took, got, st.want)
		}
	}

	c := newGapClock()
	if got := c.wait(); got != minGapWait {
		t.Fatalf("a replica that saw no gap waits %v; want %v", got, minGapWait)
	}
	c.closed(300 * ms)
	if got := c.wait(); got != 600*ms {
		t.Fatalf("after a 300ms gap the replica waits %v; want 600ms", got)
	}
	c.epoch = c.epoch.Add(-3 * gapSpan) // three windows without a gap
	if got := c.wait(); got != minGapWait {
		t.Fatalf("after a pause the replica waits %v; want %v", got, minGapWait)
	}
}
