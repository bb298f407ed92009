package realtime_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/pushnchat/pushnchat/cell/config"
	"github.com/pushnchat/pushnchat/cell/internal/celltest"
	"github.com/pushnchat/pushnchat/cell/internal/realtime"
	"github.com/pushnchat/pushnchat/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

const wait = 10 * time.Second

// team is a business with an owner and a member who share a direct
// conversation.
type team struct {
	slug          string
	owner, member *celltest.Client
	ownerID       string
	memberID      string
	conv          string
}

func newTeam(t *testing.T, cell *celltest.Cell) team {
	t.Helper()
	tm := team{slug: "rt-" + uuid.NewString()[:8], owner: cell.SignUp(t), member: cell.SignUp(t)}
	cell.CreateTenant(t, tm.owner, map[string]any{"slug": tm.slug, "name": "Realtime Shop", "country": "NG", "categories": []string{"fabrics"},
		"contact": map[string]string{"name": "Ada Obi", "email": "ada@example.test", "phone": "+2348012345678"}}).Want(t, 201)
	tm.memberID = celltest.Join(t, tm.owner, tm.member, tm.slug, "member")
	var me struct{ User struct{ ID string } }
	tm.owner.Do(t, "GET", "/v1/me", nil).Want(t, 200).JSON(t, &me)
	tm.ownerID = me.User.ID
	tm.conv = tm.newConversation(t, tm.owner)
	return tm
}

func (tm team) newConversation(t *testing.T, by *celltest.Client) string {
	t.Helper()
	var conv struct{ ID string }
	by.Do(t, "POST", "/v1/t/"+tm.slug+"/conversations", map[string]any{"kind": "direct", "members": []string{tm.ownerID, tm.memberID}}).Want(t, 201).JSON(t, &conv)
	return conv.ID
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// connect opens a session and starts every conversation at its head.
func connect(t *testing.T, cl *celltest.Client) (*celltest.RT, celltest.Frame) {
	t.Helper()
	rt := cl.Realtime(t)
	hello := rt.Next(t, wait)
	if hello.Type != "hello" || hello.Session == "" {
		t.Fatalf("first frame = %+v; want hello", hello)
	}
	rt.Send(t, map[string]any{"type": "resume", "conversations": []any{}})
	return rt, hello
}

func send(t *testing.T, rt *celltest.RT, conv, body string) celltest.Frame {
	t.Helper()
	id := newID()
	rt.Send(t, map[string]any{"type": "send", "ref": id, "conversation": conv, "id": id, "body": body})
	f := rt.Reply(t, id, wait)
	if f.Type != "ack" || f.Seq == 0 || f.ID != id {
		t.Fatalf("answer to send = %+v; want an ack", f)
	}
	return f
}

// Two replicas of one cell on one PostgreSQL and Redis: people connected
// to different replicas converse, see receipts and typing, learn of new
// conversations live, and get messages sent over REST.
func TestConverseAcrossReplicas(t *testing.T) {
	t.Parallel()
	r1, r2, pushLog := twoReplicas(t)
	tm := newTeam(t, r1)

	// The member is offline: a push is recorded for them, none for the sender.
	ack0 := send(t, connectOnly(t, tm.owner.On(r1)), tm.conv, "are you there?")
	waitPush(t, pushLog, tm.memberID, tm.conv, ack0.Seq)

	a, _ := connect(t, tm.owner.On(r1))
	b, hello := connect(t, tm.member.On(r2))
	if len(hello.Conversations) != 1 || hello.Conversations[0].ID != tm.conv || hello.Conversations[0].LastSeq != 1 {
		t.Fatalf("hello conversations = %+v; want [%s at 1]", hello.Conversations, tm.conv)
	}

	ack := send(t, a, tm.conv, "hello from replica 1")
	if ack.Seq != 2 {
		t.Fatalf("seq = %d; want 2", ack.Seq)
	}
	got := b.NextOf(t, "message", wait)
	if got.Message.Body != "hello from replica 1" || got.Message.Seq != 2 || got.Message.SenderID != tm.ownerID {
		t.Fatalf("member got %+v", got.Message)
	}
	if own := a.NextOf(t, "message", wait); own.Message.Seq != 2 {
		t.Fatalf("sender's own stream: %+v", own.Message)
	}
	send(t, b, tm.conv, "hello back from replica 2")
	for _, rt := range []*celltest.RT{a, b} { // the sender's stream has its own messages too
		if f := rt.NextOf(t, "message", wait); f.Message.Body != "hello back from replica 2" || f.Message.Seq != 3 {
			t.Fatalf("got %+v", f.Message)
		}
	}

	// Receipts and typing cross replicas.
	b.Send(t, map[string]any{"type": "read", "conversation": tm.conv, "seq": 3})
	if r := a.NextOf(t, "receipt", wait); r.User != tm.memberID || r.Seq != 3 {
		t.Fatalf("receipt = %+v", r)
	}
	b.Send(t, map[string]any{"type": "typing", "conversation": tm.conv})
	if y := a.NextOf(t, "typing", wait); y.User != tm.memberID || y.Conversation != tm.conv {
		t.Fatalf("typing = %+v", y)
	}

	// A message sent over REST reaches both.
	var rest struct{ Seq int64 }
	tm.owner.On(r2).Do(t, "POST", "/v1/t/"+tm.slug+"/conversations/"+tm.conv+"/messages", map[string]string{"id": newID(), "body": "over REST"}).
		Want(t, 201).JSON(t, &rest)
	for _, rt := range []*celltest.RT{a, b} {
		if f := rt.NextOf(t, "message", wait); f.Message.Seq != rest.Seq || f.Message.Body != "over REST" {
			t.Fatalf("REST message arrived as %+v", f.Message)
		}
	}

	// A new conversation is joined live on both replicas, with its first
	// message.
	conv2 := tm.newConversation(t, tm.member.On(r2))
	if f := a.NextOf(t, "joined", wait); f.Conversation != conv2 {
		t.Fatalf("joined = %+v; want %s", f, conv2)
	}
	b.NextOf(t, "joined", wait)
	send(t, a, conv2, "first in the new one")
	if f := b.NextOf(t, "message", wait); f.Message.ConversationID != conv2 || f.Message.Seq != 1 {
		t.Fatalf("new conversation's message = %+v", f.Message)
	}

	// Files go with messages sent over the socket too.
	var att struct{ ID string }
	tm.owner.On(r1).Do(t, "POST", "/v1/t/"+tm.slug+"/conversations/"+conv2+"/attachments", []byte("%PDF-1.4\n%\xe2\xe3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")).
		Want(t, 201).JSON(t, &att)
	a.Send(t, map[string]any{"type": "send", "ref": "f", "conversation": conv2, "id": newID(), "attachments": []string{att.ID}})
	if ack := a.Reply(t, "f", wait); ack.Type != "ack" {
		t.Fatalf("send with a file: %+v", ack)
	}
	if f := b.NextOf(t, "message", wait); len(f.Message.Attachments) != 1 || f.Message.Attachments[0].ID != att.ID || f.Message.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("message with a file arrived as %+v", f.Message)
	}

	// The same id again is acknowledged with the same seq, not stored twice.
	id := newID()
	a.Send(t, map[string]any{"type": "send", "ref": "x", "conversation": tm.conv, "id": id, "body": "once"})
	first := a.Reply(t, "x", wait)
	a.Send(t, map[string]any{"type": "send", "ref": "y", "conversation": tm.conv, "id": id, "body": "once"})
	again := a.Reply(t, "y", wait)
	if again.Seq != first.Seq || !again.Duplicate {
		t.Fatalf("retry ack = %+v; first = %+v", again, first)
	}
	a.Send(t, map[string]any{"type": "send", "ref": "z", "conversation": tm.conv, "id": id, "body": "something else"})
	if e := a.Reply(t, "z", wait); e.Type != "error" || e.Code != realtime.ErrIDReused {
		t.Fatalf("reused id answer = %+v", e)
	}
}

// twoReplicas starts two replicas of one cell; pushLog is where the first
// records its pushes.
func twoReplicas(t *testing.T) (r1, r2 *celltest.Cell, pushLog string) {
	t.Helper()
	pushLog = filepath.Join(t.TempDir(), "push.jsonl")
	r1 = celltest.Start(t, celltest.Options{PushLog: pushLog})
	r2 = celltest.Start(t, celltest.Options{Replica: r1, PushLog: pushLog + ".2"})
	return r1, r2, pushLog
}

func connectOnly(t *testing.T, cl *celltest.Client) *celltest.RT {
	rt, _ := connect(t, cl)
	return rt
}

// Pushes go to members with no live session anywhere in the cell: of one
// message to a group, the member online on the other replica (known from
// Redis) and the one online on the sender's (known locally) get none; the
// offline one gets one.
func TestPushesSkipOnlineMembers(t *testing.T) {
	t.Parallel()
	r1, r2, pushLog := twoReplicas(t)
	tm := newTeam(t, r1)
	here, offline := r1.SignUp(t), r1.SignUp(t)
	hereID := celltest.Join(t, tm.owner, here, tm.slug, "member")
	offlineID := celltest.Join(t, tm.owner, offline, tm.slug, "member")
	var conv struct{ ID string }
	tm.owner.Do(t, "POST", "/v1/t/"+tm.slug+"/conversations", map[string]any{"kind": "group", "title": "Push test",
		"members": []string{tm.ownerID, tm.memberID, hereID, offlineID}}).Want(t, 201).JSON(t, &conv)
	rdb := redisOf(t, r1)
	connectOnly(t, tm.member.On(r2))
	hereRT := connectOnly(t, here.On(r1))
	for _, id := range []string{tm.memberID, hereID} { // presence is written in the background
		deadline := time.Now().Add(wait)
		for rdb.Exists(context.Background(), "rt:p:"+id).Val() == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("presence of %s not recorded within %v", id, wait)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ownerRT := connectOnly(t, tm.owner.On(r1))
	framesBefore := metricValue(t, r1, "realtime_frames_sent_total")
	ack := send(t, ownerRT, conv.ID, "who is online?")
	// Every member's presence is decided before any of the message's
	// pushes is made: once the offline member's is recorded, no other
	// follows.
	waitPush(t, pushLog, offlineID, conv.ID, ack.Seq)
	for _, n := range pushes(t, pushLog) {
		if n.ConversationID == conv.ID && n.UserID != offlineID {
			t.Errorf("pushed to %s, who is online or sent it: %+v", n.UserID, n)
		}
	}
	// Since the sender's hello, r1 wrote three frames: the ack, and the
	// message to each of its two sessions (a frame read was counted).
	hereRT.NextOf(t, "message", wait)
	ownerRT.NextOf(t, "message", wait)
	if n := metricValue(t, r1, "realtime_frames_sent_total") - framesBefore; n != 3 {
		t.Errorf("realtime_frames_sent_total grew by %v over one send; want 3 (an ack, two deliveries)", n)
	}
}

// pushes returns the notifications recorded in a push log so far.
func pushes(t *testing.T, path string) []realtime.Notification {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ns []realtime.Notification
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var n realtime.Notification
		if err := json.Unmarshal(sc.Bytes(), &n); err != nil {
			t.Fatalf("push log line %q: %v", sc.Bytes(), err)
		}
		ns = append(ns, n)
	}
	return ns
}

// waitPush waits until the push log names user for conv's message seq.
func waitPush(t *testing.T, path, user, conv string, seq int64) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		for _, n := range pushes(t, path) {
			if n.UserID == user && n.ConversationID == conv && n.Seq == seq {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("no push for %s of %s/%d within %v; log:\n%s", user, conv, seq, wait, b)
}

// Resuming after a reconnect sends exactly what the client lacks: from the
// Redis stream when it covers the gap, from PostgreSQL when it does not,
// and a refetch frame instead of a flood when the gap is too long.
func TestResume(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	tm := newTeam(t, cell)
	a, _ := connect(t, tm.owner)
	for i := range 5 {
		send(t, a, tm.conv, "message "+string(rune('a'+i)))
	}
	b := tm.member.Realtime(t)
	b.Next(t, wait) // hello
	b.Send(t, map[string]any{"type": "resume", "ref": "r1", "conversations": []any{map[string]any{"id": tm.conv, "last_seq": 2}}})
	for seq := int64(3); seq <= 5; seq++ {
		if f := b.Next(t, wait); f.Type != "message" || f.Message.Seq != seq {
			t.Fatalf("resume frame = %+v; want message %d", f, seq)
		}
	}
	if f := b.Next(t, wait); f.Type != "resumed" || f.Source != "stream" || f.HeadSeq != 5 || f.Ref != "r1" {
		t.Fatalf("after the gap: %+v; want resumed from the stream at 5", f)
	}

	// The stream gone (evicted, or Redis lost it): PostgreSQL fills in.
	rdb := redisOf(t, cell)
	if err := rdb.Del(context.Background(), "rt:s:"+tm.conv).Err(); err != nil {
		t.Fatal(err)
	}
	c := tm.member.Realtime(t)
	c.Next(t, wait)
	c.Send(t, map[string]any{"type": "resume", "conversations": []any{map[string]any{"id": tm.conv, "last_seq": 1}}})
	for seq := int64(2); seq <= 5; seq++ {
		if f := c.Next(t, wait); f.Type != "message" || f.Message.Seq != seq {
			t.Fatalf("resume frame = %+v; want message %d", f, seq)
		}
	}
	if f := c.Next(t, wait); f.Type != "resumed" || f.Source != "database" {
		t.Fatalf("after the gap: %+v; want resumed from the database", f)
	}
	// Live messages follow the resumed ones, in order.
	send(t, a, tm.conv, "live")
	if f := c.NextOf(t, "message", wait); f.Message.Seq != 6 {
		t.Fatalf("live after resume: %+v", f.Message)
	}
}

func TestResumeBeyondTheLimitAsksForRefetch(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	tm := newTeam(t, cell)
	path := "/v1/t/" + tm.slug + "/conversations/" + tm.conv + "/messages"
	for range 503 {
		tm.owner.Do(t, "POST", path, map[string]string{"id": newID(), "body": "backlog"}).Want(t, 201)
	}
	b := tm.member.Realtime(t)
	b.Next(t, wait)
	b.Send(t, map[string]any{"type": "resume", "ref": "r", "conversations": []any{map[string]any{"id": tm.conv, "last_seq": 0}}})
	f := b.Next(t, wait)
	if f.Type != "refetch" || f.AfterSeq != 0 || f.HeadSeq != 503 || f.Conversation != tm.conv {
		t.Fatalf("frame = %+v; want refetch after 0 up to 503", f)
	}
	a, _ := connect(t, tm.owner)
	send(t, a, tm.conv, "after the backlog")
	if f := b.NextOf(t, "message", wait); f.Message.Seq != 504 {
		t.Fatalf("live after refetch: %+v", f.Message)
	}
}

// Bad clients get the documented answer and never hurt the server.
func TestProtocolAbuse(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{Realtime: config.RealtimeConfig{FrameRate: 5, FrameBurst: 10}})
	tm := newTeam(t, cell)
	// Someone with a business of their own here, but not in tm's.
	stranger := cell.SignUp(t)
	cell.CreateTenant(t, stranger, map[string]any{"slug": "rt-" + uuid.NewString()[:8], "name": "Other Shop", "country": "NG",
		"contact": map[string]string{"name": "Bola Ade", "email": "bola@example.test"}}).Want(t, 201)

	t.Run("anonymous", func(t *testing.T) {
		_, resp, err := cell.Anonymous().DialRealtime(context.Background())
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("anonymous dial: %v, %v; want 401", err, resp)
		}
	})
	t.Run("foreign origin", func(t *testing.T) {
		_, resp, err := tm.owner.DialRealtime(context.Background(), "Origin", "https://evil.example")
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial from a foreign origin: %v, %v; want 403", err, resp)
		}
		rt := tm.owner.Realtime(t, "Origin", "https://app.pushnchat.test")
		rt.Next(t, wait)
	})
	closes := []struct {
		name  string
		frame func(rt *celltest.RT)
		want  websocket.StatusCode
	}{
		{"not JSON", func(rt *celltest.RT) { rt.Send(t, []byte("hello?")) }, realtime.CloseBadFrame},
		{"no type", func(rt *celltest.RT) { rt.Send(t, []byte(`{"body":"x"}`)) }, realtime.CloseBadFrame},
		{"binary", func(rt *celltest.RT) {
			rt.Conn.Write(context.Background(), websocket.MessageBinary, []byte{1, 2, 3})
		}, realtime.CloseUnsupported},
		{"oversize", func(rt *celltest.RT) {
			rt.Send(t, map[string]any{"type": "send", "conversation": tm.conv, "id": newID(), "body": strings.Repeat("x", realtime.MaxFrameBytes)})
		}, realtime.CloseTooBig},
		{"flooding", func(rt *celltest.RT) {
			for range 40 {
				// The server may close before all are written: stop there.
				if rt.Conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping"}`)) != nil {
					return
				}
			}
		}, realtime.CloseFlooding},
	}
	for _, c := range closes {
		t.Run(c.name, func(t *testing.T) {
			rt := tm.owner.Realtime(t)
			rt.Next(t, wait)
			c.frame(rt)
			if got := rt.Closed(t, wait); got != c.want {
				t.Fatalf("close code = %d; want %d", got, c.want)
			}
		})
	}
	t.Run("errors keep the connection", func(t *testing.T) {
		rt := stranger.Realtime(t)
		rt.Next(t, wait)
		for _, f := range []map[string]any{
			{"type": "send", "ref": "1", "conversation": tm.conv, "id": newID(), "body": "let me in"},
			{"type": "resume", "ref": "2", "conversations": []any{map[string]any{"id": tm.conv, "last_seq": 0}}},
			{"type": "read", "ref": "3", "conversation": tm.conv, "seq": 1},
			{"type": "typing", "ref": "4", "conversation": tm.conv},
		} {
			rt.Send(t, f)
			if e := rt.Next(t, wait); e.Type != "error" || e.Code != realtime.ErrNotMember {
				t.Fatalf("%v → %+v; want error not_member", f["type"], e)
			}
		}
		rt.Send(t, map[string]any{"type": "subscribe", "ref": "5"})
		if e := rt.Next(t, wait); e.Code != realtime.ErrUnknownType || e.Ref != "5" {
			t.Fatalf("unknown type → %+v", e)
		}
		mine := tm.owner.Realtime(t)
		mine.Next(t, wait)
		mine.Send(t, map[string]any{"type": "send", "ref": "6", "conversation": tm.conv, "id": "not-a-uuid", "body": " "})
		if e := mine.Next(t, wait); e.Code != realtime.ErrInvalid {
			t.Fatalf("invalid send → %+v", e)
		}
		mine.Send(t, map[string]any{"type": "send", "ref": "7", "conversation": tm.conv, "id": newID(), "body": "a\x00b"})
		if e := mine.Next(t, wait); e.Code != realtime.ErrInvalid || e.Ref != "7" || e.Conversation != tm.conv {
			t.Fatalf("a body with NUL → %+v; want invalid", e)
		}
		rt.Send(t, map[string]any{"type": "ping"})
		if f := rt.Next(t, wait); f.Type != "pong" {
			t.Fatalf("ping → %+v", f)
		}
	})
	// Nothing of the above was stored, and the server still serves.
	var msgs struct{ Items []any }
	tm.owner.Do(t, "GET", "/v1/t/"+tm.slug+"/conversations/"+tm.conv+"/messages", nil).Want(t, 200).JSON(t, &msgs)
	if len(msgs.Items) != 0 {
		t.Fatalf("%d messages stored; want 0", len(msgs.Items))
	}
	a, _ := connect(t, tm.owner)
	send(t, a, tm.conv, "still here")
}

// A client that stops reading is closed with CloseSlowConsumer once its
// queue overflows; it reconnects and resumes without loss. The queue limit
// leaves the sender's own session (its acks and echoes) room for a pump
// that a loaded machine schedules late.
func TestSlowConsumerIsClosedAndResumes(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{Realtime: config.RealtimeConfig{QueueLimit: 32, FrameRate: 1e6, FrameBurst: 1e6}})
	tm := newTeam(t, cell)

	// A client with a tiny receive window that never reads.
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		return errors.Join(err, serr)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	slow, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(cell.URL, "http")+"/v1/realtime", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + tm.member.Token}},
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	if err := slow.Write(ctx, websocket.MessageText, []byte(`{"type":"resume","conversations":[]}`)); err != nil {
		t.Fatal(err)
	}

	a, _ := connect(t, tm.owner)
	body := strings.Repeat("z", 3900)
	var last int64
	for i := 0; i < 3000 && !closedWith(t, cell, realtime.CloseSlowConsumer); i++ {
		last = send(t, a, tm.conv, body).Seq
	}
	if !closedWith(t, cell, realtime.CloseSlowConsumer) {
		t.Fatalf("no session closed with %d after %d messages", realtime.CloseSlowConsumer, last)
	}
	// What the slow client still gets ends with the close (or a cut
	// connection, when the close frame could not get through either).
	slow.SetReadLimit(1 << 20)
	for {
		rctx, rcancel := context.WithTimeout(context.Background(), wait)
		_, _, err := slow.Read(rctx)
		rcancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("the slow client's connection was not closed")
			}
			break
		}
	}
	again := tm.member.Realtime(t)
	again.Next(t, wait)
	again.Send(t, map[string]any{"type": "resume", "conversations": []any{map[string]any{"id": tm.conv, "last_seq": 0}}})
	for seq := int64(1); seq <= last; seq++ {
		f := again.Next(t, wait)
		if f.Type == "refetch" && f.AfterSeq == 0 && f.HeadSeq >= last {
			break // a long gap: the client pages through history instead
		}
		if f.Type != "message" || f.Message.Seq != seq {
			t.Fatalf("after reconnect: %+v; want message %d", f, seq)
		}
	}
}

// closedWith reports whether the cell's metrics count a session closed
// with code.
func closedWith(t *testing.T, cell *celltest.Cell, code websocket.StatusCode) bool {
	t.Helper()
	for _, line := range metricLines(t, cell) {
		if strings.HasPrefix(line, "realtime_closes_total{") && strings.Contains(line, fmt.Sprintf(`code="%d"`, code)) {
			return true
		}
	}
	return false
}

func metricLines(t *testing.T, cell *celltest.Cell) []string {
	t.Helper()
	return strings.Split(string(cell.Anonymous().Do(t, "GET", "/metrics", nil).Want(t, 200).Body), "\n")
}

// metricValue returns the value of a metric of the cell that has one
// series (its labels are ignored).
func metricValue(t *testing.T, cell *celltest.Cell, name string) float64 {
	t.Helper()
	for _, line := range metricLines(t, cell) {
		if strings.HasPrefix(line, name+" ") || strings.HasPrefix(line, name+"{") {
			f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in the metrics", name)
	return 0
}

func redisOf(t *testing.T, cell *celltest.Cell) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(cell.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Two replicas publish independently, so a conversation's messages can
// arrive out of order. A message ahead of a gap waits briefly for it: the
// client gets both in order and no fill runs. A gap that stays open is
// filled from the stream or the database.
func TestOutOfOrderArrivalIsReordered(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	tm := newTeam(t, cell)
	a, _ := connect(t, tm.owner)
	send(t, a, tm.conv, "first") // seq 1
	b := tm.member.Realtime(t)
	b.Next(t, wait) // hello
	b.Send(t, map[string]any{"type": "resume", "conversations": []any{map[string]any{"id": tm.conv, "last_seq": 1}}})
	if f := b.NextOf(t, "resumed", wait); f.HeadSeq != 1 {
		t.Fatalf("resumed %+v", f)
	}
	rdb := redisOf(t, cell)
	publish := func(seq int64, body string) {
		t.Helper()
		frame, _ := json.Marshal(map[string]any{"type": "message", "message": map[string]any{"conversation_id": tm.conv, "seq": seq, "body": body}})
		env := fmt.Sprintf("m %s %d %s", tm.conv, seq, frame)
		if err := rdb.Publish(context.Background(), "rt:c:"+tm.conv, env).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Seqs 2 and 3 exist only on the channel: a fill could not find them
	// in the stream or PostgreSQL, so they arrive only by being reordered.
	publish(3, "third")
	publish(2, "second")
	for _, want := range []string{"second", "third"} {
		if f := b.NextOf(t, "message", wait); f.Message.Body != want {
			t.Fatalf("got %+v; want %q", f.Message, want)
		}
	}

	// A gap that stays open: seq 4 reached the stream but its announcement
	// was lost; 5 is announced. After the wait, 4 is filled from the
	// stream, then 5 follows.
	frame4, _ := json.Marshal(map[string]any{"type": "message", "message": map[string]any{"conversation_id": tm.conv, "seq": 4, "body": "fourth"}})
	if err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: "rt:s:" + tm.conv, Values: []any{"s", 4, "f", string(frame4)}}).Err(); err != nil {
		t.Fatal(err)
	}
	publish(5, "fifth")
	for _, want := range []string{"fourth", "fifth"} {
		if f := b.NextOf(t, "message", wait); f.Message.Body != want {
			t.Fatalf("got %+v; want %q", f.Message, want)
		}
	}
}
