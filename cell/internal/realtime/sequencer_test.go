package realtime

import (
	"fmt"
	"testing"
	"time"
)

// deliverAll plays the pump's part after a deliver verdict or a fill up
// to seq at now: advance to seq, flush what waited behind it, settle. It
// returns the seqs delivered and whether a gap check is to be armed.
func deliverAll(q *sequencer, seq int64, now time.Duration) ([]int64, bool) {
	q.pos = seq
	got := []int64{seq}
	for {
		f, ok := q.next()
		if !ok {
			return got, q.settle(now)
		}
		var s int64
		if _, err := fmt.Sscan(string(f), &s); err != nil {
			panic(err)
		}
		got = append(got, s)
	}
}

func frame(seq int64) []byte { return []byte(fmt.Sprint(seq)) }

func TestSequencerDeliversInOrderAndDropsWhatItHas(t *testing.T) {
	var q sequencer
	for seq := int64(1); seq <= 3; seq++ {
		if v, arm, closed := q.offer(seq, frame(seq), 0); v != deliver || arm || closed != 0 {
			t.Fatalf("seq %d in order: %v arm=%v closed=%v; want deliver", seq, v, arm, closed)
		}
		deliverAll(&q, seq, 0)
	}
	if v, _, _ := q.offer(2, frame(2), 0); v != stale {
		t.Fatalf("a repeated seq: %v; want stale", v)
	}
}

// A message ahead of a gap waits, one gap check is armed, and the missing
// message closing the gap by itself releases the waiting ones in order and
// reports how long the gap stayed open.
func TestSequencerHoldsMessagesBehindAGapUntilItCloses(t *testing.T) {
	q := sequencer{pos: 10}
	ms := time.Millisecond
	if v, arm, _ := q.offer(13, frame(13), 5*ms); v != hold || !arm {
		t.Fatalf("seq 13 after 10: %v arm=%v; want hold and a check armed", v, arm)
	}
	if v, arm, _ := q.offer(12, frame(12), 7*ms); v != hold || arm {
		t.Fatalf("seq 12 behind the same gap: %v arm=%v; want hold, no second check", v, arm)
	}
	v, _, closed := q.offer(11, frame(11), 35*ms)
	if v != deliver || closed != 30*ms {
		t.Fatalf("seq 11 closing the gap: %v closed=%v; want deliver after a 30ms gap", v, closed)
	}
	got, arm := deliverAll(&q, 11, 35*ms)
	if fmt.Sprint(got) != "[11 12 13]" || arm || len(q.early) != 0 {
		t.Fatalf("delivered %v, arm=%v, %d still waiting; want [11 12 13] and nothing left", got, arm, len(q.early))
	}
}

// A gap check fills only a gap that waited its whole wait; one armed for
// a gap that closed finds a younger one and waits the rest of its wait.
func TestSequencerGapCheckFillsOnlyAGapThatWaitedItsWait(t *testing.T) {
	ms := time.Millisecond
	q := sequencer{pos: 1}
	q.offer(3, frame(3), 0) // gap at 2, armed
	q.offer(2, frame(2), 40*ms)
	if _, arm := deliverAll(&q, 2, 40*ms); arm {
		t.Fatal("nothing waits after 3; no check to arm")
	}
	if v, arm, _ := q.offer(5, frame(5), 60*ms); v != hold || arm { // a new gap at 4
		t.Fatalf("seq 5 after 3: %v arm=%v; want hold under the check still armed", v, arm)
	}
	fill, _, again := q.check(100*ms, 100*ms)
	if fill || again != 60*ms {
		t.Fatalf("check at 100ms of a gap from 60ms: fill=%v again=%v; want no fill, again in 60ms", fill, again)
	}
	fill, to, _ := q.check(160*ms, 100*ms)
	if !fill || to != 4 {
		t.Fatalf("check after the whole wait: fill=%v to=%d; want a fill up to 4", fill, to)
	}
	if got, _ := deliverAll(&q, 4, 160*ms); fmt.Sprint(got) != "[4 5]" { // the pump filled 4
		t.Fatalf("after the fill %v; want [4 5]", got)
	}
	if fill, _, again := q.check(300*ms, 100*ms); fill || again != 0 {
		t.Fatal("a check with nothing waiting should do nothing")
	}
}

// A message more than earlyLimit ahead is not held: the gap before it is
// filled at once.
func TestSequencerFillsWhatItCannotHold(t *testing.T) {
	q := sequencer{pos: 1}
	for seq := int64(3); seq <= 1+earlyLimit; seq++ {
		if v, _, _ := q.offer(seq, frame(seq), 0); v != hold {
			t.Fatalf("seq %d after 1: %v; want hold", seq, v)
		}
	}
	if v, _, _ := q.offer(2+earlyLimit, nil, 0); v != fillTo {
		t.Fatalf("a seq %d ahead: %v; want fillTo", earlyLimit+1, v)
	}
}
