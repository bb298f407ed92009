package realtime

import (
	"testing"
	"time"
)

// The frame budget as docs/realtime.md states it: within the rate frames
// pass; beyond it they are dropped; a client that keeps sending more than
// about twice the rate is closed, one far above it at once.
func TestFloodGate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		perSec   int
		seconds  int
		closedBy time.Duration // 0: never closed
		dropped  bool
	}{
		{"within the budget", 20, 60, 0, false},
		{"a burst then quiet", 60, 1, 0, false},
		{"a little over the budget", 30, 60, 0, true},
		{"two and a half times the budget", 50, 60, 9 * time.Second, true},
		{"the probe's 1000 frames a second", 1000, 5, 150 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newFloodGate(20, 60)
			start := time.Unix(1_700_000_000, 0)
			step := time.Second / time.Duration(tc.perSec)
			dropped := false
			for i := range tc.perSec * tc.seconds {
				at := time.Duration(i) * step
				switch g.admit(start.Add(at)) {
				case drop:
					dropped = true
				case flood:
					if tc.closedBy == 0 || at > tc.closedBy {
						t.Fatalf("closed after %v at %d frames/s; want %v", at, tc.perSec, tc.closedBy)
					}
					return
				}
			}
			if tc.closedBy != 0 {
				t.Fatalf("%d frames/s for %ds were never closed; want closed by %v", tc.perSec, tc.seconds, tc.closedBy)
			}
			if dropped != tc.dropped {
				t.Errorf("dropped = %v; want %v", dropped, tc.dropped)
			}
		})
	}
}
