package realtime

import "time"

// earlyLimit bounds the messages of one conversation that wait, in one
// session, for a gap ahead of them to close.
const earlyLimit = 64

// A sequencer puts one conversation's messages in order for one session.
// Messages can arrive out of order — replicas publish independently, and
// each delivers its own messages at once — so one that arrives ahead of a
// gap waits for the gap to close by itself; a gap that outlasts its wait
// is filled from the stream or the database. It is pure state: the
// session's pump offers it messages and does what it answers.
type sequencer struct {
	pos     int64            // the last seq delivered
	early   map[int64][]byte // frames that arrived ahead of a gap, by seq
	gapAt   time.Duration    // when the oldest of them arrived (gap clock)
	waiting bool             // a gap check is armed
}

// A placement is what to do with an offered message.
type placement uint8

const (
	stale   placement = iota // delivered already
	deliver                  // write it, set pos to it, then flush what waited
	hold                     // it waits behind a gap (arm a check if asked)
	fillTo                   // too far ahead to wait: fill the gap before it, then deliver it
)

// offer decides about message seq arriving at now. arm asks for a gap
// check after the gap wait; closed is how long a gap that this message
// closed by itself stayed open (zero when it closed none).
func (q *sequencer) offer(seq int64, frame []byte, now time.Duration) (v placement, arm bool, closed time.Duration) {
	switch {
	case seq <= q.pos:
		return stale, false, 0
	case seq == q.pos+1:
		if len(q.early) > 0 {
			closed = max(now-q.gapAt, time.Nanosecond)
		}
		return deliver, false, closed
	case seq-q.pos <= earlyLimit && len(q.early) < earlyLimit:
		if q.early == nil {
			q.early = map[int64][]byte{}
		}
		if len(q.early) == 0 {
			q.gapAt = now
		}
		q.early[seq] = frame
		return hold, q.arm(), 0
	default:
		return fillTo, false, 0
	}
}

// arm reports whether a gap check must be armed, noting that one is.
func (q *sequencer) arm() bool {
	if q.waiting {
		return false
	}
	q.waiting = true
	return true
}

// next returns the waiting frame that comes next, advancing to it.
func (q *sequencer) next() ([]byte, bool) {
	f, ok := q.early[q.pos+1]
	if ok {
		q.pos++
	}
	return f, ok
}

// settle forgets the waiting frames delivered meanwhile (by next or a
// fill); those still behind a gap start waiting for it at now. It reports
// whether a gap check must be armed.
func (q *sequencer) settle(now time.Duration) (arm bool) {
	if len(q.early) == 0 {
		return false
	}
	for seq := range q.early {
		if seq <= q.pos {
			delete(q.early, seq)
		}
	}
	if len(q.early) == 0 {
		return false
	}
	q.gapAt = now
	return q.arm()
}

// check runs an armed gap check at now, the gap wait being wait: a gap
// that has waited its whole wait is to be filled up to the frame behind
// it (fill, to); a younger one — the gap the check was armed for closed
// and another opened — is checked again after the rest of its wait
// (again > 0).
func (q *sequencer) check(now, wait time.Duration) (fill bool, to int64, again time.Duration) {
	q.waiting = false
	first := int64(0)
	for seq := range q.early {
		if seq > q.pos && (first == 0 || seq < first) {
			first = seq
		}
	}
	if first == 0 { // none waits, or all were delivered meanwhile
		clear(q.early)
		return false, 0, 0
	}
	if left := wait - (now - q.gapAt); left > 0 {
		q.waiting = true
		return false, 0, left
	}
	return true, first - 1, 0
}
