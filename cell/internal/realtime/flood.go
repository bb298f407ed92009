package realtime

import (
	"time"

	"golang.org/x/time/rate"
)

// floodGate is a connection's budget of frames. Frames beyond rate (with
// bursts of burst) are dropped with a rate_limited error; the dropped
// frames fill a second bucket of the same size that drains at the same
// rate, and a client that overflows it — one that keeps sending more
// than about twice its budget — is closed (4029). Only the session's
// reader uses it.
type floodGate struct {
	frames, drops *rate.Limiter
}

func newFloodGate(perSecond, burst float64) floodGate {
	return floodGate{frames: rate.NewLimiter(rate.Limit(perSecond), int(burst)), drops: rate.NewLimiter(rate.Limit(perSecond), int(burst))}
}

// verdict of one frame.
type verdict uint8

const (
	pass  verdict = iota
	drop          // answer rate_limited
	flood         // close with 4029
)

// admit spends one frame, arrived at now, of the budget.
func (g floodGate) admit(now time.Time) verdict {
	switch {
	case g.frames.AllowN(now, 1):
		return pass
	case g.drops.AllowN(now, 1):
		return drop
	}
	return flood
}
