package httpapi_test

import (
	"context"

	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/cell/internal/celltest"
)

// team is a tenant with one user per role, plus outsiders.
type team struct {
	cell    *celltest.Cell
	slug    string
	name    string
	byRole  map[string]*celltest.Client
	uids    map[string]string // cell user id per role
	outside *celltest.Client  // owner of another tenant
	staff   *celltest.Client  // platform admin-ops, not a member
}

func newTeam(t *testing.T, cell *celltest.Cell) *team {
	t.Helper()
	tm := &team{cell: cell, slug: unique(t), byRole: map[string]*celltest.Client{}, uids: map[string]string{}}
	owner := cell.SignUp(t)
	tm.byRole["owner"] = owner
	newTenant(t, cell, owner, tm.slug)
	tm.name = "Ada Fabrics " + tm.slug
	var me struct{ User struct{ ID string } }
	owner.Do(t, "GET", "/v1/me", nil).Want(t, 200).JSON(t, &me)
	tm.uids["owner"] = me.User.ID
	for _, role := range []string{"admin", "member", "viewer"} {
		cl := cell.SignUp(t)
		tm.byRole[role] = cl
		tm.uids[role] = celltest.Join(t, owner, cl, tm.slug, role)
	}
	tm.outside = cell.SignUp(t)
	newTenant(t, cell, tm.outside, strings.Trim(tm.slug[:min(len(tm.slug), 38)], "-")+"-b")

	tm.staff = cell.SignUp(t)
	ctx := context.Background()
	if err := cell.Auth.Client.SetCustomClaims(ctx, tm.staff.UID, map[string]any{"platform_roles": []string{"admin-ops"}}); err != nil {
		t.Fatal(err)
	}
	s, err := cell.Auth.Client.SignIn(ctx, tm.staff.Email, "a long password 123")
	if err != nil {
		t.Fatal(err)
	}
	tm.staff.Token = s.IDToken
	return tm
}

// draft makes a fresh draft listing (with a photo when asked) as the owner.
func (tm *team) draft(t *testing.T, photo bool) (listingOut, string) {
	t.Helper()
	l := newListing(t, tm.byRole["owner"], tm.slug, "Matrix listing")
	if !photo {
		return l, ""
	}
	var out listingOut
	tm.byRole["owner"].Upload(t, "/v1/t/"+tm.slug+"/listings/"+l.ID+"/photos", photoJPEG(t, 96, 96)).Want(t, 201).JSON(t, &out)
	return out, out.Photos[0].ID
}

// teamConversation starts, as the owner, a group with the whole team.
func (tm *team) teamConversation(t *testing.T) string {
	t.Helper()
	var c struct{ ID string }
	tm.byRole["owner"].Do(t, "POST", "/v1/t/"+tm.slug+"/conversations", map[string]any{"kind": "group", "title": "Team",
		"members": []string{tm.uids["admin"], tm.uids["member"], tm.uids["viewer"]}}).Want(t, 201).JSON(t, &c)
	return c.ID
}

var roleRank = map[string]int{"viewer": 1, "member": 2, "admin": 3, "owner": 4}

// Every endpoint of a tenant × every role, a member of another tenant,
// platform staff and an anonymous caller. Too weak a role gets 403; anyone
// outside the tenant gets 404 and never a byte of its data; no credentials
// get 401.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	tm := newTeam(t, cell)
	base := "/v1/t/" + tm.slug

	type endpoint struct {
		name    string
		min     string // weakest tenant role allowed
		staffOK bool   // platform admin-ops may read it
		call    func(t *testing.T, cl *celltest.Client) celltest.Response
	}
	endpoints := []endpoint{
		{"get tenant", "viewer", true, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "GET", base, nil)
		}},
		{"update tenant", "admin", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "PATCH", base, map[string]any{"name": tm.name})
		}},
		{"list members", "viewer", true, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "GET", base+"/members", nil)
		}},
		{"update member", "admin", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "PATCH", base+"/members/"+tm.uids["viewer"], map[string]string{"role": "viewer"})
		}},
		{"remove member", "admin", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			victim := celltest.Join(t, tm.byRole["owner"], tm.cell.SignUp(t), tm.slug, "viewer")
			return cl.Do(t, "DELETE", base+"/members/"+victim, nil)
		}},
		{"list invitations", "admin", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "GET", base+"/invitations", nil)
		}},
		{"create invitation", "admin", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "POST", base+"/invitations", map[string]string{"email": unique(t) + "@example.test", "role": "viewer"})
		}},
		{"revoke invitation", "admin", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			var inv struct{ ID string }
			tm.byRole["owner"].Do(t, "POST", base+"/invitations", map[string]string{"email": unique(t) + "@example.test", "role": "viewer"}).Want(t, 201).JSON(t, &inv)
			return cl.Do(t, "DELETE", base+"/invitations/"+inv.ID, nil)
		}},
		{"list listings", "viewer", true, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "GET", base+"/listings", nil)
		}},
		{"get listing", "viewer", true, func(t *testing.T, cl *celltest.Client) celltest.Response {
			l, _ := tm.draft(t, false)
			return cl.Do(t, "GET", base+"/listings/"+l.ID, nil)
		}},
		{"create listing", "member", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "POST", base+"/listings", map[string]any{"title": "New bolt", "price": map[string]any{"amount_minor": 100, "currency": "NGN"}, "category": "fabrics"})
		}},
		{"update listing", "member", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			l, _ := tm.draft(t, false)
			return cl.Do(t, "PATCH", base+"/listings/"+l.ID, map[string]any{"title": "Renamed bolt"}, "If-Match", `"v1"`)
		}},
		{"publish listing", "member", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			l, _ := tm.draft(t, false)
			return cl.Do(t, "POST", base+"/listings/"+l.ID+"/publish", nil)
		}},
		{"unpublish listing", "member", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			l, _ := tm.draft(t, false)
			tm.byRole["owner"].Do(t, "POST", base+"/listings/"+l.ID+"/publish", nil).Want(t, 200)
			return cl.Do(t, "POST", base+"/listings/"+l.ID+"/unpublish", nil)
		}},
		{"archive listing", "member", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			l, _ := tm.draft(t, false)
			return cl.Do(t, "POST", base+"/listings/"+l.ID+"/archive", nil)
		}},
		{"upload photo", "member", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			l, _ := tm.draft(t, false)
			return cl.Upload(t, base+"/listings/"+l.ID+"/photos", photoJPEG(t, 96, 96))
		}},
		{"delete photo", "member", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			l, photo := tm.draft(t, true)
			return cl.Do(t, "DELETE", base+"/listings/"+l.ID+"/photos/"+photo, nil)
		}},
		{"list conversations", "viewer", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "GET", base+"/conversations", nil)
		}},
		{"start conversation", "member", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "POST", base+"/conversations", map[string]any{"kind": "group", "members": []string{tm.uids["owner"], tm.uids["viewer"]}})
		}},
		{"read messages", "viewer", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "GET", base+"/conversations/"+tm.teamConversation(t)+"/messages", nil)
		}},
		{"send message", "member", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "POST", base+"/conversations/"+tm.teamConversation(t)+"/messages", map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "body": "hello team"})
		}},
		{"report message", "viewer", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			conv := tm.teamConversation(t)
			tm.byRole["owner"].Do(t, "POST", base+"/conversations/"+conv+"/messages", map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "body": "buy followers here"}).Want(t, 201)
			return cl.Do(t, "POST", base+"/conversations/"+conv+"/messages/1/reports", map[string]any{"reason": "spam"})
		}},
		{"upload attachment", "member", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			return cl.Do(t, "POST", base+"/conversations/"+tm.teamConversation(t)+"/attachments", photoJPEG(t, 32, 32))
		}},
		{"get attachment", "viewer", false, func(t *testing.T, cl *celltest.Client) celltest.Response {
			conv := tm.teamConversation(t)
			var a struct{ ID string }
			tm.byRole["owner"].Do(t, "POST", base+"/conversations/"+conv+"/attachments", photoJPEG(t, 32, 32)).Want(t, 201).JSON(t, &a)
			tm.byRole["owner"].Do(t, "POST", base+"/conversations/"+conv+"/messages", map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "attachments": []string{a.ID}}).Want(t, 201)
			return cl.Do(t, "GET", base+"/conversations/"+conv+"/attachments/"+a.ID, nil)
		}},
		{"team media", "viewer", true, func(t *testing.T, cl *celltest.Client) celltest.Response {
			_, photo := tm.draft(t, true)
			return cl.Do(t, "GET", base+"/media/"+photo+"/thumb", nil)
		}},
	}
	actors := []string{"owner", "admin", "member", "viewer", "outsider", "staff", "anonymous"}
	for _, ep := range endpoints {
		t.Run(strings.ReplaceAll(ep.name, " ", "_"), func(t *testing.T) {
			for _, actor := range actors {
				var cl *celltest.Client
				switch actor {
				case "outsider":
					cl = tm.outside
				case "staff":
					cl = tm.staff
				case "anonymous":
					cl = cell.Anonymous()
				default:
					cl = tm.byRole[actor]
				}
				resp := ep.call(t, cl)
				var want int
				switch {
				case actor == "anonymous":
					want = http.StatusUnauthorized
				case actor == "outsider", actor == "staff" && !ep.staffOK:
					want = http.StatusNotFound
				case actor == "staff":
					want = 0 // allowed
				case roleRank[actor] < roleRank[ep.min]:
					want = http.StatusForbidden
				}
				if want == 0 {
					if resp.Status >= 300 {
						t.Errorf("%s as %s = %d; want success; body %.300q", ep.name, actor, resp.Status, resp.Body)
					}
					continue
				}
				if resp.Status != want {
					t.Errorf("%s as %s = %d; want %d; body %.300q", ep.name, actor, resp.Status, want, resp.Body)
					continue
				}
				resp.Problem(t)
				if want == http.StatusNotFound && (strings.Contains(string(resp.Body), tm.name) || strings.Contains(string(resp.Body), "Matrix listing")) {
					t.Errorf("%s as %s leaks the tenant's data: %s", ep.name, actor, resp.Body)
				}
			}
		})
	}

	// A member of another tenant cannot reach this tenant's objects through
	// its own tenant's URLs either.
	l, photo := tm.draft(t, true)
	other := "/v1/t/" + tm.slug + "-b"
	for _, c := range []struct{ method, path string }{
		{"GET", other + "/listings/" + l.ID},
		{"POST", other + "/listings/" + l.ID + "/publish"},
		{"DELETE", other + "/listings/" + l.ID + "/photos/" + photo},
		{"GET", other + "/media/" + photo + "/thumb"},
	} {
		resp := tm.outside.Do(t, c.method, c.path, nil)
		if resp.Status != http.StatusNotFound {
			t.Errorf("%s %s (object of another tenant) = %d; want 404", c.method, c.path, resp.Status)
		}
	}

	// Ownership: only owners grant it; the last owner stays.
	tm.byRole["admin"].Do(t, "PATCH", base+"/members/"+tm.uids["member"], map[string]string{"role": "owner"}).Want(t, 403)
	tm.byRole["admin"].Do(t, "DELETE", base+"/members/"+tm.uids["owner"], nil).Want(t, 403)
	tm.byRole["owner"].Do(t, "PATCH", base+"/members/"+tm.uids["owner"], map[string]string{"role": "admin"}).Want(t, 409)
	// An invitation works only for the address it was sent to.
	var inv struct{ ID, Token string }
	tm.byRole["owner"].Do(t, "POST", base+"/invitations", map[string]string{"email": "someone-else@example.test", "role": "admin"}).Want(t, 201).JSON(t, &inv)
	tm.outside.Do(t, "POST", base+"/invitations/"+inv.ID+"/accept", map[string]string{"token": inv.Token}).Want(t, 403)
	tm.outside.Do(t, "POST", base+"/invitations/"+inv.ID+"/accept", map[string]string{"token": "guess"}).Want(t, 404)
}

// A conversation of a business holds only members of that business: a user
// of the same cell who belongs to another business cannot be added.
func TestConversationsHoldOnlyMembersOfTheBusiness(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	tm := newTeam(t, cell)
	var me struct{ User struct{ ID string } }
	tm.outside.Do(t, "GET", "/v1/me", nil).Want(t, 200).JSON(t, &me)
	before := cell.State(t)
	p := tm.byRole["owner"].Do(t, "POST", "/v1/t/"+tm.slug+"/conversations", map[string]any{"kind": "group", "title": "Leak",
		"members": []string{tm.uids["member"], me.User.ID}}).Want(t, 400).Problem(t)
	if len(p.Errors) == 0 || p.Errors[0].Field != "members" {
		t.Errorf("errors = %+v; want one for members", p.Errors)
	}
	if diff := before.Diff(cell.State(t)); diff != "" {
		t.Errorf("the refused conversation changed the cell: %s", diff)
	}
	tm.byRole["owner"].Do(t, "POST", "/v1/t/"+tm.slug+"/conversations", map[string]any{"kind": "group", "title": "Team",
		"members": []string{tm.uids["member"], tm.uids["viewer"]}}).Want(t, 201)
}
