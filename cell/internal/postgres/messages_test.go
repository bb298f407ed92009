package postgres_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
	"github.com/pushnchat/pushnchat/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var schema = testenv.Template{Name: "cell", Migrate: postgres.Migrate}

// setup makes a tenant with two users and a conversation between them.
func setup(t *testing.T) (*postgres.DB, messaging.Conversation, [2]string) {
	t.Helper()
	return setupAt(t, testenv.Postgres(t, schema))
}

func open(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func setupAt(t *testing.T, url string) (*postgres.DB, messaging.Conversation, [2]string) {
	t.Helper()
	ctx := context.Background()
	db := open(t, url)
	people := [2]firebaseauth.Identity{{UID: "uid-0", Email: "u0@example.test"}, {UID: "uid-1", Email: "u1@example.test"}}
	tn, _, err := db.CreateTenant(ctx, tenant.Tenant{ID: uuid.Must(uuid.NewV7()).String(), Slug: "chat-co", Name: "Chat Co", Country: "NG",
		Contact: tenant.Contact{Name: "Ada Obi", Email: "ada@example.test"}}, people[0])
	if err != nil {
		t.Fatal(err)
	}
	var users [2]string
	owner, _, err := db.KnownUser(ctx, people[0])
	if err != nil {
		t.Fatal(err)
	}
	users[0] = owner.ID
	inv, err := db.CreateInvitation(ctx, tenant.Invitation{TenantID: tn.ID, Email: people[1].Email, Role: tenant.Member, InvitedBy: owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.AcceptInvitation(ctx, tn.ID, inv.ID, inv.Token, people[1])
	if err != nil {
		t.Fatal(err)
	}
	users[1] = m.UserID
	c := messaging.Conversation{TenantID: tn.ID, Kind: messaging.Direct, Members: users[:], CreatedBy: users[0]}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c, err = db.CreateConversation(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	return db, c, users
}

// concurrently runs send(0..n-1) on goroutines of their own and fails the
// test with the first error any returns.
func concurrently(t *testing.T, n int, send func(i int) error) {
	t.Helper()
	errc := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := send(i); err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

func newMessage(c messaging.Conversation, sender, body string) messaging.Message {
	return messaging.Message{ConversationID: c.ID, ID: uuid.Must(uuid.NewV7()).String(), SenderID: sender, Body: body}
}

// Concurrent senders, each retrying every message once: every message is
// stored once, seqs run 1..n without a gap, a retry gets its original seq.
func TestAppendAssignsGapFreeSeqsAndRetriesNeverDuplicate(t *testing.T) {
	t.Parallel()
	db, c, users := setup(t)
	ctx := context.Background()
	const senders, each = 6, 40
	var mu sync.Mutex
	seqByID := map[string]int64{}
	concurrently(t, senders, func(s int) error {
		for i := range each {
			m := newMessage(c, users[s%2], fmt.Sprintf("sender %d message %d", s, i))
			first, created, err := db.AppendMessage(ctx, m, nil)
			if err != nil || !created {
				return fmt.Errorf("append: %v (created %v)", err, created)
			}
			again, created, err := db.AppendMessage(ctx, m, nil) // the client's retry
			if err != nil || created || again.Seq != first.Seq {
				return fmt.Errorf("retry: seq %d vs %d, created %v, %v", again.Seq, first.Seq, created, err)
			}
			mu.Lock()
			seqByID[m.ID] = first.Seq
			mu.Unlock()
		}
		return nil
	})
	all, err := db.Messages(ctx, c.ID, 0, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != senders*each {
		t.Fatalf("stored %d messages; want %d", len(all), senders*each)
	}
	for i, m := range all {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d; want %d (no gaps, no repeats)", i, m.Seq, i+1)
		}
		if seqByID[m.ID] != m.Seq {
			t.Fatalf("message %s stored at %d; its sender was told %d", m.ID, m.Seq, seqByID[m.ID])
		}
	}
}

// Every new message is handed to its committed hook once, before its
// sender's AppendMessage returns, in seq order — concurrent senders share
// group commits, whose goroutines wake in any order — and a retry is not
// handed over again. Attachments take the one-by-one path, handed over too.
func TestStoredMessagesAreHandedOverInSeqOrder(t *testing.T) {
	t.Parallel()
	db, c, users := setup(t)
	ctx := context.Background()
	var mu sync.Mutex
	var got []messaging.Message
	committed := func(m messaging.Message) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}
	handed := func(id string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range got {
			if m.ID == id {
				return true
			}
		}
		return false
	}
	const senders, each = 8, 25
	concurrently(t, senders, func(s int) error {
		for i := range each {
			m := newMessage(c, users[s%2], fmt.Sprintf("sender %d message %d", s, i))
			if _, created, err := db.AppendMessage(ctx, m, committed); err != nil || !created {
				return fmt.Errorf("append: %v (created %v)", err, created)
			}
			if !handed(m.ID) {
				return fmt.Errorf("message %s: AppendMessage returned before it was handed over", m.ID)
			}
			if _, created, err := db.AppendMessage(ctx, m, committed); err != nil || created {
				return fmt.Errorf("retry: %v (created %v)", err, created)
			}
		}
		return nil
	})
	att := messaging.Attachment{ID: uuid.Must(uuid.NewV7()).String(), ContentType: "image/png", Size: 3, Name: "a.png"}
	if err := db.CreateAttachment(ctx, c.ID, users[0], att); err != nil {
		t.Fatal(err)
	}
	m := newMessage(c, users[0], "with a photo")
	m.AttachmentIDs = []string{att.ID}
	if _, created, err := db.AppendMessage(ctx, m, committed); err != nil || !created {
		t.Fatalf("append with an attachment: %v (created %v)", err, created)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != senders*each+1 {
		t.Fatalf("%d messages handed over; want %d, each once", len(got), senders*each+1)
	}
	for i, m := range got {
		if m.Seq != int64(i+1) {
			t.Fatalf("hand-over %d is seq %d; want %d (seq order)", i, m.Seq, i+1)
		}
	}
}

// Two replicas' appenders (two pools) commit batches that touch the same
// conversations at once: neither waits on the other forever, and every
// conversation's seqs run 1..n, each where its sender was told.
func TestAppendersOfTwoReplicasShareConversations(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t, schema)
	db1, c0, users := setupAt(t, url)
	replicas := []*postgres.DB{db1, open(t, url)}
	ctx := context.Background()
	convs := []messaging.Conversation{c0}
	for range 5 {
		c, err := db1.CreateConversation(ctx, messaging.Conversation{TenantID: c0.TenantID, Kind: messaging.Group, Title: "group", Members: users[:], CreatedBy: users[0]})
		if err != nil {
			t.Fatal(err)
		}
		convs = append(convs, c)
	}
	const senders, each = 24, 40
	var mu sync.Mutex
	told := map[string]int64{} // message id → seq acked
	concurrently(t, senders, func(s int) error {
		db := replicas[s%2]
		last := map[string]int64{}
		for i := range each {
			c := convs[(s+i)%len(convs)]
			m := newMessage(c, users[s%2], fmt.Sprintf("sender %d message %d", s, i))
			got, created, err := db.AppendMessage(ctx, m, nil)
			if err != nil || !created {
				return fmt.Errorf("append: %v (created %v)", err, created)
			}
			if got.Seq <= last[c.ID] {
				return fmt.Errorf("sender %d: seq %d in %s after %d", s, got.Seq, c.ID, last[c.ID])
			}
			last[c.ID] = got.Seq
			mu.Lock()
			told[m.ID] = got.Seq
			mu.Unlock()
		}
		return nil
	})
	total := 0
	for _, c := range convs {
		all, err := db1.Messages(ctx, c.ID, 0, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range all {
			if m.Seq != int64(i+1) || told[m.ID] != m.Seq {
				t.Fatalf("%s: message %d has seq %d, its sender was told %d; want %d", c.ID, i, m.Seq, told[m.ID], i+1)
			}
		}
		total += len(all)
	}
	if total != senders*each {
		t.Fatalf("stored %d messages; want %d", total, senders*each)
	}
}

func TestReusedMessageIDIsRefused(t *testing.T) {
	t.Parallel()
	db, c, users := setup(t)
	ctx := context.Background()
	m := newMessage(c, users[0], "hello")
	if _, _, err := db.AppendMessage(ctx, m, nil); err != nil {
		t.Fatal(err)
	}
	m.Body = "something else"
	if _, _, err := db.AppendMessage(ctx, m, nil); !errs.Is(err, errs.Unprocessable) {
		t.Errorf("same id, other body: %v; want unprocessable", err)
	}
	if _, _, err := db.AppendMessage(ctx, newMessage(messaging.Conversation{ID: uuid.Must(uuid.NewV7()).String()}, users[0], "x"), nil); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown conversation: %v; want not found", err)
	}
}

func TestHistoryPagesAndSync(t *testing.T) {
	t.Parallel()
	db, c, users := setup(t)
	ctx := context.Background()
	for i := range 10 {
		if _, _, err := db.AppendMessage(ctx, newMessage(c, users[i%2], fmt.Sprint("m", i+1)), nil); err != nil {
			t.Fatal(err)
		}
	}
	page, err := db.Messages(ctx, c.ID, 4, 0, 3)
	if err != nil || len(page) != 3 || page[0].Seq != 5 || page[2].Seq != 7 {
		t.Errorf("after_seq=4 limit 3: %v, %v; want seqs 5-7", seqs(page), err)
	}
	page, err = db.Messages(ctx, c.ID, 0, 4, 2)
	if err != nil || len(page) != 2 || page[0].Seq != 2 || page[1].Seq != 3 {
		t.Errorf("before_seq=4 limit 2: %v, %v; want seqs 2-3", seqs(page), err)
	}

	// A second conversation the first user is not in.
	other := messaging.Conversation{TenantID: c.TenantID, Kind: messaging.Group, Members: []string{users[1], users[0]}, CreatedBy: users[1]}
	other, err = db.CreateConversation(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AppendMessage(ctx, newMessage(other, users[1], "group hello"), nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.SyncMessages(ctx, users[0], []string{c.TenantID}, map[string]int64{c.ID: 8}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var want int
	for _, m := range got {
		if m.ConversationID == c.ID && m.Seq <= 8 {
			t.Errorf("sync returned seq %d already known", m.Seq)
		}
		want++
	}
	if want != 3 { // seqs 9, 10 of c and 1 of other
		t.Errorf("sync returned %d messages; want 3", want)
	}
	if _, err := db.CreateConversation(ctx, messaging.Conversation{TenantID: c.TenantID, Kind: messaging.Direct,
		Members: []string{users[0], uuid.Must(uuid.NewV7()).String()}, CreatedBy: users[0]}); !errs.Is(err, errs.Invalid) {
		t.Errorf("conversation with an unknown member: %v; want invalid", err)
	}
}

func seqs(ms []messaging.Message) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.Seq)
	}
	return out
}
