package httpapi

import (
	"context"
	"net/http"

	"github.com/pushnchat/pushnchat/internal/membershipfeed"
)

// handleMembershipChanges serves the membership feed to the control plane
// (package membershipfeed).
func (s *server) handleMembershipChanges() http.Handler {
	return s.serveFeed(membershipfeed.MaxWait, s.MembershipFeed, func(ctx context.Context, after int64) (any, bool, error) {
		page, err := s.DB.MembershipChanges(ctx, after, 1000)
		return page, len(page.Changes) > 0, err
	})
}
