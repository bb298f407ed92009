package realtime

import (
	"bytes"
	"errors"
	"testing"
)

// callWriter records each call it gets, as a socket would see them.
type callWriter struct {
	calls [][]byte
	err   error
}

func (w *callWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.calls = append(w.calls, bytes.Clone(p))
	return len(p), nil
}

func TestCorkWriterGathersUntilUncorked(t *testing.T) {
	w := &callWriter{}
	c := &corkWriter{w: w}
	if _, err := c.Write([]byte("a")); err != nil || len(w.calls) != 1 {
		t.Fatalf("uncorked write: %d calls, err %v; want it passed straight on", len(w.calls), err)
	}
	c.cork()
	for _, f := range []string{"b", "cc", "ddd"} {
		if n, err := c.Write([]byte(f)); err != nil || n != len(f) {
			t.Fatalf("corked write %q = %d, %v", f, n, err)
		}
	}
	if len(w.calls) != 1 {
		t.Fatalf("%d calls while corked; want none beyond the first", len(w.calls)-1)
	}
	if err := c.uncork(); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 2 || string(w.calls[1]) != "bccddd" {
		t.Fatalf("after uncork: calls %q; want the gathered frames in one call", w.calls)
	}
	if err := c.uncork(); err != nil || len(w.calls) != 2 {
		t.Fatalf("an empty uncork wrote: calls %q, err %v", w.calls, err)
	}
}

func TestCorkWriterWritesWhatReachesTheLimit(t *testing.T) {
	w := &callWriter{}
	c := &corkWriter{w: w}
	c.cork()
	half := bytes.Repeat([]byte("x"), corkLimit/2+1)
	for range 2 {
		if _, err := c.Write(half); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.calls) != 1 || len(w.calls[0]) != len(half) {
		t.Fatalf("calls of %v bytes; want the first half written once the second would pass the limit", lens(w.calls))
	}
	big := bytes.Repeat([]byte("y"), corkLimit+1)
	if _, err := c.Write(big); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 3 || len(w.calls[1]) != len(half) || len(w.calls[2]) != len(big) {
		t.Fatalf("calls of %v bytes; want what gathered, then the oversize write straight through", lens(w.calls))
	}
	if err := c.uncork(); err != nil || len(w.calls) != 3 {
		t.Fatalf("uncork after the flushes: calls of %v bytes, err %v", lens(w.calls), err)
	}
}

func TestCorkWriterReportsTheSocketsErrorOnUncork(t *testing.T) {
	gone := errors.New("connection reset")
	w := &callWriter{err: gone}
	c := &corkWriter{w: w}
	c.cork()
	if _, err := c.Write([]byte("frame")); err != nil {
		t.Fatalf("a corked write touched the socket: %v", err)
	}
	if err := c.uncork(); !errors.Is(err, gone) {
		t.Fatalf("uncork = %v; want the socket's error", err)
	}
}

func lens(calls [][]byte) []int {
	out := make([]int, len(calls))
	for i, c := range calls {
		out[i] = len(c)
	}
	return out
}
