package localup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/control-plane/internal/localup"
	"github.com/pushnchat/pushnchat/internal/authemu"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/internal/wan"
)

// The emulated WAN between the control plane and the cells: Lagos and the
// US are each half of a 75 ms one-way path away, so Lagos ↔ US through
// the broker is 150 ms round trip.
var wanShapes = map[string]wan.Shape{
	"lagos-1":        {OneWay: 37 * time.Millisecond, Jitter: 3 * time.Millisecond},
	"us-1":           {OneWay: 38 * time.Millisecond, Jitter: 3 * time.Millisecond},
	"johannesburg-1": {OneWay: 5 * time.Millisecond, Jitter: time.Millisecond},
	"nairobi-1":      {OneWay: 10 * time.Millisecond, Jitter: time.Millisecond},
	"eu-1":           {OneWay: 20 * time.Millisecond, Jitter: 2 * time.Millisecond},
}

// Partner chat across an emulated WAN while everything that can fail
// does: the broker is killed mid-delivery, the destination cell is killed,
// the control plane is cut off from Lagos for a minute, then everything on
// the path is killed at once and restarted. Afterwards every
// acknowledged message is in the partner's copy exactly once and in
// order, messages whose consent was withdrawn before they left never
// arrive, and the ledger holds one entry per transfer.
func TestCrossCellFaults(t *testing.T) {
	net := wan.New()
	t.Cleanup(net.Close)
	links := map[string]*wan.Link{}
	pl := startPlatform(t, func(cell, addr string) (string, error) {
		l, err := net.Link(cell, addr, wanShapes[cell])
		if err != nil {
			return "", err
		}
		links[cell] = l
		return l.Addr, nil
	})
	ctx := context.Background()
	router := "http://" + pl.RouterAddr
	auth := authemu.New(pl.Auth.Host(), pl.Auth.Project())

	// A Lagos business and a US business, each with a team of four.
	const perSide = 4
	team := map[string][]authemu.Session{}
	tenant := map[string]string{}
	for _, country := range []string{"NG", "US"} {
		slug := "faults-" + strings.ToLower(country)
		for i := range perSide {
			s, err := auth.SignUp(ctx, fmt.Sprintf("%s-%d@faults.example.test", slug, i), "a long password 1")
			if err != nil {
				t.Fatal(err)
			}
			team[country] = append(team[country], s)
		}
		r := call(t, "POST", router+"/v1/signup", team[country][0].IDToken, map[string]any{"slug": slug, "name": "Business " + slug,
			"country": country, "contact": map[string]string{"name": "Owner Person", "email": slug + "@faults.example.test"}})
		var d struct {
			TenantID string `json:"tenant_id"`
		}
		if r.status != 201 || json.Unmarshal(r.body, &d) != nil {
			t.Fatalf("sign-up %s: %d %s", country, r.status, r.body)
		}
		tenant[country] = d.TenantID
		for _, who := range team[country][1:] {
			inviteAndAccept(t, router, slug, team[country][0], who)
		}
	}
	ngOwner, usOwner := team["NG"][0], team["US"][0]
	if r := call(t, "PATCH", router+"/v1/t/faults-ng", ngOwner.IDToken, map[string]any{"tier": "africa_us"}); r.status != 200 {
		t.Fatalf("tier: %d %s", r.status, r.body)
	}
	r := call(t, "POST", router+"/v1/t/faults-ng/partnerships", ngOwner.IDToken, map[string]any{"partner_tenant_id": tenant["US"],
		"partner_country": "US", "share": map[string]any{"proposer": []string{"message_content"}, "partner": []string{"message_content"}}})
	var p partnership
	if r.status != 201 || json.Unmarshal(r.body, &p) != nil {
		t.Fatalf("propose: %d %s", r.status, r.body)
	}
	eventually(t, 20*time.Second, "the proposal in us-1", func() string {
		if r := call(t, "POST", router+"/v1/t/faults-us/partnerships/"+p.ID+"/accept", usOwner.IDToken, nil); r.status != 200 {
			return fmt.Sprintf("accept: %d %s", r.status, r.body)
		}
		return ""
	})
	var conv map[string]string
	eventually(t, 20*time.Second, "both partner conversations", func() string {
		conv = map[string]string{}
		for country, owner := range map[string]authemu.Session{"NG": ngOwner, "US": usOwner} {
			r := call(t, "GET", router+"/v1/t/faults-"+strings.ToLower(country)+"/conversations", owner.IDToken, nil)
			var list struct{ Items []conversation }
			json.Unmarshal(r.body, &list)
			for _, c := range list.Items {
				if c.PartnershipID == p.ID {
					conv[country] = c.ID
				}
			}
		}
		if len(conv) != 2 {
			return fmt.Sprint(conv)
		}
		return ""
	})
	// Every Lagos sender consents to their messages going to the US.
	consents := map[string]string{}
	for _, s := range team["NG"] {
		var c struct{ ID string }
		r := call(t, "POST", router+"/v1/t/faults-ng/consents", s.IDToken, map[string]string{"category": "message_content", "jurisdiction": "US"})
		if r.status != 201 || json.Unmarshal(r.body, &c) != nil {
			t.Fatalf("consent: %d %s", r.status, r.body)
		}
		consents[s.Email] = c.ID
	}

	// Each side's senders send, paced, until the faults are over; a
	// message is retried with its id until the cell acknowledges it.
	var (
		mu    sync.Mutex
		acked = map[string][]string{} // country → acknowledged message ids
		count [2]atomic.Int64
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	sendUntil := func(country string, side int, s authemu.Session, ip string, body func(int) string) {
		defer wg.Done()
		client := clientFrom(ip)
		url := router + "/v1/t/faults-" + strings.ToLower(country) + "/conversations/" + conv[country] + "/messages"
		tick := time.NewTicker(150 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			id := ids.New()
			deadline := time.Now().Add(3 * time.Minute)
			for {
				r := callWith(t, client, "POST", url, s.IDToken, map[string]any{"id": id, "body": body(n)})
				if r.status == 201 || r.status == 200 {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("%s's message %s not acknowledged within 3 minutes: %d %s", s.Email, id, r.status, r.body)
					return
				}
				time.Sleep(200 * time.Millisecond) // the client's retry backoff
			}
			mu.Lock()
			acked[country] = append(acked[country], id)
			mu.Unlock()
			count[side].Add(1)
		}
	}
	for side, country := range []string{"NG", "US"} {
		for i, s := range team[country] {
			wg.Add(1)
			go sendUntil(country, side, s, fmt.Sprintf("127.0.%d.%d", 10+side, 10+i), func(n int) string {
				return fmt.Sprintf("%s message %d from %s", country, n, s.Email)
			})
		}
	}
	ngSent := func() int64 { return count[0].Load() }
	reach := func(n int64) {
		t.Helper()
		eventually(t, 2*time.Minute, fmt.Sprintf("%d messages acknowledged in Lagos", n), func() string {
			if got := ngSent(); got < n {
				return fmt.Sprintf("%d so far", got)
			}
			return ""
		})
	}

	reach(100)
	t.Log("killing the control plane (and its broker) mid-delivery")
	if err := pl.KillProgram("control-plane"); err != nil {
		t.Fatal(err)
	}
	reach(180)
	if err := pl.StartProgram(ctx, "control-plane"); err != nil {
		t.Fatal(err)
	}
	reach(260)
	t.Log("killing us-1")
	if err := pl.KillProgram("us-1"); err != nil {
		t.Fatal(err)
	}
	reach(340)
	if err := pl.StartProgram(ctx, "us-1"); err != nil {
		t.Fatal(err)
	}
	reach(420)
	t.Log("cutting the control plane off from lagos-1 for a minute")
	if err := links["lagos-1"].Cut(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute) // the length of the cut, not a wait for anything
	if err := links["lagos-1"].Restore(); err != nil {
		t.Fatal(err)
	}
	reach(ngSent() + 40)
	t.Log("killing everything on the path at once: the router, the control plane, both cells")
	for _, name := range []string{"router", "control-plane", "lagos-1", "us-1"} {
		if err := pl.KillProgram(name); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"lagos-1", "us-1", "control-plane", "router"} {
		if err := pl.StartProgram(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	reach(ngSent() + 40)
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}

	cellDB := func(name string) *pgx.Conn {
		t.Helper()
		for _, c := range pl.Cells {
			if c.Name == name {
				conn, err := pgx.Connect(ctx, c.Postgres.URL(localup.CellDatabase))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { conn.Close(ctx) })
				return conn
			}
		}
		t.Fatalf("no cell %s", name)
		return nil
	}
	lagos, us := cellDB("lagos-1"), cellDB("us-1")
	// idsBySeq lists the ids of a copy's messages sent from one side, in
	// the copy's order.
	idsBySeq := func(conn *pgx.Conn, conversation string, fromPartner bool) []string {
		t.Helper()
		rows, err := conn.Query(ctx, `SELECT id::text FROM message WHERE conversation_id = $1 AND (sender_tenant IS NOT NULL) = $2 ORDER BY seq`,
			conversation, fromPartner)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	refusedHere := func() int {
		var n int
		lagos.QueryRow(ctx, `SELECT count(*) FROM message_refusal WHERE conversation_id = $1`, conv["NG"]).Scan(&n)
		return n
	}
	eventually(t, 3*time.Minute, "the faults' backlog delivered", func() string {
		ngOwn, atUS := idsBySeq(lagos, conv["NG"], false), idsBySeq(us, conv["US"], true)
		usOwn, atNG := idsBySeq(us, conv["US"], false), idsBySeq(lagos, conv["NG"], true)
		if len(atUS) != len(ngOwn) || len(atNG) != len(usOwn) {
			return fmt.Sprintf("us-1 has %d of Lagos's %d; lagos-1 has %d of the US's %d", len(atUS), len(ngOwn), len(atNG), len(usOwn))
		}
		return ""
	})
	if n := refusedHere(); n != 0 {
		t.Fatalf("%d messages refused before any consent was withdrawn", n)
	}

	// Messages that wait in the outbox while the consent they rest on is
	// withdrawn never leave.
	if err := pl.KillProgram("control-plane"); err != nil {
		t.Fatal(err)
	}
	var stranded []string
	for i := range 20 {
		id := ids.New()
		r := call(t, "POST", router+"/v1/t/faults-ng/conversations/"+conv["NG"]+"/messages", ngOwner.IDToken,
			map[string]any{"id": id, "body": fmt.Sprintf("sent before the consent was withdrawn %d", i)})
		if r.status != 201 {
			t.Fatalf("message with the control plane down: %d %s", r.status, r.body)
		}
		stranded = append(stranded, id)
	}
	if r := call(t, "DELETE", router+"/v1/t/faults-ng/consents/"+consents[ngOwner.Email], ngOwner.IDToken, nil); r.status != 200 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	if err := pl.StartProgram(ctx, "control-plane"); err != nil {
		t.Fatal(err)
	}

	eventually(t, time.Minute, "every acknowledged message in the partner's copy", func() string {
		ngOwn, atUS := idsBySeq(lagos, conv["NG"], false), idsBySeq(us, conv["US"], true)
		usOwn, atNG := idsBySeq(us, conv["US"], false), idsBySeq(lagos, conv["NG"], true)
		if len(atUS) != len(ngOwn)-len(stranded) || len(atNG) != len(usOwn) || refusedHere() != len(stranded) {
			return fmt.Sprintf("us-1 has %d of Lagos's %d (%d to be refused, %d refused); lagos-1 has %d of the US's %d",
				len(atUS), len(ngOwn), len(stranded), refusedHere(), len(atNG), len(usOwn))
		}
		return ""
	})

	// Exactly once, in the sender's order, nothing refused.
	ngOwn, atUS := idsBySeq(lagos, conv["NG"], false), idsBySeq(us, conv["US"], true)
	usOwn, atNG := idsBySeq(us, conv["US"], false), idsBySeq(lagos, conv["NG"], true)
	delivered := slices.DeleteFunc(slices.Clone(ngOwn), func(id string) bool { return slices.Contains(stranded, id) })
	if !slices.Equal(atUS, delivered) {
		t.Errorf("us-1's copy of Lagos's messages is not Lagos's, once each, in order: %d vs %d", len(atUS), len(delivered))
	}
	if !slices.Equal(atNG, usOwn) {
		t.Errorf("lagos-1's copy of the US's messages is not the US's, once each, in order: %d vs %d", len(atNG), len(usOwn))
	}
	for country, own := range map[string][]string{"NG": ngOwn, "US": usOwn} {
		for _, id := range acked[country] {
			if !slices.Contains(own, id) {
				t.Errorf("acknowledged %s message %s is not in its sender's copy", country, id)
			}
		}
	}
	t.Logf("acknowledged: Lagos %d, US %d; delivered exactly once each way; %d refused after the consent was withdrawn",
		len(acked["NG"]), len(acked["US"]), len(stranded))

	// The ledger: one entry per message that left its cell, allowed and
	// delivered, or refused and not.
	dir, err := pgx.Connect(ctx, pl.DirectoryDB.URL(localup.DirectoryDatabase))
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close(ctx)
	var entries, events, fromLagos, fromUS, refused int
	if err := dir.QueryRow(ctx, `SELECT count(*), count(DISTINCT event_id),
			count(*) FILTER (WHERE from_cell = 'lagos-1' AND allowed AND delivered),
			count(*) FILTER (WHERE from_cell = 'us-1' AND allowed AND delivered),
			count(*) FILTER (WHERE NOT allowed AND NOT delivered)
		FROM transfer_ledger WHERE kind = 'message.sent' AND source_tenant = ANY($1)`,
		[]string{tenant["NG"], tenant["US"]}).Scan(&entries, &events, &fromLagos, &fromUS, &refused); err != nil {
		t.Fatal(err)
	}
	if entries != events || fromLagos != len(delivered) || fromUS != len(usOwn) || refused != len(stranded) {
		t.Errorf("ledger: %d entries for %d events; %d Lagos → US (want %d), %d US → Lagos (want %d), %d refused (want %d)",
			entries, events, fromLagos, len(delivered), fromUS, len(usOwn), refused, len(stranded))
	}
}
