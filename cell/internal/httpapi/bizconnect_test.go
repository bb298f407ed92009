package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pushnchat/pushnchat/cell/internal/celltest"
	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/internal/signedcall"
	"github.com/pushnchat/pushnchat/residency"
)

type partnershipOut struct {
	ID      string             `json:"id"`
	State   string             `json:"state"`
	Role    string             `json:"role"`
	Partner *crosscell.Card    `json:"partner"`
	Refusal *crosscell.Refusal `json:"refusal"`
}

// bizCell starts lagos-1 trusting broker's key, with one business.
func bizCell(t *testing.T, broker signedcall.Signer) (*celltest.Cell, *celltest.Client, tenantOut) {
	t.Helper()
	keys := filepath.Join(t.TempDir(), "broker-keys.pub")
	if err := signedcall.WritePublic(keys, broker); err != nil {
		t.Fatal(err)
	}
	cell := celltest.Start(t, celltest.Options{BrokerKeys: keys})
	owner := cell.SignUp(t)
	return cell, owner, newTenant(t, cell, owner, unique(t))
}

func readOutbox(t *testing.T, cell *celltest.Cell, after int64) crosscell.Page {
	t.Helper()
	cp := cell.Anonymous()
	cp.Header.Set(celltest.ServiceTokenHeader, celltest.ServiceToken)
	var p crosscell.Page
	cp.Do(t, "GET", crosscell.OutboxPath+"?after="+strconv.FormatInt(after, 10), nil).Want(t, 200).JSON(t, &p)
	return p
}

// A proposal is checked where it is made — input, role, the business's
// tier, the residency policy — and, once stored, waits in the outbox with
// what it carries and on which basis; only the control plane reads it.
func TestProposeAPartnership(t *testing.T) {
	t.Parallel()
	cell, owner, biz := bizCell(t, signedcall.NewKey())
	base := "/v1/t/" + biz.Slug + "/partnerships"
	kenyan, american := ids.New(), ids.New()
	propose := func(cl *celltest.Client, partner, country string, share ...residency.Category) celltest.Response {
		return cl.Do(t, "POST", base, map[string]any{"partner_tenant_id": partner, "partner_country": country,
			"note": "  Let us trade indigo  ", "share": map[string]any{"proposer": share, "partner": share}})
	}
	for name, r := range map[string]celltest.Response{
		"no partner":        propose(owner, "", "KE"),
		"itself":            propose(owner, biz.ID, "NG"),
		"unknown country":   propose(owner, kenyan, "XX"),
		"unshareable":       propose(owner, kenyan, "KE", residency.HealthData),
		"shared twice":      propose(owner, kenyan, "KE", residency.MessageContent, residency.MessageContent),
		"id spelt in upper": propose(owner, strings.ToUpper(kenyan), "KE"),
	} {
		if r.Status != 400 {
			t.Errorf("%s: %d %s; want 400", name, r.Status, r.Body)
		}
	}
	viewer := cell.SignUp(t)
	celltest.Join(t, owner, viewer, biz.Slug, "viewer")
	propose(viewer, kenyan, "KE").Want(t, 403)

	// The Intra-African tier partners inside Africa only.
	p := propose(owner, american, "US").Want(t, 403).Problem(t)
	if p.Type != problem.TypeBase+"entitlement_required" || !strings.Contains(p.Detail, "entitlement.cross-border-tier") {
		t.Errorf("proposal to the US on the Intra-African tier: %+v", p)
	}
	if len(readOutbox(t, cell, 0).Events) != 0 {
		t.Fatal("a refused proposal reached the outbox")
	}

	var made partnershipOut
	propose(owner, kenyan, "KE", residency.MessageContent).Want(t, 201).JSON(t, &made)
	if made.State != "proposing" || made.Role != "proposer" {
		t.Errorf("new proposal: %+v", made)
	}
	propose(owner, kenyan, "KE").Want(t, 409) // one open partnership per pair
	page := readOutbox(t, cell, 0)
	if len(page.Events) != 1 {
		t.Fatalf("outbox: %+v", page)
	}
	ev := page.Events[0]
	var body crosscell.Proposal
	json.Unmarshal(ev.Body, &body)
	if ev.Kind != crosscell.PartnershipProposed || ev.Tenant != biz.ID || ev.Partner != kenyan || ev.Tier != "intra_africa" ||
		body.Partnership != made.ID || body.Note != "Let us trade indigo" || body.From.Slug != biz.Slug {
		t.Errorf("outbox event: %+v %+v", ev, body)
	}
	want := []crosscell.Item{{Category: residency.BusinessProfilePublic},
		{Category: residency.Partnership, Bases: []residency.Basis{residency.Contract}}}
	if got, _ := json.Marshal(ev.Carries); string(got) != string(must(json.Marshal(want))) {
		t.Errorf("the proposal carries %s; want %s", got, must(json.Marshal(want)))
	}
	if r := cell.Anonymous().Do(t, "GET", crosscell.OutboxPath, nil); r.Status != 404 {
		t.Errorf("outbox without the service token: %d", r.Status)
	}
	if page := readOutbox(t, cell, page.LastSeq); len(page.Events) != 0 || page.LastSeq != ev.Seq {
		t.Errorf("outbox after the last event: %+v", page)
	}

	// On a cross-border tier the US is in reach.
	owner.Do(t, "PATCH", "/v1/t/"+biz.Slug, map[string]any{"tier": "africa_us"}).Want(t, 200)
	propose(owner, american, "US").Want(t, 201)
	owner.Do(t, "PATCH", "/v1/t/"+biz.Slug, map[string]any{"tier": "gold"}).Want(t, 400)
	admin := cell.SignUp(t)
	celltest.Join(t, owner, admin, biz.Slug, "admin")
	admin.Do(t, "PATCH", "/v1/t/"+biz.Slug, map[string]any{"tier": "intra_africa"}).Want(t, 403) // the owner's to change
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// A person's consent is theirs to give, see and withdraw; granting one in
// force again changes nothing, and so does withdrawing twice.
func TestConsentIsABasisUntilWithdrawn(t *testing.T) {
	t.Parallel()
	cell, owner, biz := bizCell(t, signedcall.NewKey())
	base := "/v1/t/" + biz.Slug + "/consents"
	owner.Do(t, "POST", base, map[string]string{"category": "health_data", "jurisdiction": "US"}).Want(t, 400)
	owner.Do(t, "POST", base, map[string]string{"category": "message_content", "jurisdiction": "XX"}).Want(t, 400)
	var c struct {
		ID          string  `json:"id"`
		WithdrawnAt *string `json:"withdrawn_at"`
	}
	owner.Do(t, "POST", base, map[string]string{"category": "message_content", "jurisdiction": "KE"}).Want(t, 201).JSON(t, &c)
	var again struct{ ID string }
	owner.Do(t, "POST", base, map[string]string{"category": "message_content", "jurisdiction": "KE"}).Want(t, 200).JSON(t, &again)
	if again.ID != c.ID {
		t.Errorf("granting a consent in force again made another: %s, %s", c.ID, again.ID)
	}
	// Someone else's consents are not theirs to see or withdraw.
	staff := cell.SignUp(t)
	celltest.Join(t, owner, staff, biz.Slug, "member")
	var theirs struct{ Consents []json.RawMessage }
	staff.Do(t, "GET", base, nil).Want(t, 200).JSON(t, &theirs)
	if len(theirs.Consents) != 0 {
		t.Errorf("a member sees another's consents: %s", theirs.Consents)
	}
	staff.Do(t, "DELETE", base+"/"+c.ID, nil).Want(t, 404)

	owner.Do(t, "DELETE", base+"/"+c.ID, nil).Want(t, 200).JSON(t, &c)
	if c.WithdrawnAt == nil {
		t.Error("a withdrawn consent has no withdrawn_at")
	}
	owner.Do(t, "DELETE", base+"/"+c.ID, nil).Want(t, 200) // withdrawing again changes nothing
}

// deliver puts deliveries into cell's inbox with a call the broker signed.
func deliver(t *testing.T, cell *celltest.Cell, broker signedcall.Signer, ds ...crosscell.Delivery) crosscell.Receipt {
	t.Helper()
	body := must(json.Marshal(crosscell.Transaction{Deliveries: ds}))
	req, _ := http.NewRequest("PUT", cell.URL+crosscell.InboxPath+ids.New(), bytes.NewReader(body))
	if err := broker.Sign(req, "lagos-1", body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rc crosscell.Receipt
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&rc) != nil {
		t.Fatalf("inbox: %d", resp.StatusCode)
	}
	return rc
}

// In a partner conversation with a Kenyan business, a Nigerian sender's
// message needs a basis: refused at once without one, sent with the
// sender's consent as its basis, and the basis gone from the outbox the
// moment the consent is withdrawn (the broker then refuses it).
func TestPartnerMessageRestsOnConsent(t *testing.T) {
	t.Parallel()
	broker := signedcall.NewKey()
	cell, owner, biz := bizCell(t, broker)
	kenyan, partnership := ids.New(), ids.New()
	share := crosscell.Share{Proposer: []residency.Category{residency.MessageContent}, Partner: []residency.Category{residency.MessageContent}}
	proposal := crosscell.Event{ID: ids.New(), Kind: crosscell.PartnershipProposed, Tenant: kenyan, Partner: biz.ID, Tier: "intra_africa",
		Body: must(json.Marshal(crosscell.Proposal{Partnership: partnership, Share: share,
			From: crosscell.Card{ID: kenyan, Slug: "nairobi-shea", Name: "Nairobi Shea", Country: "KE", Categories: []string{"beauty"}}}))}
	if rc := deliver(t, cell, broker, crosscell.Delivery{From: "nairobi-1", Event: &proposal}); !rc.Results[0].Applied {
		t.Fatalf("proposal: %+v", rc)
	}
	owner.Do(t, "POST", "/v1/t/"+biz.Slug+"/partnerships/"+partnership+"/accept", nil).Want(t, 200)
	var convs struct {
		Items []struct {
			ID                  string `json:"id"`
			Kind                string `json:"kind"`
			PartnerJurisdiction string `json:"partner_jurisdiction"`
		}
	}
	owner.Do(t, "GET", "/v1/t/"+biz.Slug+"/conversations", nil).Want(t, 200).JSON(t, &convs)
	if len(convs.Items) != 1 || convs.Items[0].Kind != "partner" || convs.Items[0].PartnerJurisdiction != "KE" {
		t.Fatalf("after accepting: %+v", convs)
	}
	send := func(body string) celltest.Response {
		return owner.Do(t, "POST", "/v1/t/"+biz.Slug+"/conversations/"+convs.Items[0].ID+"/messages", map[string]any{"id": ids.New(), "body": body})
	}
	if p := send("Shea for indigo?").Want(t, 422).Problem(t); p.Type != problem.TypeBase+"transfer_refused" || !strings.Contains(p.Detail, "ng.transfer.s41-43") {
		t.Errorf("without consent: %+v", p)
	}
	var c struct{ ID string }
	owner.Do(t, "POST", "/v1/t/"+biz.Slug+"/consents", map[string]string{"category": "message_content", "jurisdiction": "KE"}).Want(t, 201).JSON(t, &c)
	send("Shea for indigo?").Want(t, 201)
	sent := func() crosscell.Item {
		t.Helper()
		for _, ev := range readOutbox(t, cell, 0).Events {
			if ev.Kind == crosscell.MessageSent {
				return ev.Carries[0]
			}
		}
		t.Fatal("no message in the outbox")
		return crosscell.Item{}
	}
	if it := sent(); it.Category != residency.MessageContent || it.ConsentID != c.ID || len(it.Bases) != 1 || it.Bases[0] != residency.Consent {
		t.Errorf("the message carries %+v; want message_content on the sender's consent", it)
	}
	owner.Do(t, "DELETE", "/v1/t/"+biz.Slug+"/consents/"+c.ID, nil).Want(t, 200)
	if it := sent(); it.ConsentID != "" || len(it.Bases) != 0 {
		t.Errorf("after the consent was withdrawn the waiting message still carries %+v", it)
	}
	send("One more thing").Want(t, 422)

	// What the inbox cannot apply is refused for good, by problem, and
	// changes nothing: an unknown kind, a message without a valid id.
	odd := crosscell.Event{ID: ids.New(), Kind: "partnership.merged", Tenant: kenyan, Partner: biz.ID, Body: []byte(`{}`)}
	bad := crosscell.Event{ID: ids.New(), Kind: crosscell.MessageSent, Tenant: kenyan, Partner: biz.ID, Actor: ids.New(),
		Body: must(json.Marshal(crosscell.PartnerMessage{Partnership: partnership, Message: crosscell.SentMessage{ID: "not-an-id", Body: "hi"}}))}
	rc := deliver(t, cell, broker, crosscell.Delivery{From: "nairobi-1", Event: &odd}, crosscell.Delivery{From: "nairobi-1", Event: &bad})
	if rc.Results[0].Status != 400 || rc.Results[1].Status != 400 {
		t.Errorf("odd deliveries: %+v; want 400 each", rc)
	}
}

// The inbox takes only calls the broker signed for this cell, each once;
// a delivery is applied once however often it comes; a refusal of the
// cell's own event marks what it was about.
func TestInboxTakesOnlyTheBrokersCallsOnce(t *testing.T) {
	t.Parallel()
	broker := signedcall.NewKey()
	cell, owner, biz := bizCell(t, broker)
	kenyan := ids.New()
	proposal := crosscell.Event{ID: ids.New(), Kind: crosscell.PartnershipProposed, Tenant: kenyan, Partner: biz.ID, Tier: "intra_africa",
		Carries: []crosscell.Item{{Category: residency.BusinessProfilePublic}},
		Body: must(json.Marshal(crosscell.Proposal{Partnership: ids.New(), Note: "Shea butter for your fabrics?",
			From:  crosscell.Card{ID: kenyan, Slug: "nairobi-shea", Name: "Nairobi Shea", Country: "KE", Categories: []string{"beauty"}},
			Share: crosscell.Share{Proposer: []residency.Category{}, Partner: []residency.Category{}}}))}
	txn := must(json.Marshal(crosscell.Transaction{Deliveries: []crosscell.Delivery{{From: "nairobi-1", Event: &proposal}}}))
	send := func(signer signedcall.Signer, audience string, body []byte, reuse *http.Request) (*http.Request, int, crosscell.Receipt) {
		req := reuse
		if req == nil {
			req, _ = http.NewRequest("PUT", cell.URL+crosscell.InboxPath+ids.New(), nil)
			if signer.Key != nil {
				if err := signer.Sign(req, audience, body); err != nil {
					t.Fatal(err)
				}
			}
		}
		again := req.Clone(req.Context())
		again.Body = http.NoBody
		if body != nil {
			again.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := http.DefaultClient.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rc crosscell.Receipt
		json.NewDecoder(resp.Body).Decode(&rc)
		return req, resp.StatusCode, rc
	}
	inbox := func() int {
		var n int
		cell.Conn(t).QueryRow(t.Context(), `SELECT count(*) FROM inbox_event`).Scan(&n)
		return n
	}
	for name, status := range map[string]int{
		"unsigned":             func() int { _, s, _ := send(signedcall.Signer{}, "", txn, nil); return s }(),
		"signed by a stranger": func() int { _, s, _ := send(signedcall.NewKey(), "lagos-1", txn, nil); return s }(),
		"signed for us-1":      func() int { _, s, _ := send(broker, "us-1", txn, nil); return s }(),
		"another body": func() int {
			req, _, _ := send(broker, "lagos-1", []byte(`{}`), nil)
			_, s, _ := send(broker, "", txn, req)
			return s
		}(),
	} {
		if status != 401 {
			t.Errorf("%s: %d; want 401", name, status)
		}
	}
	if n := inbox(); n != 0 {
		t.Fatalf("refused calls stored %d events", n)
	}
	req, status, rc := send(broker, "lagos-1", txn, nil)
	if status != 200 || len(rc.Results) != 1 || !rc.Results[0].Applied {
		t.Fatalf("the broker's call: %d %+v", status, rc)
	}
	if _, status, _ := send(broker, "", txn, req); status != 401 {
		t.Errorf("a replayed call: %d; want 401", status)
	}
	if _, status, rc := send(broker, "lagos-1", txn, nil); status != 200 || rc.Results[0].Applied || rc.Results[0].Status != 200 {
		t.Errorf("the same delivery again: %d %+v; want 200, not applied", status, rc)
	}
	if n := inbox(); n != 1 {
		t.Errorf("inbox holds %d events; want 1", n)
	}
	var list struct{ Partnerships []partnershipOut }
	owner.Do(t, "GET", "/v1/t/"+biz.Slug+"/partnerships", nil).Want(t, 200).JSON(t, &list)
	if len(list.Partnerships) != 1 || list.Partnerships[0].State != "proposed" || list.Partnerships[0].Role != "recipient" ||
		list.Partnerships[0].Partner == nil || list.Partnerships[0].Partner.Name != "Nairobi Shea" {
		t.Fatalf("the proposal as received: %+v", list)
	}
	// The receipt goes back with this business's public card.
	out := readOutbox(t, cell, 0)
	if len(out.Events) != 1 || out.Events[0].Kind != crosscell.PartnershipReceived || out.Events[0].Partner != kenyan ||
		!strings.Contains(string(out.Events[0].Body), biz.Slug) {
		t.Errorf("outbox after a proposal arrived: %+v", out)
	}

	// A delivery for a business that is not here is refused for good,
	// and the rest of the transaction still goes in.
	stray := proposal
	stray.ID, stray.Partner = ids.New(), ids.New()
	ended := crosscell.Event{ID: ids.New(), Kind: crosscell.PartnershipWithdrawn, Tenant: kenyan, Partner: biz.ID, Tier: "intra_africa",
		Body: must(json.Marshal(crosscell.Step{Partnership: list.Partnerships[0].ID}))}
	txn = must(json.Marshal(crosscell.Transaction{Deliveries: []crosscell.Delivery{{From: "nairobi-1", Event: &stray}, {From: "nairobi-1", Event: &ended}}}))
	if _, status, rc := send(broker, "lagos-1", txn, nil); status != 200 || rc.Results[0].Status != 404 || !rc.Results[1].Applied {
		t.Errorf("a transaction with a stray delivery: %d %+v", status, rc)
	}
	owner.Do(t, "GET", "/v1/t/"+biz.Slug+"/partnerships", nil).Want(t, 200).JSON(t, &list)
	if list.Partnerships[0].State != "withdrawn" {
		t.Errorf("after the proposer withdrew: %+v", list.Partnerships[0])
	}

	// The broker refuses one of this business's own events.
	owner.Do(t, "PATCH", "/v1/t/"+biz.Slug, map[string]any{"tier": "africa_us"}).Want(t, 200)
	var mine partnershipOut
	owner.Do(t, "POST", "/v1/t/"+biz.Slug+"/partnerships", map[string]any{"partner_tenant_id": ids.New(), "partner_country": "US",
		"share": map[string]any{"proposer": []string{}, "partner": []string{}}}).Want(t, 201).JSON(t, &mine)
	out = readOutbox(t, cell, out.LastSeq)
	refusal := crosscell.Refusal{Event: out.Events[0].ID, Kind: out.Events[0].Kind, Type: "partner_not_found",
		Rules: []string{"broker.partner-unknown"}, Explanation: "no business with that id exists on PushNchat"}
	txn = must(json.Marshal(crosscell.Transaction{Deliveries: []crosscell.Delivery{{From: "lagos-1", Refusal: &refusal}}}))
	if _, status, rc := send(broker, "lagos-1", txn, nil); status != 200 || !rc.Results[0].Applied {
		t.Errorf("a refusal: %d %+v", status, rc)
	}
	owner.Do(t, "GET", "/v1/t/"+biz.Slug+"/partnerships/"+mine.ID, nil).Want(t, 200).JSON(t, &mine)
	if mine.State != "refused" || mine.Refusal == nil || mine.Refusal.Type != "partner_not_found" {
		t.Errorf("after the broker refused the proposal: %+v", mine)
	}
}
