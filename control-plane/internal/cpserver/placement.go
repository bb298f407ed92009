package cpserver

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/residency"
)

// Placement: the residency policy (package residency) names the cells that
// may home a business; choose picks one of them.

// choose picks the least-utilised healthy cell among the allowed ones.
func (s *Server) choose(ctx context.Context, allowed []string) (string, error) {
	counts, err := s.dir.TenantCounts(ctx)
	if err != nil {
		return "", err
	}
	best, bestN := "", -1
	for _, name := range allowed {
		c, ok := s.cells.get(name)
		if !ok || !c.Healthy {
			continue
		}
		if n := counts[name]; bestN < 0 || n < bestN {
			best, bestN = name, n
		}
	}
	if best == "" {
		return "", &errs.Error{Kind: errs.Unavailable, RetryAfter: 10,
			Message: fmt.Sprintf("no cell that may home this business is available (%v); retry shortly", allowed)}
	}
	return best, nil
}

// placementPreview is what GET /v1/placement answers: where the policy
// would home a business from a country, and why, in words a person
// signing up can read. Which allowed cell is chosen depends on capacity at
// sign-up.
type placementPreview struct {
	Country       string   `json:"country"`
	Allowed       bool     `json:"allowed"`
	Cells         []string `json:"cells"`
	Explanation   string   `json:"explanation"`
	Rules         []string `json:"rules"`
	PolicyVersion string   `json:"policy_version"`
}

// handlePlacement previews a sign-up's placement. It is public: the policy
// is, and the answer names no business.
func (s *Server) handlePlacement(w http.ResponseWriter, r *http.Request) error {
	country := r.URL.Query().Get("country")
	if !isCountryCode(country) {
		return errs.InvalidFields([]errs.FieldError{{Field: "country", Detail: "must be an ISO 3166-1 alpha-2 code in upper case, e.g. NG"}})
	}
	d := residency.Place(residency.PlaceRequest{Country: country})
	cells := d.Cells
	if cells == nil {
		cells = []string{}
	}
	writeJSON(w, http.StatusOK, placementPreview{Country: country, Allowed: d.Allowed, Cells: cells,
		Explanation: d.Explanation, Rules: d.Rules, PolicyVersion: d.PolicyVersion})
	return nil
}

func isCountryCode(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'
}
