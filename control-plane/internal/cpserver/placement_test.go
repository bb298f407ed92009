package cpserver

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pushnchat/pushnchat/internal/problem"
)

// Anyone about to sign up may ask where their business would live, and
// why, before they have an account.
func TestPlacementIsPreviewedInWords(t *testing.T) {
	p := startPlane(t, nil)
	for _, tc := range []struct {
		country string
		allowed bool
		cells   string
		says    string
	}{
		{"NG", true, "lagos-1", "own jurisdiction"},
		{"GH", true, "lagos-1", "no cell exists in Ghana"},
		{"DE", true, "eu-1", "own jurisdiction"},
		{"RW", false, "", "authorisation"},
		{"XX", false, "", "no cell for businesses"},
	} {
		a := p.call(t, "GET", "/v1/placement?country="+tc.country, "", nil)
		var got placementPreview
		if err := json.Unmarshal(a.body, &got); a.status != 200 || err != nil {
			t.Fatalf("GET /v1/placement?country=%s = %d %s", tc.country, a.status, a.body)
		}
		if got.Allowed != tc.allowed || strings.Join(got.Cells, ",") != tc.cells || !strings.Contains(got.Explanation, tc.says) ||
			len(got.Rules) == 0 || got.PolicyVersion == "" {
			t.Errorf("%s: %+v; want allowed=%v cells=%q and an explanation saying %q", tc.country, got, tc.allowed, tc.cells, tc.says)
		}
	}
	for _, q := range []string{"", "?country=ng", "?country=NGA", "?country=N%00"} {
		a := p.call(t, "GET", "/v1/placement"+q, "", nil)
		var pr problem.Problem
		_ = json.Unmarshal(a.body, &pr)
		if a.status != 400 || !strings.HasSuffix(pr.Type, "invalid") {
			t.Errorf("GET /v1/placement%s = %d %s; want a 400 invalid problem", q, a.status, a.body)
		}
	}
}
