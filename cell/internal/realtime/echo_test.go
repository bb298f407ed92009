package realtime

import "testing"

// A message delivered here as it committed is expected back from Redis
// once: its echo is dropped, an echo never expected is not, and the seqs
// awaiting an echo stay bounded when Redis loses them.
func TestEchoesAreHeardOnceAndStayBounded(t *testing.T) {
	e := echoes{}
	e.expect("c", 1)
	e.expect("c", 2)
	if !e.heard("c", 2) || !e.heard("c", 1) {
		t.Fatalf("echoes %v; want seqs 1 and 2 awaited", e)
	}
	if e.heard("c", 1) || e.heard("c", 3) || e.heard("other", 1) {
		t.Fatal("an echo was suppressed twice, or one never delivered here was suppressed")
	}
	if len(e) != 0 {
		t.Fatalf("echoes %v after every echo came; want none", e)
	}

	for seq := int64(1); seq <= echoLimit+10; seq++ {
		e.expect("c", seq)
	}
	if n := len(e["c"]); n != echoLimit {
		t.Fatalf("%d seqs await an echo; want at most %d", n, echoLimit)
	}
	if e.heard("c", 10) || !e.heard("c", echoLimit+10) {
		t.Fatal("the oldest awaited echoes should be forgotten first")
	}
}
