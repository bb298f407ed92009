package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pushnchat/pushnchat/cell/internal/listing"
	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/cellapi"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/jsonbody"
	"github.com/pushnchat/pushnchat/internal/problem"
)

// A panic becomes a 500 problem with the request id; its text stays in the
// log, never in the response.
func TestPanicBecomesProblem(t *testing.T) {
	var logs bytes.Buffer
	s := &server{Deps: Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}}
	h := s.requestID(s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal state 0xdeadbeef")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/me", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != problem.ContentType {
		t.Fatalf("status %d, Content-Type %q; want 500 problem", rec.Code, rec.Header().Get("Content-Type"))
	}
	var p problem.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.RequestID == "" || p.RequestID != rec.Header().Get("X-Request-Id") {
		t.Errorf("request id %q, header %q", p.RequestID, rec.Header().Get("X-Request-Id"))
	}
	if strings.Contains(rec.Body.String(), "deadbeef") {
		t.Errorf("panic text leaked: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "deadbeef") || !strings.Contains(logs.String(), p.RequestID) {
		t.Errorf("log lacks the panic or the request id: %s", logs.String())
	}
}

// decodeTargets are the request bodies the API decodes.
func decodeTargets() []func() any {
	return []func() any{
		func() any { return new(createListingRequest) },
		func() any { return new(listing.Update) },
		func() any { return new(cellapi.PutTenant) },
		func() any { return new(tenant.ProfileUpdate) },
	}
}

// FuzzDecodeJSON: whatever the body, decoding never panics, every failure
// is a classified error a client can act on (never "internal"), and a
// success is one JSON value.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"title":"Kente","price":{"amount_minor":500,"currency":"NGN"},"category":"fabrics"}`,
		`{"title":`, `[]`, `null`, `{"x":1}`, `{"price":{"amount_minor":"5"}}`, `{"a":1} {"b":2}`,
		`{"attributes":{"k":[1,2]}}`, `{"location":{"lat":1e400}}`, "\xff\xfe", `{"title":"\u0000"}`,
		`{"categories":["fabrics","fabrics"]}`, `{"contact":{"email":"a@b"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, target := range decodeTargets() {
			v := target()
			err := jsonbody.DecodeReader(bytes.NewReader(body), v)
			if err == nil {
				if !json.Valid(bytes.TrimSpace(body)) {
					t.Fatalf("DecodeReader(%q) accepted invalid JSON", body)
				}
				// Validation of decoded values must not panic either.
				switch x := v.(type) {
				case *createListingRequest:
					l := listing.Listing{Title: x.Title, Price: x.Price, Category: x.Category, Attributes: x.Attributes, Location: x.Location}
					_ = l.Validate()
				case *listing.Update:
					_ = x.Apply(&listing.Listing{})
				case *cellapi.PutTenant:
					tn := tenant.Tenant{Slug: x.Slug, Name: x.Name, Country: x.Country, Categories: x.Categories, Contact: tenant.Contact(x.Contact)}
					_ = tn.Validate()
				case *tenant.ProfileUpdate:
					_ = x.Apply(&tenant.Tenant{})
				}
				continue
			}
			if k := errs.KindOf(err); k != errs.Invalid && k != errs.TooLarge {
				t.Fatalf("DecodeReader(%q) = %v (kind %s); want invalid", body, err, k)
			}
		}
	})
}
