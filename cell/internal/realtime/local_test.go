package realtime

import (
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
)

// A message stored on this replica reaches its local followers at once;
// its echo from Redis is then not delivered again, and the seqs awaiting
// an echo stay bounded when Redis loses them.
func TestLocalDeliveryForgetsEchoes(t *testing.T) {
	h := &Hub{convs: map[string]map[*session]struct{}{}, seen: map[string]int64{}, echoes: map[string][]int64{}}
	follower := &session{hub: h, closed: true} // enqueue returns at once
	h.convs["c"] = map[*session]struct{}{follower: {}}
	pub := func(conv string, seq int64) {
		h.deliverLocal(publication{m: messaging.Message{ConversationID: conv, Seq: seq}})
	}

	pub("c", 1)
	pub("c", 2)
	pub("nobody-follows", 1)
	if h.seen["c"] != 2 || h.seen["nobody-follows"] != 1 {
		t.Fatalf("seen %v; want the stored heads", h.seen)
	}
	if _, ok := h.echoes["nobody-follows"]; ok {
		t.Fatal("a conversation without local followers awaits an echo")
	}
	if !h.echoed("c", 2) || !h.echoed("c", 1) {
		t.Fatalf("echoes %v; want seqs 1 and 2 awaited", h.echoes)
	}
	if h.echoed("c", 1) || h.echoed("c", 3) {
		t.Fatal("an echo was suppressed twice, or one never delivered here was suppressed")
	}
	if len(h.echoes) != 0 {
		t.Fatalf("echoes %v after every echo came; want none", h.echoes)
	}

	for seq := int64(1); seq <= echoLimit+10; seq++ {
		pub("c", seq)
	}
	if n := len(h.echoes["c"]); n != echoLimit {
		t.Fatalf("%d seqs await an echo; want at most %d", n, echoLimit)
	}
	if h.echoed("c", 10) || !h.echoed("c", echoLimit+10) {
		t.Fatal("the oldest awaited echoes should be forgotten first")
	}
}

// The gap wait follows how long gaps took to close by themselves: the
// longest of the last one or two windows, twice over, within its
// bounds.
func TestGapWaitFollowsTheGaps(t *testing.T) {
	var w gapWindow
	ms := time.Millisecond
	steps := []struct {
		now, took, want time.Duration
	}{
		{100 * ms, 2 * ms, gapWait},              // quick gaps: the floor
		{300 * ms, 200 * ms, 400 * ms},           // a slow one
		{900 * ms, 10 * ms, 400 * ms},            // remembered within its window
		{1500 * ms, 10 * ms, 400 * ms},           // and through the next one
		{2600 * ms, 10 * ms, gapWait},            // then forgotten
		{2700 * ms, 5 * time.Second, gapWaitMax}, // never beyond the cap
		{9000 * ms, 40 * ms, gapWait},            // a long pause forgets everything
	}
	for _, st := range steps {
		if got := waitFor(w.note(st.now, st.took)); got != st.want {
			t.Fatalf("at %v a gap of %v: wait %v; want %v", st.now, st.took, got, st.want)
		}
	}

	h := &Hub{epoch: time.Now()}
	if got := h.gapWait(); got != gapWait {
		t.Fatalf("a hub that saw no gap waits %v; want %v", got, gapWait)
	}
	h.gapClosed(300 * ms)
	if got := h.gapWait(); got != 600*ms {
		t.Fatalf("after a 300ms gap the hub waits %v; want 600ms", got)
	}
	h.epoch = h.epoch.Add(-3 * gapSpan) // three windows without a gap
	if got := h.gapWait(); got != gapWait {
		t.Fatalf("after a pause the hub waits %v; want %v", got, gapWait)
	}
}
