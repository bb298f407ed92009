package realtime_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pushnchat/pushnchat/cell/internal/celltest"
	"github.com/pushnchat/pushnchat/cell/internal/realtime"
)

// The flood control docs/realtime.md describes, at the default budget (20
// frames/s, bursts of 60): a client sending 1 000 frames a second is told
// which of its frames were dropped — each rate_limited error names the
// frame's ref and conversation — and is closed with 4029 well within the
// 5 seconds it keeps going.
func TestAFloodingClientIsClosed(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	tm := newTeam(t, cell)
	rt, _ := connect(t, tm.owner)
	start := time.Now()
	sent := 0
	for sent < 5000 && time.Since(start) < 5*time.Second {
		f, _ := json.Marshal(map[string]any{"type": "typing", "ref": "f" + strconv.Itoa(sent), "conversation": tm.conv})
		if rt.Conn.Write(context.Background(), websocket.MessageText, f) != nil {
			break // closed
		}
		sent++
		if sent%10 == 0 {
			time.Sleep(10 * time.Millisecond) // about 1 000 frames a second
		}
	}
	limited := 0
	for {
		f, ok := rt.TryNext(wait)
		if !ok {
			break
		}
		if f.Type == "error" && f.Code == realtime.ErrRateLimited {
			limited++
			if f.Ref == "" || f.Conversation != tm.conv {
				t.Fatalf("rate_limited error %+v names no frame", f)
			}
		}
	}
	if code := rt.Closed(t, wait); code != realtime.CloseFlooding {
		t.Fatalf("after %d frames in %v: close code %d; want %d", sent, time.Since(start), code, realtime.CloseFlooding)
	}
	if limited == 0 {
		t.Error("no frame was reported dropped before the close")
	}
}
