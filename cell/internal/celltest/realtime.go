package celltest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Frame is any frame the realtime endpoint sends, decoded loosely.
type Frame struct {
	Type          string `json:"type"`
	Ref           string `json:"ref"`
	Conversation  string `json:"conversation"`
	ID            string `json:"id"`
	Seq           int64  `json:"seq"`
	Code          string `json:"code"`
	Detail        string `json:"detail"`
	Source        string `json:"source"`
	Session       string `json:"session"`
	User          string `json:"user"`
	HeadSeq       int64  `json:"head_seq"`
	AfterSeq      int64  `json:"after_seq"`
	Duplicate     bool   `json:"duplicate"`
	Message       Msg    `json:"message"`
	Conversations []struct {
		ID      string `json:"id"`
		LastSeq int64  `json:"last_seq"`
	} `json:"conversations"`
}

// Msg is a message as frames carry it.
type Msg struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	ID             string `json:"id"`
	SenderID       string `json:"sender_id"`
	Body           string `json:"body"`
	Attachments    []struct {
		ID          string `json:"id"`
		ContentType string `json:"content_type"`
	} `json:"attachments"`
}

// RT is a test client's realtime connection. Its reads are for one
// goroutine.
type RT struct {
	Conn   *websocket.Conn
	frames chan Frame
	held   []Frame // passed over by Reply, read first
	done   chan struct{}
	err    error // why reading stopped; set before done closes
}

// DialRealtime opens /v1/realtime as cl on its cell. hdr is pairs of
// header name and value (an empty value removes the header).
func (cl *Client) DialRealtime(ctx context.Context, hdr ...string) (*RT, *http.Response, error) {
	h := http.Header{}
	for k, vs := range cl.Header {
		h[k] = vs
	}
	if cl.Token != "" {
		h.Set("Authorization", "Bearer "+cl.Token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			h.Del(hdr[i])
		} else {
			h.Set(hdr[i], hdr[i+1])
		}
	}
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(cl.cell.URL, "http")+"/v1/realtime", &websocket.DialOptions{
		HTTPHeader: h, Subprotocols: []string{"pushnchat.v1"},
	})
	if err != nil {
		return nil, resp, err
	}
	c.SetReadLimit(1 << 20)
	rt := &RT{Conn: c, frames: make(chan Frame, 100_000), done: make(chan struct{})}
	go func() {
		defer close(rt.done)
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				rt.err = err
				return
			}
			var f Frame
			if err := json.Unmarshal(b, &f); err != nil {
				rt.err = err
				return
			}
			select {
			case rt.frames <- f:
			default:
				rt.err = errors.New("celltest: test client's frame buffer is full")
				c.CloseNow()
				return
			}
		}
	}()
	return rt, resp, nil
}

// Realtime dials like DialRealtime and fails the test on error.
func (cl *Client) Realtime(t testing.TB, hdr ...string) *RT {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt, _, err := cl.DialRealtime(ctx, hdr...)
	if err != nil {
		t.Fatalf("celltest: dial realtime: %v", err)
	}
	t.Cleanup(func() { rt.Conn.CloseNow() })
	return rt
}

// Send writes v as a JSON text frame.
func (rt *RT) Send(t testing.TB, v any) {
	t.Helper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.Conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("celltest: realtime send: %v", err)
	}
}

// Next returns the next frame, failing the test if none comes within
// wait.
func (rt *RT) Next(t testing.TB, wait time.Duration) Frame {
	t.Helper()
	f, ok := rt.TryNext(wait)
	if !ok {
		t.Fatalf("celltest: no realtime frame within %v (reading stopped: %v)", wait, rt.err)
	}
	return f
}

// TryNext returns the next frame within wait, or false.
func (rt *RT) TryNext(wait time.Duration) (Frame, bool) {
	if len(rt.held) > 0 {
		f := rt.held[0]
		rt.held = rt.held[1:]
		return f, true
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case f := <-rt.frames:
		return f, true
	case <-rt.done:
		select {
		case f := <-rt.frames:
			return f, true
		default:
			return Frame{}, false
		}
	case <-timer.C:
		return Frame{}, false
	}
}

// Reply returns the first frame answering ref (an ack or an error). The
// frames that come before it — the sender's own copy of its message may —
// stay to be read next, in order.
func (rt *RT) Reply(t testing.TB, ref string, wait time.Duration) Frame {
	t.Helper()
	deadline := time.Now().Add(wait)
	var before []Frame
	for {
		f, ok := rt.TryNext(time.Until(deadline))
		if !ok {
			t.Fatalf("celltest: no answer to %q within %v (reading stopped: %v)", ref, wait, rt.err)
		}
		if f.Ref == ref {
			rt.held = append(before, rt.held...)
			return f
		}
		before = append(before, f)
	}
}

// NextOf skips frames until one of type typ arrives.
func (rt *RT) NextOf(t testing.TB, typ string, wait time.Duration) Frame {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		f, ok := rt.TryNext(time.Until(deadline))
		if !ok {
			t.Fatalf("celltest: no %q frame within %v (reading stopped: %v)", typ, wait, rt.err)
		}
		if f.Type == typ {
			return f
		}
	}
}

// Closed waits until the server ends the connection and returns its close
// code (-1 when it ended without one), failing the test after wait.
func (rt *RT) Closed(t testing.TB, wait time.Duration) websocket.StatusCode {
	t.Helper()
	select {
	case <-rt.done:
		return websocket.CloseStatus(rt.err)
	case <-time.After(wait):
		t.Fatalf("celltest: the connection is still open after %v", wait)
		return 0
	}
}
