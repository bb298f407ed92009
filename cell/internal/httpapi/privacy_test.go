package httpapi_test

import (
	"context"
	"testing"

	"github.com/pushnchat/pushnchat/cell/internal/celltest"
)

// storedUsers counts the cell's users with a Firebase uid, and those of
// them holding an email or a name.
func storedUsers(t *testing.T, cell *celltest.Cell, uid string) (rows, withData int) {
	t.Helper()
	err := cell.Conn(t).QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE email IS NOT NULL OR display_name IS NOT NULL)
		FROM app_user WHERE firebase_uid = $1`, uid).Scan(&rows, &withData)
	if err != nil {
		t.Fatal(err)
	}
	return rows, withData
}

// A cell keeps personal data only of members of its businesses. Someone
// signed in who belongs to none — refused everywhere, or just looking —
// leaves nothing behind; a member removed from their last business here
// leaves no email or name.
func TestCallersWhoBelongNowhereLeaveNoTrace(t *testing.T) {
	t.Parallel()
	cell, owner, slug := ownedBusiness(t)
	l := newListing(t, owner, slug, "Kente stole")

	stranger := cell.SignUp(t)
	base := "/v1/t/" + slug
	stranger.Do(t, "GET", base, nil).Want(t, 404)
	stranger.Do(t, "GET", base+"/listings/"+l.ID, nil).Want(t, 404)
	stranger.Do(t, "POST", base+"/listings", map[string]any{"title": "Mine now"}).Want(t, 404)
	stranger.Do(t, "POST", base+"/invitations/0190c2a5-0000-7000-8000-000000000000/accept", map[string]string{"token": "guess"}).Want(t, 404)
	var sync struct{ Messages []any }
	stranger.Do(t, "GET", "/v1/me/sync", nil).Want(t, 200).JSON(t, &sync)
	if len(sync.Messages) != 0 {
		t.Errorf("a stranger's sync returned %d messages", len(sync.Messages))
	}
	var me struct {
		User struct {
			ID    string
			Email string
		}
		Memberships []any
	}
	stranger.Do(t, "GET", "/v1/me", nil).Want(t, 200).JSON(t, &me)
	if me.User.ID != "" || me.User.Email != stranger.Email || len(me.Memberships) != 0 {
		t.Errorf("a stranger's /v1/me = %+v; want their token's email, no id, no memberships", me)
	}
	stranger.Do(t, "GET", "/v1/realtime", nil).Want(t, 404)
	if rows, _ := storedUsers(t, cell, stranger.UID); rows != 0 {
		t.Errorf("the cell stored %d users for someone who belongs to none of its businesses", rows)
	}

	// Joining stores them; leaving their last business forgets them.
	staff := cell.SignUp(t)
	staffID := celltest.Join(t, owner, staff, slug, "member")
	if _, withData := storedUsers(t, cell, staff.UID); withData != 1 {
		t.Fatalf("a member's user holds no email")
	}
	owner.Do(t, "DELETE", base+"/members/"+staffID, nil).Want(t, 204)
	if rows, withData := storedUsers(t, cell, staff.UID); rows != 1 || withData != 0 {
		t.Errorf("after removal: %d users, %d with an email or name; want the user kept for message history, its data gone", rows, withData)
	}
	staff.Do(t, "GET", "/v1/me", nil).Want(t, 200)
	if _, withData := storedUsers(t, cell, staff.UID); withData != 0 {
		t.Errorf("a former member's call stored their email again")
	}
}
