package inputtext

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/pushnchat/pushnchat/internal/errs"
)

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	e, ok := err.(*errs.Error)
	if !ok || e.Kind != errs.Invalid || len(e.Fields) != 1 {
		t.Fatalf("err = %v; want one Invalid field", err)
	}
	return e.Fields[0].Field
}

func TestCheckJSONNamesTheField(t *testing.T) {
	for _, tc := range []struct{ doc, field string }{
		{`{"title":"a\u0000b"}`, "title"},
		{`{"contact":{"name":"x","email":"\u0000"}}`, "contact.email"},
		{`{"members":["a","b","\u0000"]}`, "members[2]"},
		{`{"attributes":{"size":{"eu":[1,"\u0000"]}}}`, "attributes.size.eu[1]"},
		{`{"a":1,"b":[{"c":"\u0000"}]}`, "b[0].c"},
		{`"\u0000"`, "body"},
		{`{"k\u0000":"v"}`, `"k\x00"`},
		{"{\"contact\":{\"\xff\":\"\"}}", "body"},
	} {
		if got := fieldOf(t, CheckJSON([]byte(tc.doc))); got != tc.field {
			t.Errorf("CheckJSON(%s) names %q; want %q", tc.doc, got, tc.field)
		}
	}
	for _, doc := range []string{`{"title":"plain"}`, `{"path":"C:\\u0000"}`, `{"x":`, `not json \u0000`} {
		if err := CheckJSON([]byte(doc)); err != nil {
			t.Errorf("CheckJSON(%s) = %v; want nil", doc, err)
		}
	}
}

func TestCheckRequest(t *testing.T) {
	for _, tc := range []struct{ target, field string }{
		{"/v1/markets/NG/listings?currency=N%00N", "currency"},
		{"/v1/markets/NG/listings?q=%FF", "q"},
		{"/v1/t/ada%00/listings", "path"},
		{"/v1/t/%C3%28", "path"},
	} {
		u, err := url.ParseRequestURI(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := fieldOf(t, CheckRequest(&http.Request{URL: u})); got != tc.field {
			t.Errorf("CheckRequest(%s) names %q; want %q", tc.target, got, tc.field)
		}
	}
	u, _ := url.ParseRequestURI("/v1/markets/NG/listings?q=%C3%A9t%C3%A9&currency=NGN")
	if err := CheckRequest(&http.Request{URL: u}); err != nil {
		t.Errorf("a clean request: %v", err)
	}
}
