package httpapi_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/cell/internal/celltest"
	"github.com/pushnchat/pushnchat/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

type tenantOut struct {
	ID, Slug, Country string
}

type listingOut struct {
	ID      string
	Status  string
	Title   string
	Version int64
	Photos  []struct {
		ID       string
		Variants map[string]struct {
			URL   string
			Bytes int
		}
	}
}

type pageOut struct {
	Items      []listingOut
	NextCursor string `json:"next_cursor"`
}

func newTenant(t *testing.T, cell *celltest.Cell, owner *celltest.Client, slug string) tenantOut {
	t.Helper()
	var out tenantOut
	cell.CreateTenant(t, owner, map[string]any{
		"slug": slug, "name": "Ada Fabrics " + slug, "country": "NG", "categories": []string{"fabrics"},
		"contact": map[string]string{"name": "Ada Obi", "email": "ada@example.test", "phone": "+2348012345678"},
	}).Want(t, http.StatusCreated).JSON(t, &out)
	return out
}

// ownedBusiness starts a cell with one business in it, signed up by owner.
func ownedBusiness(t *testing.T) (cell *celltest.Cell, owner *celltest.Client, slug string) {
	t.Helper()
	cell = celltest.Start(t, celltest.Options{})
	owner, slug = cell.SignUp(t), unique(t)
	newTenant(t, cell, owner, slug)
	return cell, owner, slug
}

func newListing(t *testing.T, cl *celltest.Client, slug, title string) listingOut {
	t.Helper()
	var out listingOut
	cl.Do(t, "POST", "/v1/t/"+slug+"/listings", map[string]any{
		"title": title, "description": "Hand-dyed adire, 6 yards, ships from Lagos.",
		"price":    map[string]any{"amount_minor": 1500000, "currency": "NGN"},
		"category": "fabrics", "attributes": map[string]any{"yards": 6, "colour": "indigo"},
		"location": map[string]any{"city": "Lagos"},
	}).Want(t, http.StatusCreated).JSON(t, &out)
	return out
}

func photoJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(3, 4))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(rng.IntN(256)), uint8(y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	payload := []byte("Exif\x00\x00GPS 6.45N 3.39E owner-phone")
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	b := buf.Bytes()
	return append(append(append([]byte{}, b[:2]...), append(seg, payload...)...), b[2:]...)
}

func unique(t *testing.T) string {
	s := strings.ToLower(testenv.Unique(t))
	s = strings.NewReplacer("_", "-", "/", "-").Replace(s)
	if len(s) > 40 {
		s = s[len(s)-40:]
	}
	return strings.Trim(s, "-")
}

// Sign-up → tenant → team → listing with photos → publish → search finds
// it → archive, all through the HTTP API of a real cell.
func TestMarketplaceFlow(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	owner := cell.SignUp(t)

	var me struct {
		User struct{ ID, Email string }
	}
	owner.Do(t, "GET", "/v1/me", nil).Want(t, 200).JSON(t, &me)
	if me.User.Email != owner.Email {
		t.Errorf("me.email = %q; want %q", me.User.Email, owner.Email)
	}

	slug := unique(t)
	tn := newTenant(t, cell, owner, slug)
	if tn.Country != "NG" {
		t.Errorf("tenant country = %q", tn.Country)
	}

	// The team: invite a member, who accepts.
	staff := cell.SignUp(t)
	var inv struct{ ID, Token string }
	owner.Do(t, "POST", "/v1/t/"+slug+"/invitations", map[string]string{"email": staff.Email, "role": "member"}).
		Want(t, 201).JSON(t, &inv)
	if inv.Token == "" {
		t.Fatal("invitation has no token")
	}
	staff.Do(t, "POST", "/v1/t/"+slug+"/invitations/"+inv.ID+"/accept", map[string]string{"token": inv.Token}).Want(t, 200)
	var members struct {
		Items []struct{ Role, Email string }
	}
	owner.Do(t, "GET", "/v1/t/"+slug+"/members", nil).Want(t, 200).JSON(t, &members)
	if len(members.Items) != 2 || members.Items[1].Role != "member" {
		t.Errorf("members = %+v; want owner and member", members.Items)
	}

	// A listing with a photo, made by the member.
	l := newListing(t, staff, slug, "Indigo adire fabric")
	if l.Status != "draft" {
		t.Errorf("new listing status = %s; want draft", l.Status)
	}
	var withPhoto listingOut
	staff.Upload(t, "/v1/t/"+slug+"/listings/"+l.ID+"/photos", photoJPEG(t, 1800, 1200)).Want(t, 201).JSON(t, &withPhoto)
	if len(withPhoto.Photos) != 1 {
		t.Fatalf("photos = %d; want 1", len(withPhoto.Photos))
	}
	for name, budget := range map[string]int{"thumb": 30 << 10, "3g": 100 << 10, "4g": 200 << 10} {
		v, ok := withPhoto.Photos[0].Variants[name]
		if !ok {
			t.Fatalf("variant %s missing", name)
		}
		if v.Bytes > budget {
			t.Errorf("variant %s is %d bytes; budget %d", name, v.Bytes, budget)
		}
		img := staff.Do(t, "GET", v.URL, nil).Want(t, 200)
		if bytes.Contains(img.Body, []byte("owner-phone")) {
			t.Errorf("variant %s still carries EXIF", name)
		}
		if ct := img.Header.Get("Content-Type"); ct != "image/jpeg" {
			t.Errorf("variant %s Content-Type = %q", name, ct)
		}
	}
	// Drafts are not public, nor are their photos.
	anon := cell.Anonymous()
	anon.Do(t, "GET", "/v1/markets/NG/listings/"+l.ID, nil).Want(t, 404)
	anon.Do(t, "GET", "/v1/markets/NG/media/"+withPhoto.Photos[0].ID+"/3g", nil).Want(t, 404)

	// Publish, then find it: exact words, a prefix, a typo.
	var pub listingOut
	staff.Do(t, "POST", "/v1/t/"+slug+"/listings/"+l.ID+"/publish", nil).Want(t, 200).JSON(t, &pub)
	if pub.Status != "published" {
		t.Fatalf("status after publish = %s", pub.Status)
	}
	newListing(t, staff, slug, "Plastic buckets, 20 litres") // a draft that must never show
	for _, q := range []string{"indigo adire", "adir", "indgo", `"adire fabric"`} {
		var page pageOut
		anon.Do(t, "GET", "/v1/markets/NG/listings?q="+urlQuery(q), nil).Want(t, 200).JSON(t, &page)
		if len(page.Items) != 1 || page.Items[0].ID != l.ID {
			t.Errorf("search %q = %+v; want exactly the published listing", q, page.Items)
		}
	}
	var page pageOut
	anon.Do(t, "GET", "/v1/markets/NG/listings?q=adire+-indigo", nil).Want(t, 200).JSON(t, &page)
	if len(page.Items) != 0 {
		t.Errorf("search with -indigo found %d; want 0", len(page.Items))
	}
	anon.Do(t, "GET", "/v1/markets/NG/listings?category=fabrics&currency=NGN&min_price=1000000&max_price=2000000", nil).Want(t, 200).JSON(t, &page)
	if len(page.Items) != 1 {
		t.Errorf("filtered market = %d items; want 1", len(page.Items))
	}
	anon.Do(t, "GET", "/v1/markets/NG/listings?currency=NGN&max_price=100", nil).Want(t, 200).JSON(t, &page)
	if len(page.Items) != 0 {
		t.Errorf("market under 100 kobo = %d items; want 0", len(page.Items))
	}
	media := anon.Do(t, "GET", "/v1/markets/NG/media/"+withPhoto.Photos[0].ID+"/3g", nil).Want(t, 200)
	if cc := media.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("public photo Cache-Control = %q; want long-lived immutable", cc)
	}

	// Archive: gone from the market, kept for the team, frozen.
	staff.Do(t, "POST", "/v1/t/"+slug+"/listings/"+l.ID+"/archive", nil).Want(t, 200)
	anon.Do(t, "GET", "/v1/markets/NG/listings?q=adire", nil).Want(t, 200).JSON(t, &page)
	if len(page.Items) != 0 {
		t.Errorf("archived listing still found: %+v", page.Items)
	}
	staff.Do(t, "GET", "/v1/t/"+slug+"/listings/"+l.ID, nil).Want(t, 200)
	staff.Do(t, "POST", "/v1/t/"+slug+"/listings/"+l.ID+"/publish", nil).Want(t, 409)
}

// Market pages walk the whole result set, newest first and by relevance,
// without repeats or gaps.
func TestMarketPagination(t *testing.T) {
	t.Parallel()
	cell, owner, slug := ownedBusiness(t)
	want := map[string]bool{}
	for i := range 7 {
		l := newListing(t, owner, slug, fmt.Sprintf("Ankara print bundle %d", i))
		owner.Do(t, "POST", "/v1/t/"+slug+"/listings/"+l.ID+"/publish", nil).Want(t, 200)
		want[l.ID] = true
	}
	for _, q := range []string{"", "ankara"} {
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("q=%q: more pages than listings", q)
			}
			var page pageOut
			anon := cell.Anonymous()
			anon.Do(t, "GET", "/v1/markets/NG/listings?limit=3&q="+q+"&cursor="+cursor, nil).Want(t, 200).JSON(t, &page)
			for _, it := range page.Items {
				if seen[it.ID] {
					t.Errorf("q=%q: %s appears twice", q, it.ID)
				}
				seen[it.ID] = true
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if len(seen) != len(want) {
			t.Errorf("q=%q: walked %d listings; want %d", q, len(seen), len(want))
		}
	}
}

func urlQuery(s string) string {
	return strings.NewReplacer(" ", "+", `"`, "%22").Replace(s)
}

// Chat over REST: a retried send is stored once and answers with its seq;
// history pages; a device syncs what it missed; outsiders see nothing.
func TestChatOverREST(t *testing.T) {
	t.Parallel()
	cell, owner, slug := ownedBusiness(t)
	staff := cell.SignUp(t)
	staffID := celltest.Join(t, owner, staff, slug, "member")
	viewer := cell.SignUp(t)
	celltest.Join(t, owner, viewer, slug, "viewer")

	var conv struct{ ID string }
	owner.Do(t, "POST", "/v1/t/"+slug+"/conversations", map[string]any{"kind": "direct", "members": []string{staffID}}).Want(t, 201).JSON(t, &conv)
	path := "/v1/t/" + slug + "/conversations/" + conv.ID + "/messages"

	type msg struct {
		ID  string
		Seq int64
	}
	send := func(cl *celltest.Client, id, body string, want int) msg {
		t.Helper()
		var out msg
		cl.Do(t, "POST", path, map[string]string{"id": id, "body": body}).Want(t, want).JSON(t, &out)
		return out
	}
	ids := make([]string, 5)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7()).String()
		if got := send(staff, ids[i], fmt.Sprintf("message %d", i+1), 201); got.Seq != int64(i+1) {
			t.Fatalf("message %d got seq %d", i+1, got.Seq)
		}
	}
	if again := send(staff, ids[2], "message 3", 200); again.Seq != 3 {
		t.Errorf("retry got seq %d; want the original 3", again.Seq)
	}
	var page struct{ Items []msg }
	owner.Do(t, "GET", path+"?after_seq=3", nil).Want(t, 200).JSON(t, &page)
	if len(page.Items) != 2 || page.Items[0].Seq != 4 {
		t.Errorf("after_seq=3: %+v", page.Items)
	}
	owner.Do(t, "GET", path+"?before_seq=3&limit=5", nil).Want(t, 200).JSON(t, &page)
	if len(page.Items) != 2 || page.Items[0].Seq != 1 {
		t.Errorf("before_seq=3: %+v", page.Items)
	}

	var sync struct {
		Messages   []msg
		NextCursor string `json:"next_cursor"`
	}
	owner.Do(t, "GET", "/v1/me/sync", nil).Want(t, 200).JSON(t, &sync)
	if len(sync.Messages) != 5 {
		t.Fatalf("first sync: %d messages; want 5", len(sync.Messages))
	}
	send(staff, uuid.Must(uuid.NewV7()).String(), "while the phone slept", 201)
	owner.Do(t, "GET", "/v1/me/sync?cursor="+sync.NextCursor, nil).Want(t, 200).JSON(t, &sync)
	if len(sync.Messages) != 1 || sync.Messages[0].Seq != 6 {
		t.Errorf("second sync: %+v; want only seq 6", sync.Messages)
	}

	// The viewer is in the business but not in this conversation.
	viewer.Do(t, "GET", path, nil).Want(t, 404)
	var none struct{ Items []any }
	viewer.Do(t, "GET", "/v1/t/"+slug+"/conversations", nil).Want(t, 200).JSON(t, &none)
	if len(none.Items) != 0 {
		t.Errorf("viewer lists %d conversations; want 0", len(none.Items))
	}
	before := cell.State(t)
	for _, bad := range []struct {
		body   map[string]string
		status int
	}{
		{map[string]string{"id": uuid.NewString(), "body": "v4 id"}, 400},
		{map[string]string{"id": uuid.Must(uuid.NewV7()).String(), "body": "  "}, 400},
		{map[string]string{"id": ids[0], "body": "same id, new words"}, 422},
	} {
		staff.Do(t, "POST", path, bad.body).Want(t, bad.status).Problem(t)
	}
	owner.Do(t, "GET", path+"?after_seq=1&before_seq=3", nil).Want(t, 400)
	owner.Do(t, "GET", "/v1/me/sync?cursor=garbage", nil).Want(t, 400)
	for _, bad := range []struct {
		seq    string
		body   any
		status int
	}{
		{"2", map[string]string{"reason": "boring"}, 400},
		{"2", map[string]string{"reason": "spam", "note": strings.Repeat("n", 1001)}, 400},
		{"2", map[string]any{"reason": "spam", "extra": true}, 400},
		{"99", map[string]string{"reason": "spam"}, 404},
		{"zero", map[string]string{"reason": "spam"}, 404},
	} {
		owner.Do(t, "POST", path+"/"+bad.seq+"/reports", bad.body).Want(t, bad.status).Problem(t)
	}
	viewer.Do(t, "POST", path+"/2/reports", map[string]string{"reason": "spam"}).Want(t, 404)
	if diff := before.Diff(cell.State(t)); diff != "" {
		t.Errorf("refused messages and reports changed the cell: %s", diff)
	}
	var rep, again struct{ ID, Reason string }
	owner.Do(t, "POST", path+"/2/reports", map[string]string{"reason": "harassment", "note": "threatening"}).Want(t, 201).JSON(t, &rep)
	owner.Do(t, "POST", path+"/2/reports", map[string]string{"reason": "spam"}).Want(t, 200).JSON(t, &again)
	if again.ID != rep.ID || again.Reason != "harassment" {
		t.Errorf("second report = %+v; want the first %+v", again, rep)
	}
}

// Files travel with messages: uploaded into the conversation, claimed by
// one message of the uploader, served only to members.
func TestAttachments(t *testing.T) {
	t.Parallel()
	cell, owner, slug := ownedBusiness(t)
	staff := cell.SignUp(t)
	staffID := celltest.Join(t, owner, staff, slug, "member")
	var conv struct{ ID string }
	owner.Do(t, "POST", "/v1/t/"+slug+"/conversations", map[string]any{"kind": "direct", "members": []string{staffID}}).Want(t, 201).JSON(t, &conv)
	base := "/v1/t/" + slug + "/conversations/" + conv.ID

	before := cell.State(t)
	jpeg := photoJPEG(t, 64, 48)
	for _, bad := range []struct {
		name   string
		body   []byte
		query  string
		status int
	}{
		{"empty", []byte{}, "", 400},
		{"text", []byte("just some text, not a file we take"), "", 415},
		{"html posing as an image", []byte("<html><script>alert(1)</script></html>"), "", 415},
		{"name with a slash", jpeg, "?name=../../etc/passwd", 400},
		{"too large", append(append([]byte{}, jpeg...), make([]byte, 10<<20)...), "", 413},
	} {
		owner.Do(t, "POST", base+"/attachments"+bad.query, bad.body, "Content-Type", "application/octet-stream").Want(t, bad.status).Problem(t)
	}
	if diff := before.Diff(cell.State(t)); diff != "" {
		t.Fatalf("refused uploads changed the cell: %s", diff)
	}

	var att struct {
		ID          string
		ContentType string `json:"content_type"`
		Size        int64
		Name        string
	}
	owner.Do(t, "POST", base+"/attachments?name=invoice%20photo.jpg", jpeg, "Content-Type", "image/png").Want(t, 201).JSON(t, &att)
	if att.ContentType != "image/jpeg" || att.Size != int64(len(jpeg)) || att.Name != "invoice photo.jpg" {
		t.Fatalf("attachment = %+v", att)
	}
	// Not yet sent: only its uploader sees it.
	staff.Do(t, "GET", base+"/attachments/"+att.ID, nil).Want(t, 404)
	// Someone else cannot send it.
	staff.Do(t, "POST", base+"/messages", map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "body": "mine now", "attachments": []string{att.ID}}).Want(t, 400)
	var sent struct {
		Seq         int64
		Attachments []struct{ ID, Name string }
	}
	id := uuid.Must(uuid.NewV7()).String()
	owner.Do(t, "POST", base+"/messages", map[string]any{"id": id, "attachments": []string{att.ID}}).Want(t, 201).JSON(t, &sent)
	if len(sent.Attachments) != 1 || sent.Attachments[0].ID != att.ID {
		t.Fatalf("sent = %+v", sent)
	}
	// A retry is the same message; the file cannot be claimed twice.
	owner.Do(t, "POST", base+"/messages", map[string]any{"id": id, "attachments": []string{att.ID}}).Want(t, 200)
	owner.Do(t, "POST", base+"/messages", map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "body": "again", "attachments": []string{att.ID}}).Want(t, 400)

	r := staff.Do(t, "GET", base+"/attachments/"+att.ID, nil).Want(t, 200)
	if !bytes.Equal(r.Body, jpeg) || r.Header.Get("Content-Type") != "image/jpeg" || r.Header.Get("Content-Security-Policy") != "sandbox" {
		t.Fatalf("download: %d bytes, %q", len(r.Body), r.Header)
	}
	outsider := cell.SignUp(t)
	outsider.Do(t, "GET", base+"/attachments/"+att.ID, nil).Want(t, 404)
	var page struct {
		Items []struct {
			Attachments []struct{ ID string }
		}
	}
	staff.Do(t, "GET", base+"/messages", nil).Want(t, 200).JSON(t, &page)
	if len(page.Items) != 1 || len(page.Items[0].Attachments) != 1 {
		t.Fatalf("history = %+v", page.Items)
	}
}
