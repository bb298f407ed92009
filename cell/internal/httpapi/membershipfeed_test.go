package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/cell/internal/celltest"
	"github.com/pushnchat/pushnchat/internal/membershipfeed"
)

// The membership feed records every join and leave, in order, with the
// memberships the person holds here afterwards; a reader waiting on it is
// answered as soon as a change commits. Only the control plane reads it.
func TestMembershipFeed(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	cp := cell.Anonymous()
	cp.Header.Set(celltest.ServiceTokenHeader, celltest.ServiceToken)
	read := func(after int64, wait string) membershipfeed.Page {
		var p membershipfeed.Page
		cp.Do(t, "GET", membershipfeed.Path+"?after="+strconv.FormatInt(after, 10)+"&wait="+wait, nil).Want(t, 200).JSON(t, &p)
		return p
	}
	start := read(0, "0s").LastSeq

	owner := cell.SignUp(t)
	slug := unique(t)
	tn := newTenant(t, cell, owner, slug)
	second := unique(t)
	newTenant(t, cell, owner, second[:min(len(second), 30)]+"-two")
	staff := cell.SignUp(t)
	staffID := celltest.Join(t, owner, staff, slug, "viewer")

	// A reader waiting for the next change gets the removal when it commits.
	before := read(start, "0s")
	type answer struct {
		page membershipfeed.Page
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("GET", cell.URL+membershipfeed.Path+"?after="+strconv.FormatInt(before.LastSeq, 10)+"&wait=25s", nil)
		req.Header.Set(celltest.ServiceTokenHeader, celltest.ServiceToken)
		var a answer
		resp, err := http.DefaultClient.Do(req)
		if a.err = err; err == nil {
			a.err = json.NewDecoder(resp.Body).Decode(&a.page)
			resp.Body.Close()
		}
		got <- a
	}()
	owner.Do(t, "DELETE", "/v1/t/"+slug+"/members/"+staffID, nil).Want(t, 204)
	var removal membershipfeed.Page
	select {
	case a := <-got:
		if a.err != nil {
			t.Fatal(a.err)
		}
		removal = a.page
	case <-time.After(20 * time.Second):
		t.Fatal("the waiting reader was not answered within 20s of the removal")
	}

	all := append(before.Changes, removal.Changes...)
	type entry struct {
		uid         string
		joined      bool
		memberships int
	}
	var entries []entry
	for i, c := range all {
		if i > 0 && c.Seq <= all[i-1].Seq {
			t.Fatalf("seqs out of order: %+v", all)
		}
		entries = append(entries, entry{c.UID, c.Joined, c.Memberships})
	}
	want := []entry{{owner.UID, true, 1}, {owner.UID, true, 2}, {staff.UID, true, 1}, {staff.UID, false, 0}}
	if len(entries) != len(want) {
		t.Fatalf("feed = %+v; want %+v", entries, want)
	}
	for i := range want {
		if entries[i] != want[i] {
			t.Errorf("entry %d = %+v; want %+v", i, entries[i], want[i])
		}
	}
	if all[0].TenantID != tn.ID {
		t.Errorf("first entry's tenant = %s; want %s", all[0].TenantID, tn.ID)
	}
	if removal.LastSeq != all[len(all)-1].Seq {
		t.Errorf("last_seq = %d; want %d", removal.LastSeq, all[len(all)-1].Seq)
	}
	cell.Anonymous().Do(t, "GET", membershipfeed.Path, nil).Want(t, http.StatusNotFound)
	cp.Do(t, "GET", membershipfeed.Path+"?after=-1", nil).Want(t, http.StatusBadRequest)
}
