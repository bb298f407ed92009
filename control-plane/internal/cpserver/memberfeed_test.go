package cpserver

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// A person who belongs to businesses in several cells — or to none of
// their own, only a team they were invited to — is known in every one of
// them: the control plane follows each cell's membership feed into the
// directory, which routers and the person's own /v1/me/cells read.
func TestPeopleAreKnownInEveryCellTheyBelongTo(t *testing.T) {
	lagos, nairobi := newFakeCell(t), newFakeCell(t)
	p := startPlane(t, map[string]*fakeCell{"lagos-1": lagos, "nairobi-1": nairobi})
	ctx := context.Background()
	ada, err := p.auth.Client.SignUp(ctx, "ada@cpserver.test", "a long password 1")
	if err != nil {
		t.Fatal(err)
	}
	staff, err := p.auth.Client.SignUp(ctx, "staff@cpserver.test", "a long password 1")
	if err != nil {
		t.Fatal(err)
	}
	cellsOf := func(uid string) []string {
		a := p.call(t, "GET", "/v1/directory/users/"+uid, "service", nil)
		if a.status != 200 {
			return nil
		}
		var u struct{ Cells []string }
		json.Unmarshal(a.body, &u)
		slices.Sort(u.Cells)
		return u.Cells
	}
	waitCells := func(uid string, want ...string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !slices.Equal(cellsOf(uid), want) {
			if time.Now().After(deadline) {
				t.Fatalf("%s's cells = %v after 15s; want %v", uid, cellsOf(uid), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	lagos.record(ada.UID, "t-lagos", true, 1)
	nairobi.record(ada.UID, "t-nairobi", true, 1)
	nairobi.record(staff.UID, "t-nairobi", true, 1) // invited, no business of their own
	waitCells(ada.UID, "lagos-1", "nairobi-1")
	waitCells(staff.UID, "nairobi-1")

	var mine struct {
		HomeCell string `json:"home_cell"`
		Cells    []string
	}
	if a := p.call(t, "GET", "/v1/me/cells", staff.IDToken, nil); a.status != 200 {
		t.Fatalf("/v1/me/cells = %d %s", a.status, a.body)
	} else if json.Unmarshal(a.body, &mine); mine.HomeCell != "nairobi-1" || !slices.Equal(mine.Cells, []string{"nairobi-1"}) {
		t.Errorf("staff's cells = %+v; want nairobi-1", mine)
	}
	if a := p.call(t, "GET", "/v1/me/cells", "", nil); a.status != 401 {
		t.Errorf("/v1/me/cells without a token = %d; want 401", a.status)
	}

	// Leaving the last business in a cell takes the cell away; leaving one
	// of two keeps it.
	nairobi.record(ada.UID, "t-nairobi-2", true, 2)
	nairobi.record(ada.UID, "t-nairobi", false, 1)
	nairobi.record(staff.UID, "t-nairobi", false, 0)
	waitCells(staff.UID)
	if got := cellsOf(ada.UID); !slices.Equal(got, []string{"lagos-1", "nairobi-1"}) {
		t.Errorf("ada's cells after leaving one of two Nairobi businesses = %v", got)
	}
	if a := p.call(t, "GET", "/v1/me/cells", staff.IDToken, nil); json.Unmarshal(a.body, &mine) != nil || len(mine.Cells) != 0 {
		t.Errorf("staff's cells after leaving = %s; want none", a.body)
	}

	// The routers' change feed carries each person's cells.
	a := p.call(t, "GET", "/v1/directory/changes?after=0", "service", nil)
	var feed struct {
		Changes []struct {
			Kind, UID string
			Cells     []string
		}
	}
	json.Unmarshal(a.body, &feed)
	var last []string
	for _, c := range feed.Changes {
		if c.Kind == "user" && c.UID == ada.UID {
			last = c.Cells
		}
	}
	slices.Sort(last)
	if !slices.Equal(last, []string{"lagos-1", "nairobi-1"}) {
		t.Errorf("the change feed's last entry for ada has cells %v", last)
	}
}
