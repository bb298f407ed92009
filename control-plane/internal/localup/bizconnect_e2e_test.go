package localup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

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
