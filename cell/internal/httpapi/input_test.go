package httpapi_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/cell/config"
	"github.com/pushnchat/pushnchat/cell/internal/celltest"
	"github.com/pushnchat/pushnchat/internal/problem"
)

func bombPNG(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], 50000)
	binary.BigEndian.PutUint32(b[20:], 50000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// Bad input gets the right problem — status, stable type, the field at
// fault — and changes nothing: rows and stored photos are the same after.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	cell, owner, slug := ownedBusiness(t)
	l := newListing(t, owner, slug, "Kente stole")
	base := "/v1/t/" + slug
	good := func(over map[string]any) map[string]any {
		m := map[string]any{"title": "Kente stole", "price": map[string]any{"amount_minor": 500, "currency": "NGN"}, "category": "fabrics"}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	tenantBody := func(over map[string]any) map[string]any {
		other := unique(t)
		other = strings.Trim(other[max(0, len(other)-30):], "-") + "-x"
		m := map[string]any{"slug": other, "name": "Other Co", "country": "NG",
			"contact": map[string]string{"name": "Ada Obi", "email": "ada@example.test"}}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	type call func() celltest.Response
	cases := []struct {
		name   string
		call   call
		status int
		typ    string
		field  string
	}{
		{"malformed JSON", func() celltest.Response { return owner.Do(t, "POST", base+"/listings", `{"title": "x",`) }, 400, "invalid", ""},
		{"not an object", func() celltest.Response { return owner.Do(t, "POST", base+"/listings", `["a"]`) }, 400, "invalid", ""},
		{"two objects", func() celltest.Response { return owner.Do(t, "POST", base+"/listings", `{"title":"a"} {"title":"b"}`) }, 400, "invalid", ""},
		{"empty body", func() celltest.Response { return owner.Do(t, "POST", base+"/listings", ``) }, 400, "invalid", ""},
		{"unknown field", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings", good(map[string]any{"owner_id": "me"}))
		}, 400, "invalid", "owner_id"},
		{"wrong type", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings", good(map[string]any{"price": map[string]any{"amount_minor": "500", "currency": "NGN"}}))
		}, 400, "invalid", "price.amount_minor"},
		{"fractional minor units", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings", good(map[string]any{"price": map[string]any{"amount_minor": 5.5, "currency": "NGN"}}))
		}, 400, "invalid", "price.amount_minor"},
		{"invalid currency", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings", good(map[string]any{"price": map[string]any{"amount_minor": 500, "currency": "XYZ"}}))
		}, 400, "invalid", "price.currency"},
		{"negative price", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings", good(map[string]any{"price": map[string]any{"amount_minor": -1, "currency": "NGN"}}))
		}, 400, "invalid", "price.amount_minor"},
		{"HTML as category", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings", good(map[string]any{"category": "<script>alert(1)</script>"}))
		}, 400, "invalid", "category"},
		{"nested attributes", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings", good(map[string]any{"attributes": map[string]any{"a": map[string]any{"b": 1}}}))
		}, 400, "invalid", "attributes.a"},
		{"latitude out of range", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings", good(map[string]any{"location": map[string]any{"city": "Lagos", "lat": 200, "lng": 3}}))
		}, 400, "invalid", "location.lat"},
		{"oversize body", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings", good(map[string]any{"description": strings.Repeat("x", 70<<10)}))
		}, 413, "too_large", ""},
		{"text/plain body", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings", `{"title":"Kente stole"}`, "Content-Type", "text/plain")
		}, 415, "unsupported_media_type", ""},
		{"SQL in slug", func() celltest.Response {
			return cell.CreateTenant(t, owner, tenantBody(map[string]any{"slug": "x'); DROP TABLE tenant; --"}))
		}, 400, "invalid", "slug"},
		{"SQL in country", func() celltest.Response {
			return cell.CreateTenant(t, owner, tenantBody(map[string]any{"country": "NG' OR '1'='1"}))
		}, 400, "invalid", "country"},
		{"bad contact email", func() celltest.Response {
			return cell.CreateTenant(t, owner, tenantBody(map[string]any{"contact": map[string]string{"name": "Ada", "email": "Ada <ada@x.test>"}}))
		}, 400, "invalid", "contact.email"},
		{"country of another cell", func() celltest.Response {
			return cell.CreateTenant(t, owner, tenantBody(map[string]any{"country": "KE"}))
		}, 422, "residency_refused", ""},
		{"taken slug", func() celltest.Response {
			return cell.CreateTenant(t, owner, tenantBody(map[string]any{"slug": slug}))
		}, 409, "conflict", "slug"},
		{"invite as owner", func() celltest.Response {
			return owner.Do(t, "POST", base+"/invitations", map[string]string{"email": "x@example.test", "role": "owner"})
		}, 400, "invalid", "role"},
		{"edit without If-Match", func() celltest.Response {
			return owner.Do(t, "PATCH", base+"/listings/"+l.ID, map[string]any{"title": "New title"})
		}, 428, "precondition_required", ""},
		{"edit with a stale ETag", func() celltest.Response {
			return owner.Do(t, "PATCH", base+"/listings/"+l.ID, map[string]any{"title": "New title"}, "If-Match", `"v0"`)
		}, 412, "precondition_failed", ""},
		{"edit with a weak ETag", func() celltest.Response {
			return owner.Do(t, "PATCH", base+"/listings/"+l.ID, map[string]any{"title": "New title"}, "If-Match", `W/"v1"`)
		}, 412, "precondition_failed", ""},
		{"edit breaking a rule", func() celltest.Response {
			return owner.Do(t, "PATCH", base+"/listings/"+l.ID, map[string]any{"title": "x"}, "If-Match", `"v1"`)
		}, 400, "invalid", "title"},
		{"unpublish a draft", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings/"+l.ID+"/unpublish", nil)
		}, 409, "conflict", ""},
		{"listing id that is not a uuid", func() celltest.Response {
			return owner.Do(t, "GET", base+"/listings/1%27%20OR%201=1", nil)
		}, 400, "invalid", "listing"},
		{"text as photo", func() celltest.Response {
			return owner.Upload(t, base+"/listings/"+l.ID+"/photos", []byte("just some text, not a photo"))
		}, 415, "unsupported_media_type", ""},
		{"fake JPEG", func() celltest.Response {
			return owner.Upload(t, base+"/listings/"+l.ID+"/photos", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{7}, 4000)...))
		}, 400, "invalid", ""},
		{"decompression bomb", func() celltest.Response {
			return owner.Upload(t, base+"/listings/"+l.ID+"/photos", bombPNG(t))
		}, 400, "invalid", ""},
		{"huge photo", func() celltest.Response {
			return owner.Upload(t, base+"/listings/"+l.ID+"/photos", append(photoJPEG(t, 64, 64), make([]byte, 12<<20)...))
		}, 413, "too_large", ""},
		{"photo without multipart", func() celltest.Response {
			return owner.Do(t, "POST", base+"/listings/"+l.ID+"/photos", photoJPEG(t, 64, 64), "Content-Type", "image/jpeg")
		}, 415, "unsupported_media_type", ""},
		{"bad cursor", func() celltest.Response { return owner.Do(t, "GET", "/v1/markets/NG/listings?cursor=bm9wZQ", nil) }, 400, "invalid", "cursor"},
		{"limit too large", func() celltest.Response { return owner.Do(t, "GET", "/v1/markets/NG/listings?limit=1000", nil) }, 400, "invalid", "limit"},
		{"price filter without currency", func() celltest.Response { return owner.Do(t, "GET", "/v1/markets/NG/listings?min_price=5", nil) }, 400, "invalid", "currency"},
		{"query too long", func() celltest.Response {
			return owner.Do(t, "GET", "/v1/markets/NG/listings?q="+strings.Repeat("a", 300), nil)
		}, 400, "invalid", "q"},
		{"market of another cell", func() celltest.Response { return owner.Do(t, "GET", "/v1/markets/KE/listings", nil) }, 404, "not_found", ""},
		{"no such endpoint", func() celltest.Response { return owner.Do(t, "GET", "/v1/nothing-here", nil) }, 404, "not_found", ""},
		{"wrong method", func() celltest.Response { return owner.Do(t, "PUT", "/v1/me", nil) }, 405, "method_not_allowed", ""},
		{"tenant id that is not a uuid", func() celltest.Response {
			return cell.CreateTenant(t, owner, tenantBody(map[string]any{"id": "1 OR 1=1"}))
		}, 400, "invalid", "id"},
		{"internal API without the service token", func() celltest.Response {
			return owner.Do(t, "PUT", "/internal/v1/tenants/0190c2a5-0000-7000-8000-000000000000", tenantBody(nil))
		}, 404, "not_found", ""},
		{"garbage bearer token", func() celltest.Response {
			return owner.Do(t, "GET", "/v1/me", nil, "Authorization", "Bearer not-a-jwt")
		}, 401, "unauthenticated", ""},
	}
	before := cell.State(t)
	for _, tc := range cases {
		resp := tc.call()
		if resp.Status != tc.status {
			t.Errorf("%s: status %d; want %d; body %.300q", tc.name, resp.Status, tc.status, resp.Body)
			continue
		}
		p := resp.Problem(t)
		if want := problem.TypeBase + tc.typ; p.Type != want {
			t.Errorf("%s: type %s; want %s", tc.name, p.Type, want)
		}
		if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
			t.Errorf("%s: field errors %+v; want one for %s", tc.name, p.Errors, tc.field)
		}
		if p.RequestID == "" || resp.Header.Get("X-Request-Id") != p.RequestID {
			t.Errorf("%s: request id %q vs header %q", tc.name, p.RequestID, resp.Header.Get("X-Request-Id"))
		}
		if strings.Contains(string(resp.Body), "pgx") || strings.Contains(string(resp.Body), "SQLSTATE") || strings.Contains(string(resp.Body), "goroutine") {
			t.Errorf("%s: internals leak: %s", tc.name, resp.Body)
		}
	}
	if diff := before.Diff(cell.State(t)); diff != "" {
		t.Errorf("refused requests changed the cell: %s", diff)
	}

	// Injection strings in free text are data: stored and returned as sent,
	// JSON-escaped, and the tables are all still there.
	evil := `Bolt'); DROP TABLE listing; -- <img src=x onerror=alert(1)>`
	var created struct{ Title string }
	resp := owner.Do(t, "POST", base+"/listings", good(map[string]any{"title": evil})).Want(t, 201)
	resp.JSON(t, &created)
	if created.Title != evil {
		t.Errorf("title = %q; want it verbatim", created.Title)
	}
	if bytes.Contains(resp.Body, []byte("<img")) {
		t.Errorf("HTML reaches the JSON unescaped: %s", resp.Body)
	}
	cell.State(t) // every table still answers
}

// Retries with the same Idempotency-Key replay the first answer and create
// nothing twice; the same key on another request is refused.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	cell, owner, slug := ownedBusiness(t)
	body := map[string]any{"title": "Shea butter 1kg", "price": map[string]any{"amount_minor": 250000, "currency": "NGN"}, "category": "beauty"}
	first := owner.Do(t, "POST", "/v1/t/"+slug+"/listings", body, "Idempotency-Key", "k-123").Want(t, 201)
	before := cell.State(t)
	again := owner.Do(t, "POST", "/v1/t/"+slug+"/listings", body, "Idempotency-Key", "k-123").Want(t, 201)
	if !bytes.Equal(first.Body, again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry was not a replay: %s vs %s (replayed=%q)", first.Body, again.Body, again.Header.Get("Idempotent-Replayed"))
	}
	if again.Header.Get("ETag") != first.Header.Get("ETag") || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("replay headers differ: %v vs %v", again.Header, first.Header)
	}
	body["title"] = "Something else"
	p := owner.Do(t, "POST", "/v1/t/"+slug+"/listings", body, "Idempotency-Key", "k-123").Want(t, 422).Problem(t)
	if p.Type != problem.TypeBase+"idempotency_key_reused" {
		t.Errorf("type = %s", p.Type)
	}
	if diff := before.Diff(cell.State(t)); diff != "" {
		t.Errorf("retries changed the cell: %s", diff)
	}
	// Keys belong to their user: another user's request with the same key
	// is new.
	other := cell.SignUp(t)
	newTenant(t, cell, other, slug+"-o")
	other.Do(t, "POST", "/v1/t/"+slug+"-o/listings", body, "Idempotency-Key", "k-123").Want(t, 201)
}

// Two editors with the same ETag: the second one is refused, not lost.
func TestConcurrentEditsAreNotLost(t *testing.T) {
	t.Parallel()
	_, owner, slug := ownedBusiness(t)
	l := newListing(t, owner, slug, "Cashew nuts 5kg")
	get := owner.Do(t, "GET", "/v1/t/"+slug+"/listings/"+l.ID, nil).Want(t, 200)
	etag := get.Header.Get("ETag")
	a := owner.Do(t, "PATCH", "/v1/t/"+slug+"/listings/"+l.ID, map[string]any{"title": "Cashew nuts 5kg, roasted"}, "If-Match", etag).Want(t, 200)
	if a.Header.Get("ETag") == etag {
		t.Errorf("ETag did not change after an edit")
	}
	owner.Do(t, "PATCH", "/v1/t/"+slug+"/listings/"+l.ID, map[string]any{"title": "Cashew nuts 5kg, raw"}, "If-Match", etag).Want(t, 412)
	var now listingOut
	owner.Do(t, "GET", "/v1/t/"+slug+"/listings/"+l.ID, nil).Want(t, 200).JSON(t, &now)
	if now.Title != "Cashew nuts 5kg, roasted" {
		t.Errorf("title = %q; the first edit must stand", now.Title)
	}
}

func TestRateLimitPerUserAndIP(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{RateUser: config.RateConfig{PerSecond: 1, Burst: 3}})
	cl := cell.SignUp(t)
	var limited celltest.Response
	for i := range 10 {
		resp := cl.Do(t, "GET", "/v1/me", nil)
		if resp.Status == http.StatusTooManyRequests {
			limited = resp
			if i < 3 {
				t.Errorf("refused after %d requests; burst is 3", i)
			}
			break
		}
	}
	if limited.Status != http.StatusTooManyRequests {
		t.Fatalf("10 requests against a burst of 3 were all served")
	}
	p := limited.Problem(t)
	if p.Type != problem.TypeBase+"rate_limited" || limited.Header.Get("Retry-After") == "" {
		t.Errorf("429 problem %+v, Retry-After %q", p, limited.Header.Get("Retry-After"))
	}
	// Other users are not affected.
	cell.SignUp(t).Do(t, "GET", "/v1/me", nil).Want(t, 200)

	ipCell := celltest.Start(t, celltest.Options{RateIP: config.RateConfig{PerSecond: 1, Burst: 2}})
	anon := ipCell.Anonymous()
	var ipLimited bool
	for range 6 {
		if anon.Do(t, "GET", "/v1/markets/NG/listings", nil).Status == http.StatusTooManyRequests {
			ipLimited = true
			break
		}
	}
	if !ipLimited {
		t.Errorf("6 anonymous requests against an IP burst of 2 were all served")
	}
	anon.Do(t, "GET", "/healthz", nil).Want(t, 200) // probes are never limited
}

// The web signs in with a session cookie; writes made with it need the CSRF
// token and an allowed origin.
func TestSessionCookieAndCSRF(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	app := cell.SignUp(t)
	resp := cell.Anonymous().Do(t, "POST", "/v1/session", map[string]string{"id_token": app.Token}).Want(t, 201)
	var session, csrf *http.Cookie
	for _, c := range resp.Header.Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(c)
		if err != nil {
			t.Fatal(err)
		}
		switch ck.Name {
		case "__session":
			session = ck
		case "pnc_csrf":
			csrf = ck
		}
	}
	if session == nil || csrf == nil {
		t.Fatalf("Set-Cookie = %v; want __session and pnc_csrf", resp.Header.Values("Set-Cookie"))
	}
	if !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie %+v; want HttpOnly, Secure, SameSite=Lax", session)
	}
	web := cell.Anonymous()
	web.Header.Set("Cookie", "__session="+session.Value+"; pnc_csrf="+csrf.Value)
	web.Do(t, "GET", "/v1/me", nil).Want(t, 200)

	slug := unique(t)
	newTenant(t, cell, app, slug)
	path := "/v1/t/" + slug + "/listings"
	tenant := map[string]any{"title": "Kente stole", "price": map[string]any{"amount_minor": 500, "currency": "NGN"}, "category": "fabrics"}
	before := cell.State(t)
	p := web.Do(t, "POST", path, tenant).Want(t, 403).Problem(t)
	if p.Type != problem.TypeBase+"csrf" {
		t.Errorf("type = %s; want csrf", p.Type)
	}
	web.Do(t, "POST", path, tenant, "X-CSRF-Token", "forged").Want(t, 403)
	web.Do(t, "POST", path, tenant, "X-CSRF-Token", csrf.Value, "Origin", "https://evil.example").Want(t, 403)
	if diff := before.Diff(cell.State(t)); diff != "" {
		t.Errorf("refused cookie writes changed the cell: %s", diff)
	}
	web.Do(t, "POST", path, tenant, "X-CSRF-Token", csrf.Value, "Origin", "https://app.pushnchat.test").Want(t, 201)

	web.Header.Set("Cookie", "__session=forged")
	web.Do(t, "GET", "/v1/me", nil).Want(t, 401)
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	anon := cell.Anonymous()
	anon.Do(t, "GET", "/healthz", nil).Want(t, 200)
	anon.Do(t, "GET", "/readyz", nil).Want(t, 200)
	anon.Do(t, "GET", "/v1/markets/NG/listings", nil).Want(t, 200)
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := anon.Do(t, "GET", "/metrics", nil).Want(t, 200)
		body := string(m.Body)
		if strings.Contains(body, `http_server_request_duration_seconds_bucket`) &&
			strings.Contains(body, `http_route="GET /v1/markets/{country}/listings"`) &&
			strings.Contains(body, "pgxpool") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack the per-route histogram or pool stats:\n%.3000s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Metric labels come from bounded sets: a client inventing method names
// creates no new series.
func TestMetricLabelsAreBounded(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	anon := cell.Anonymous()
	for i := range 20 {
		anon.Do(t, fmt.Sprintf("FUZZ%dMETHOD", i), "/v1/markets/NG/listings", nil)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		body := string(anon.Do(t, "GET", "/metrics", nil).Want(t, 200).Body)
		if strings.Contains(body, "FUZZ") {
			t.Fatalf("a client's method names became metric labels:\n%s", grepLines(body, "FUZZ"))
		}
		if strings.Contains(body, `http_request_method="_OTHER"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no _OTHER method series within 10s:\n%s", grepLines(body, "http_server_request_duration_seconds_count"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
