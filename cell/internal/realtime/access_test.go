package realtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/config"
	"github.com/pushnchat/pushnchat/cell/internal/celltest"
	"github.com/pushnchat/pushnchat/cell/internal/realtime"
)

// withViewer adds a viewer to tm's business and starts a group of the
// owner, the member and the viewer.
func withViewer(t *testing.T, cell *celltest.Cell, tm team) (viewer *celltest.Client, viewerID, group string) {
	t.Helper()
	viewer = cell.SignUp(t)
	viewerID = celltest.Join(t, tm.owner, viewer, tm.slug, "viewer")
	var conv struct{ ID string }
	tm.owner.Do(t, "POST", "/v1/t/"+tm.slug+"/conversations", map[string]any{"kind": "group", "title": "Everyone",
		"members": []string{tm.memberID, viewerID}}).Want(t, 201).JSON(t, &conv)
	return viewer, viewerID, conv.ID
}

func messageCount(t *testing.T, owner *celltest.Client, slug, conv string) int {
	t.Helper()
	var msgs struct{ Items []any }
	owner.Do(t, "GET", "/v1/t/"+slug+"/conversations/"+conv+"/messages", nil).Want(t, 200).JSON(t, &msgs)
	return len(msgs.Items)
}

// A viewer reads a conversation over every transport and sends over none:
// the WebSocket asks the same authorization decision as REST.
func TestViewerCannotSendOnAnyTransport(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	tm := newTeam(t, cell)
	viewer, _, group := withViewer(t, cell, tm)

	viewer.Do(t, "POST", "/v1/t/"+tm.slug+"/conversations/"+group+"/messages", map[string]any{"id": newID(), "body": "over REST"}).Want(t, 403)
	rt, _ := connect(t, viewer)
	id := newID()
	rt.Send(t, map[string]any{"type": "send", "ref": "s1", "conversation": group, "id": id, "body": "over the socket"})
	if e := rt.Reply(t, "s1", wait); e.Type != "error" || e.Code != realtime.ErrForbidden || e.Conversation != group {
		t.Fatalf("a viewer's send → %+v; want error forbidden", e)
	}
	rt.Send(t, map[string]any{"type": "typing", "ref": "t1", "conversation": group})
	if e := rt.Reply(t, "t1", wait); e.Code != realtime.ErrForbidden {
		t.Fatalf("a viewer's typing → %+v; want error forbidden", e)
	}
	if n := messageCount(t, tm.owner, tm.slug, group); n != 0 {
		t.Fatalf("%d messages stored; want none", n)
	}
	// What a viewer may do still works: read others' messages, mark read.
	owner, _ := connect(t, tm.owner)
	ack := send(t, owner, group, "for everyone")
	if got := rt.NextOf(t, "message", wait); got.Message.Seq != ack.Seq {
		t.Fatalf("the viewer got %+v; want seq %d", got.Message, ack.Seq)
	}
	rt.Send(t, map[string]any{"type": "read", "ref": "r1", "conversation": group, "seq": ack.Seq})
	if r := rt.NextOf(t, "receipt", wait); r.Seq != ack.Seq {
		t.Fatalf("receipt = %+v", r)
	}
}

// Removal and a role change take effect at once on every transport,
// including a socket already open on another replica: a demoted member's
// next send is refused, a removed member's conversations are dropped
// ("left"), sync and REST show them nothing more, and the cell forgets
// their email.
func TestRemovalAndRoleChangeReachOpenSockets(t *testing.T) {
	t.Parallel()
	r1 := celltest.Start(t, celltest.Options{})
	r2 := celltest.Start(t, celltest.Options{Replica: r1})
	tm := newTeam(t, r1)
	rt, _ := connect(t, tm.member.On(r2))
	send(t, rt, tm.conv, "while still a member")

	// Demoted to viewer on replica 1: the open socket on replica 2 hears
	// of it. Sends racing the news are stored; once it arrives, refused.
	tm.owner.On(r1).Do(t, "PATCH", "/v1/t/"+tm.slug+"/members/"+tm.memberID, map[string]string{"role": "viewer"}).Want(t, 200)
	refused := false
	for i := range 50 {
		id := newID()
		rt.Send(t, map[string]any{"type": "send", "ref": id, "conversation": tm.conv, "id": id, "body": "after the demotion"})
		f := rt.Reply(t, id, wait)
		if f.Type == "error" && f.Code == realtime.ErrForbidden {
			refused = true
			break
		}
		if f.Type != "ack" {
			t.Fatalf("send %d → %+v", i, f)
		}
	}
	if !refused {
		t.Fatal("50 sends after the demotion were all stored")
	}

	// Removed: the socket's conversations are dropped, then sends are
	// refused as for any stranger.
	tm.owner.On(r1).Do(t, "DELETE", "/v1/t/"+tm.slug+"/members/"+tm.memberID, nil).Want(t, 204)
	if left := rt.NextOf(t, "left", wait); left.Conversation != tm.conv {
		t.Fatalf("left = %+v; want %s", left, tm.conv)
	}
	rt.Send(t, map[string]any{"type": "send", "ref": "x", "conversation": tm.conv, "id": newID(), "body": "let me back"})
	if e := rt.Reply(t, "x", wait); e.Code != realtime.ErrNotMember {
		t.Fatalf("a removed member's send → %+v; want not_member", e)
	}
	owner, _ := connect(t, tm.owner)
	send(t, owner, tm.conv, "after the removal")
	var sync struct{ Messages []celltest.Msg }
	tm.member.Do(t, "GET", "/v1/me/sync", nil).Want(t, 200).JSON(t, &sync)
	if len(sync.Messages) != 0 {
		t.Fatalf("a removed member's sync returned %d messages; want none", len(sync.Messages))
	}
	tm.member.Do(t, "GET", "/v1/t/"+tm.slug+"/conversations/"+tm.conv+"/messages", nil).Want(t, 404)
	again, hello := connect(t, tm.member)
	if len(hello.Conversations) != 0 {
		t.Fatalf("a removed member's hello lists %+v", hello.Conversations)
	}
	again.Send(t, map[string]any{"type": "resume", "ref": "r", "conversations": []any{map[string]any{"id": tm.conv, "last_seq": 0}}})
	if e := again.Reply(t, "r", wait); e.Code != realtime.ErrNotMember {
		t.Fatalf("a removed member's resume → %+v; want not_member", e)
	}
	if email := userEmail(t, r1, tm.member.UID); email != "" {
		t.Errorf("the cell still holds a former member's email %q", email)
	}
}

// When the news of a change is lost (the change made behind the API's
// back here, as a Redis outage would lose it), the sweep finds the new
// access version and the open socket follows within a sweep.
func TestSweepCatchesAccessChangesRedisMissed(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{Realtime: config.RealtimeConfig{Sweep: 100 * time.Millisecond}})
	tm := newTeam(t, cell)
	rt, _ := connect(t, tm.member)
	ctx := context.Background()
	conn := cell.Conn(t)
	if _, err := conn.Exec(ctx, `DELETE FROM membership WHERE user_id = $1`, tm.memberID); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE app_user SET access_version = access_version + 1 WHERE id = $1`, tm.memberID); err != nil {
		t.Fatal(err)
	}
	if left := rt.NextOf(t, "left", wait); left.Conversation != tm.conv {
		t.Fatalf("left = %+v; want %s", left, tm.conv)
	}
}

// userEmail is the email the cell stores for a Firebase uid ("" for none).
func userEmail(t *testing.T, cell *celltest.Cell, uid string) string {
	t.Helper()
	var email *string
	err := cell.Conn(t).QueryRow(context.Background(), `SELECT email FROM app_user WHERE firebase_uid = $1`, uid).Scan(&email)
	if err == pgx.ErrNoRows || email == nil {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return *email
}
