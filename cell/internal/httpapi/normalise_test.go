package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/cell/internal/celltest"
	"github.com/pushnchat/pushnchat/internal/problem"
)

// Text with NUL, ids spelled any way but the canonical one, and cursors
// that hold either are 400 problems naming the field — never a server
// error from deep inside PostgreSQL — and change nothing.
func TestNULAndNonCanonicalIDsAreInvalidInput(t *testing.T) {
	t.Parallel()
	cell := celltest.Start(t, celltest.Options{})
	owner := cell.SignUp(t)
	slug := unique(t)
	tn := newTenant(t, cell, owner, slug)
	staff := cell.SignUp(t)
	staffID := celltest.Join(t, owner, staff, slug, "member")
	l := newListing(t, owner, slug, "Kente stole")
	base := "/v1/t/" + slug
	var conv struct{ ID string }
	owner.Do(t, "POST", base+"/conversations", map[string]any{"kind": "direct", "members": []string{staffID}}).Want(t, 201).JSON(t, &conv)
	var msg struct{ Seq int64 }
	owner.Do(t, "POST", base+"/conversations/"+conv.ID+"/messages", map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "body": "hello"}).Want(t, 201).JSON(t, &msg)
	listing := func(over map[string]any) map[string]any {
		m := map[string]any{"title": "Kente stole", "price": map[string]any{"amount_minor": 500, "currency": "NGN"}, "category": "fabrics"}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	urn := func(id string) string { return "urn:uuid:" + id }
	cursor := func(doc string) string { return base64.RawURLEncoding.EncodeToString([]byte(doc)) }
	nul := "a\x00b"
	cases := []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"NUL in a listing title", "POST", base + "/listings", listing(map[string]any{"title": "Kente" + nul}), "title"},
		{"NUL in a description", "POST", base + "/listings", listing(map[string]any{"description": nul}), "description"},
		{"NUL in an attribute", "POST", base + "/listings", listing(map[string]any{"attributes": map[string]any{"size": nul}}), "attributes.size"},
		{"NUL in an attribute name", "POST", base + "/listings", listing(map[string]any{"attributes": map[string]any{nul: "x"}}), `attributes."a\x00b"`},
		{"NUL in a business name", "PATCH", base, map[string]any{"name": "Ada " + nul}, "name"},
		{"NUL in a message body", "POST", base + "/conversations/" + conv.ID + "/messages", map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "body": nul}, "body"},
		{"NUL in a report note", "POST", base + "/conversations/" + conv.ID + "/messages/1/reports", map[string]any{"reason": "spam", "note": nul}, "note"},
		{"NUL in a conversation title", "POST", base + "/conversations", map[string]any{"kind": "group", "title": nul, "members": []string{staffID}}, "title"},
		{"NUL in an invitation email", "POST", base + "/invitations", map[string]any{"email": "x" + nul + "@example.test", "role": "member"}, "email"},
		{"NUL in a query parameter", "GET", "/v1/markets/NG/listings?currency=N%00N", nil, "currency"},
		{"invalid UTF-8 in a query parameter", "GET", "/v1/markets/NG/listings?q=%FF%FE", nil, "q"},
		{"NUL in the path", "GET", "/v1/t/" + slug + "%00/listings", nil, "path"},
		{"urn:uuid business id", "GET", "/v1/t/" + urn(tn.ID), nil, "tenant"},
		{"upper-case business id", "GET", "/v1/t/" + strings.ToUpper(tn.ID), nil, "tenant"},
		{"urn:uuid listing id", "GET", base + "/listings/" + urn(l.ID), nil, "listing"},
		{"braced conversation id", "GET", base + "/conversations/%7B" + conv.ID + "%7D/messages", nil, "conversation"},
		{"urn:uuid member id", "DELETE", base + "/members/" + urn(staffID), nil, "user"},
		{"urn:uuid conversation member", "POST", base + "/conversations", map[string]any{"kind": "direct", "members": []string{urn(staffID)}}, "members"},
		{"urn:uuid message id", "POST", base + "/conversations/" + conv.ID + "/messages", map[string]any{"id": urn(uuid.Must(uuid.NewV7()).String()), "body": "hi"}, "id"},
		{"urn:uuid attachment", "POST", base + "/conversations/" + conv.ID + "/messages", map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "body": "hi", "attachments": []string{urn(l.ID)}}, "attachments"},
		{"market cursor with a urn:uuid id", "GET", "/v1/markets/NG/listings?cursor=" + cursor(`{"t":"2026-01-01T00:00:00Z","id":"`+urn(l.ID)+`"}`), nil, "cursor"},
		{"market cursor with an infinite score", "GET", "/v1/markets/NG/listings?q=kente&cursor=" + cursor(`{"s":"-Inf","id":"`+l.ID+`"}`), nil, "cursor"},
		{"tenant listings cursor with NUL", "GET", base + "/listings?cursor=" + cursor(`{"t":"2026-01-01T00:00:00Z","id":"\u0000"}`), nil, "cursor"},
		{"sync cursor with a urn:uuid key", "GET", "/v1/me/sync?cursor=" + cursor(`{"`+urn(conv.ID)+`":1}`), nil, "cursor"},
	}
	before := cell.State(t)
	for _, tc := range cases {
		resp := owner.Do(t, tc.method, tc.path, tc.body)
		if resp.Status != http.StatusBadRequest {
			t.Errorf("%s: status %d; want 400; body %.300q", tc.name, resp.Status, resp.Body)
			continue
		}
		p := resp.Problem(t)
		if p.Type != problem.TypeBase+"invalid" || len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: %s %+v; want invalid naming %q", tc.name, p.Type, p.Errors, tc.field)
		}
	}
	if diff := before.Diff(cell.State(t)); diff != "" {
		t.Errorf("refused requests changed the cell: %s", diff)
	}
	// The same over the internal sign-up call: a NUL in the business name.
	p := cell.CreateTenant(t, owner, map[string]any{"slug": slug[:min(len(slug), 30)] + "-nul", "name": "Ada" + nul, "country": "NG",
		"contact": map[string]string{"name": "Ada Obi", "email": "ada@example.test"}}).Want(t, 400).Problem(t)
	if len(p.Errors) == 0 || p.Errors[0].Field != "name" {
		t.Errorf("sign-up with a NUL name: %+v; want name", p.Errors)
	}
}
