package cpserver

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/internal/cpclient"
	"github.com/pushnchat/pushnchat/internal/problem"
)

// The typed client every other service uses reads each answer of the
// control plane's internal API in full: cells, a tenant by slug and by id,
// the change feed, a person's cells, and a key that is not there.
func TestTheClientReadsEveryAnswer(t *testing.T) {
	p := startPlane(t, map[string]*fakeCell{"lagos-1": newFakeCell(t)})
	ctx := context.Background()
	owner, err := p.auth.Client.SignUp(ctx, "contract@cpserver.test", "a long password 1")
	if err != nil {
		t.Fatal(err)
	}
	a := p.call(t, "POST", "/v1/signup", owner.IDToken, business("kemi-foods", "GH"))
	if a.status != 201 {
		t.Fatalf("sign-up = %d %s", a.status, a.body)
	}
	var signed cpclient.Record // the sign-up answer is a directory record too
	if err := json.Unmarshal(a.body, &signed); err != nil || signed.TenantID == "" {
		t.Fatalf("sign-up answer %s: %v", a.body, err)
	}
	cp := cpclient.New(p.url, testToken, 5*time.Second)

	cells, err := cp.Cells(ctx)
	if err != nil || len(cells) != 1 || cells[0].Name != "lagos-1" || cells[0].Jurisdiction != "NG" || cells[0].URL == "" || cells[0].Tenants != 1 {
		t.Fatalf("Cells = %+v, %v; want lagos-1 (NG) with one tenant", cells, err)
	}
	want := cpclient.Record{TenantID: signed.TenantID, Slug: "kemi-foods", Country: "GH", HomeCell: "lagos-1", Status: "active"}
	for _, key := range []string{"kemi-foods", signed.TenantID} {
		got, err := cp.Tenant(ctx, key)
		if err != nil || got.TenantID != want.TenantID || got.Slug != want.Slug || got.Country != want.Country ||
			got.HomeCell != want.HomeCell || got.Status != want.Status || len(got.Rules) == 0 || got.Version == 0 {
			t.Errorf("Tenant(%s) = %+v, %v; want %+v with its rules and a version", key, got, err, want)
		}
	}
	feed, err := cp.Changes(ctx, 0, 0)
	if err != nil || feed.LastSeq == 0 {
		t.Fatalf("Changes = %+v, %v", feed, err)
	}
	i := slices.IndexFunc(feed.Changes, func(c cpclient.Change) bool { return c.Kind == "tenant" && c.TenantID == signed.TenantID })
	if i < 0 || feed.Changes[i].Slug != "kemi-foods" || feed.Changes[i].HomeCell != "lagos-1" || feed.Changes[i].Seq == 0 {
		t.Errorf("the feed %+v lacks the new tenant's change", feed)
	}
	me, err := cp.User(ctx, owner.UID)
	if err != nil || me.UID != owner.UID || !slices.Equal(me.Cells, []string{"lagos-1"}) {
		t.Errorf("User = %+v, %v; want the owner in lagos-1", me, err)
	}
	if _, err := cp.Tenant(ctx, "nobody-here"); !errors.Is(err, cpclient.ErrNotFound) {
		t.Errorf("Tenant(nobody-here) = %v; want ErrNotFound", err)
	}
	if _, err := cpclient.New(p.url, "wrong", time.Second).Cells(ctx); err == nil {
		t.Error("Cells with a wrong token succeeded")
	}

	// The contact is the cell's contract too: a field it does not know is
	// the client's 400, naming it, and nothing is placed.
	odd := business("odd-contact", "NG")
	odd["contact"] = map[string]string{"name": "Owner Person", "email": "owner@example.test", "fax": "+234"}
	a = p.call(t, "POST", "/v1/signup", owner.IDToken, odd)
	var pr problem.Problem
	_ = json.Unmarshal(a.body, &pr)
	if a.status != 400 || len(pr.Errors) == 0 || pr.Errors[0].Field != "fax" {
		t.Errorf("sign-up with an unknown contact field = %d %s; want 400 naming fax", a.status, a.body)
	}
	if _, err := cp.Tenant(ctx, "odd-contact"); !errors.Is(err, cpclient.ErrNotFound) {
		t.Errorf("a refused sign-up left a directory entry: %v", err)
	}
}
