package localup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/control-plane/internal/localup"
	"github.com/pushnchat/pushnchat/internal/authemu"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/internal/problem"
)

type partnership struct {
	ID      string `json:"id"`
	State   string `json:"state"`
	Role    string `json:"role"`
	Partner *struct {
		Name    string `json:"name"`
		Country string `json:"country"`
	} `json:"partner"`
	Refusal *struct {
		Type  string   `json:"type"`
		Rules []string `json:"rules"`
	} `json:"refusal"`
}

// ledger is one row of the transfer ledger.
type ledger struct {
	Kind, Category, From, To string
	Allowed, Delivered       bool
	Rules                    []string
}

// ledgerOf reads the control plane's ledger entries about a partnership's
// businesses (source or destination), oldest first.
func ledgerOf(t *testing.T, pl *localup.Platform, tenants ...string) []ledger {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pl.DirectoryDB.URL(localup.DirectoryDatabase))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT kind, category, from_cell, to_cell, allowed, delivered, rules FROM transfer_ledger
		WHERE source_tenant = ANY($1) AND dest_tenant = ANY($1) ORDER BY id`, tenants)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ledger, error) {
		var l ledger
		err := r.Scan(&l.Kind, &l.Category, &l.From, &l.To, &l.Allowed, &l.Delivered, &l.Rules)
		return l, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// bizconnect runs BizConnect across the platform's cells: proposals go
// through the control plane's broker into the partner's cell, each side
// keeps its own copy, every category that leaves a cell is ledgered once,
// refusals come back to the sender, and nothing is lost while the broker
// is down.
func bizconnect(t *testing.T, pl *localup.Platform, router string, owners map[string]authemu.Session, tenantIDs map[string]string) {
	slug := func(country string) string { return "e2e-" + strings.ToLower(country) }
	partnerships := func(country string) []partnership {
		r := call(t, "GET", router+"/v1/t/"+slug(country)+"/partnerships", owners[country].IDToken, nil)
		var list struct{ Partnerships []partnership }
		if r.status != 200 || json.Unmarshal(r.body, &list) != nil {
			t.Fatalf("partnerships of %s: %d %s", country, r.status, r.body)
		}
		return list.Partnerships
	}
	// stateOf waits until country's copy of id is in state want.
	stateOf := func(country, id, want string) partnership {
		t.Helper()
		var got partnership
		eventually(t, 10*time.Second, fmt.Sprintf("%s's copy of %s to be %s", country, id, want), func() string {
			for _, p := range partnerships(country) {
				if p.ID == id {
					got = p
					if p.State == want {
						return ""
					}
					return "it is " + p.State
				}
			}
			return "it has none"
		})
		return got
	}
	propose := func(from, to, partnerID string) reply {
		return call(t, "POST", router+"/v1/t/"+slug(from)+"/partnerships", owners[from].IDToken, map[string]any{
			"partner_tenant_id": partnerID, "partner_country": to, "note": "Partners across the border?",
			"share": map[string]any{"proposer": []string{"message_content"}, "partner": []string{"message_content"}}})
	}

	var ngUS string // the Lagos–US partnership
	t.Run("a Lagos business and a US business become partners", func(t *testing.T) {
		r := propose("NG", "US", tenantIDs["US"])
		var p problem.Problem
		json.Unmarshal(r.body, &p)
		if r.status != 403 || p.Type != problem.TypeBase+"entitlement_required" {
			t.Fatalf("proposal to the US on the Intra-African tier = %d %s; want 403 entitlement_required", r.status, r.body)
		}
		if r := call(t, "PATCH", router+"/v1/t/"+slug("NG"), owners["NG"].IDToken, map[string]any{"tier": "africa_us"}); r.status != 200 {
			t.Fatalf("upgrade to Africa–US: %d %s", r.status, r.body)
		}
		r = propose("NG", "US", tenantIDs["US"])
		var mine partnership
		if r.status != 201 || json.Unmarshal(r.body, &mine) != nil {
			t.Fatalf("proposal = %d %s", r.status, r.body)
		}
		theirs := stateOf("US", mine.ID, "proposed")
		if theirs.Role != "recipient" || theirs.Partner == nil || theirs.Partner.Name != "Business e2e-ng" {
			t.Errorf("the US copy: %+v", theirs)
		}
		if got := stateOf("NG", mine.ID, "proposed"); got.Partner == nil || got.Partner.Country != "US" {
			t.Errorf("the Lagos copy after delivery: %+v", got)
		}
		if r := call(t, "POST", router+"/v1/t/"+slug("US")+"/partnerships/"+mine.ID+"/accept", owners["US"].IDToken, nil); r.status != 200 {
			t.Fatalf("accept = %d %s", r.status, r.body)
		}
		stateOf("NG", mine.ID, "accepted")
		ngUS = mine.ID

		// Proposed (profile card + partnership), received (card +
		// partnership), accepted (partnership): one entry per category.
		want := []ledger{
			{"partnership.proposed", "business_profile_public", "lagos-1", "us-1", true, true, []string{"transfer.public-data"}},
			{"partnership.proposed", "partnership", "lagos-1", "us-1", true, true, []string{"ng.transfer.s41-43"}},
			{"partnership.received", "business_profile_public", "us-1", "lagos-1", true, true, []string{"transfer.public-data"}},
			{"partnership.received", "partnership", "us-1", "lagos-1", true, true, []string{"us.transfer.unrestricted"}},
			{"partnership.accepted", "partnership", "us-1", "lagos-1", true, true, []string{"us.transfer.unrestricted"}},
		}
		if got := ledgerOf(t, pl, tenantIDs["NG"], tenantIDs["US"]); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ledger:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("partners chat across the border, each message decided and ledgered", func(t *testing.T) {
		if ngUS == "" {
			t.Fatal("the Lagos–US partnership of the test before was not made")
		}
		partnerChat(t, pl, router, owners, tenantIDs, ngUS)
	})

	t.Run("a proposal to no business comes back refused", func(t *testing.T) {
		r := propose("KE", "ZA", ids.New())
		var mine partnership
		if r.status != 201 || json.Unmarshal(r.body, &mine) != nil {
			t.Fatalf("proposal = %d %s", r.status, r.body)
		}
		got := stateOf("KE", mine.ID, "refused")
		if got.Refusal == nil || got.Refusal.Type != "partner_not_found" {
			t.Errorf("refused proposal: %+v", got)
		}
	})

	t.Run("partners in one cell are not a transfer", func(t *testing.T) {
		r := propose("NG", "GH", tenantIDs["GH"])
		var mine partnership
		if r.status != 201 || json.Unmarshal(r.body, &mine) != nil {
			t.Fatalf("proposal = %d %s", r.status, r.body)
		}
		stateOf("GH", mine.ID, "proposed")
		stateOf("NG", mine.ID, "proposed")
		if got := ledgerOf(t, pl, tenantIDs["NG"], tenantIDs["GH"]); len(got) != 0 {
			t.Errorf("ledger entries inside lagos-1: %v", got)
		}
	})

	t.Run("what is proposed while the broker is down arrives after", func(t *testing.T) {
		if err := pl.StopProgram("control-plane"); err != nil {
			t.Fatal(err)
		}
		r := propose("ZA", "KE", tenantIDs["KE"])
		var mine partnership
		if r.status != 201 || json.Unmarshal(r.body, &mine) != nil || mine.State != "proposing" {
			t.Fatalf("proposal with the control plane down = %d %s; want 201 proposing", r.status, r.body)
		}
		if err := pl.StartProgram(context.Background(), "control-plane"); err != nil {
			t.Fatal(err)
		}
		stateOf("KE", mine.ID, "proposed")
		stateOf("ZA", mine.ID, "proposed")
		if n := len(countPerCell(t, pl, "SELECT count(*) FROM partnership WHERE id = $1", mine.ID)); n != 2 {
			t.Errorf("the partnership is in %d cells; want johannesburg-1 and nairobi-1", n)
		}
	})
}

type conversation struct {
	ID                  string `json:"id"`
	Kind                string `json:"kind"`
	Title               string `json:"title"`
	PartnershipID       string `json:"partnership_id"`
	PartnerDeliveredSeq int64  `json:"partner_delivered_seq"`
	PartnerReadSeq      int64  `json:"partner_read_seq"`
}

// partnerConversation finds country's side of the partnership's chat.
func partnerConversation(t *testing.T, router string, owner authemu.Session, slug, partnership string) conversation {
	t.Helper()
	r := call(t, "GET", router+"/v1/t/"+slug+"/conversations", owner.IDToken, nil)
	var list struct{ Items []conversation }
	json.Unmarshal(r.body, &list)
	for _, c := range list.Items {
		if c.PartnershipID == partnership {
			return c
		}
	}
	t.Fatalf("%s has no conversation of partnership %s: %d %s", slug, partnership, r.status, r.body)
	return conversation{}
}

// partnerChat: a Lagos business and its US partner talk. Lagos's messages
// need the sender's consent under Nigerian law; the US side's go freely.
// Each side has its own copy; a message shows up live on the partner's
// WebSocket, and its sender learns it was delivered and read.
func partnerChat(t *testing.T, pl *localup.Platform, router string, owners map[string]authemu.Session, tenantIDs map[string]string, partnership string) {
	ng := partnerConversation(t, router, owners["NG"], "e2e-ng", partnership)
	us := partnerConversation(t, router, owners["US"], "e2e-us", partnership)
	if ng.Kind != "partner" || us.Kind != "partner" || ng.Title != "Business e2e-us" || us.Title != "Business e2e-ng" {
		t.Errorf("partner conversations: %+v, %+v", ng, us)
	}
	send := func(country, slug, conv, body string) reply {
		return call(t, "POST", router+"/v1/t/"+slug+"/conversations/"+conv+"/messages", owners[country].IDToken,
			map[string]any{"id": ids.New(), "body": body})
	}

	// The US partner listens live.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(router, "http")+"/v1/realtime",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + owners["US"].IDToken}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	next := func(want string) map[string]any {
		t.Helper()
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("waiting for a %s frame: %v", want, err)
			}
			var f map[string]any
			json.Unmarshal(b, &f)
			if f["type"] == want {
				return f
			}
		}
	}
	next("hello")
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"resume","conversations":[]}`)); err != nil {
		t.Fatal(err)
	}

	// Without a basis, Nigerian law keeps the message home: refused at once.
	r := send("NG", "e2e-ng", ng.ID, "Can you ship 200 yards of adire?")
	var p problem.Problem
	json.Unmarshal(r.body, &p)
	if r.status != 422 || p.Type != problem.TypeBase+"transfer_refused" || !strings.Contains(p.Detail, "ng.transfer.s41-43") || !strings.Contains(p.Detail, "consent") {
		t.Fatalf("a message to the US without consent = %d %s; want 422 transfer_refused naming the rule and consent", r.status, r.body)
	}
	var consent struct{ ID string }
	r = call(t, "POST", router+"/v1/t/e2e-ng/consents", owners["NG"].IDToken, map[string]string{"category": "message_content", "jurisdiction": "US"})
	if r.status != 201 || json.Unmarshal(r.body, &consent) != nil {
		t.Fatalf("consent = %d %s", r.status, r.body)
	}
	if r := send("NG", "e2e-ng", ng.ID, "Can you ship 200 yards of adire?"); r.status != 201 {
		t.Fatalf("a message with consent = %d %s", r.status, r.body)
	}
	f := next("message")
	m, _ := f["message"].(map[string]any)
	if m["body"] != "Can you ship 200 yards of adire?" || m["conversation_id"] != us.ID || m["sender_tenant"] != tenantIDs["NG"] {
		t.Errorf("the US side got %v", f)
	}
	eventually(t, 10*time.Second, "Lagos to learn its message was delivered", func() string {
		if c := partnerConversation(t, router, owners["NG"], "e2e-ng", partnership); c.PartnerDeliveredSeq != 1 {
			return fmt.Sprintf("delivered up to %d", c.PartnerDeliveredSeq)
		}
		return ""
	})
	// The US side reads it; Lagos learns.
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"read","conversation":"`+us.ID+`","seq":1}`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "Lagos to learn its message was read", func() string {
		if c := partnerConversation(t, router, owners["NG"], "e2e-ng", partnership); c.PartnerReadSeq != 1 {
			return fmt.Sprintf("read up to %d", c.PartnerReadSeq)
		}
		return ""
	})
	// The US answers; no consent is needed to send from the US.
	if r := send("US", "e2e-us", us.ID, "Yes, by Friday."); r.status != 201 {
		t.Fatalf("the US reply = %d %s", r.status, r.body)
	}
	eventually(t, 10*time.Second, "the reply in Lagos's copy", func() string {
		r := call(t, "GET", router+"/v1/t/e2e-ng/conversations/"+ng.ID+"/messages", owners["NG"].IDToken, nil)
		if !strings.Contains(string(r.body), "Yes, by Friday.") {
			return string(r.body)
		}
		return ""
	})
	// Withdrawn consent stops the next message at once.
	if r := call(t, "DELETE", router+"/v1/t/e2e-ng/consents/"+consent.ID, owners["NG"].IDToken, nil); r.status != 200 {
		t.Fatalf("withdraw = %d %s", r.status, r.body)
	}
	if r := send("NG", "e2e-ng", ng.ID, "One more thing"); r.status != 422 {
		t.Errorf("a message after the consent was withdrawn = %d %s; want 422", r.status, r.body)
	}

	var sent, read []ledger
	for _, l := range ledgerOf(t, pl, tenantIDs["NG"], tenantIDs["US"]) {
		switch l.Kind {
		case "message.sent":
			sent = append(sent, l)
		case "message.read":
			read = append(read, l)
		}
	}
	want := fmt.Sprint([]ledger{
		{"message.sent", "message_content", "lagos-1", "us-1", true, true, []string{"ng.transfer.s41-43"}},
		{"message.sent", "message_content", "us-1", "lagos-1", true, true, []string{"us.transfer.unrestricted"}},
	})
	if got := fmt.Sprint(sent); got != want {
		t.Errorf("ledger of messages:\n got %s\nwant %s", got, want)
	}
	if len(read) != 1 || read[0].From != "us-1" || read[0].Category != "partnership" {
		t.Errorf("ledger of read receipts: %v", read)
	}
}
