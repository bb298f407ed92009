package cpserver

import (
	"context"
	"fmt"

	"github.com/pushnchat/pushnchat/internal/errs"
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
