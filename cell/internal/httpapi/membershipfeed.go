package httpapi

import (
	"net/http"

	"github.com/pushnchat/pushnchat/internal/membershipfeed"
	"github.com/pushnchat/pushnchat/internal/pgnotify"
)

// handleMembershipChanges serves the membership feed to the control plane
// (service token): the changes after ?after=, waiting up to ?wait= for the
// first one (package membershipfeed).
func (s *server) handleMembershipChanges() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			if err := s.checkServiceToken(r); err != nil {
				return err
			}
			after, wait, err := pgnotify.Query(r.URL.Query(), membershipfeed.MaxWait)
			if err != nil {
				return err
			}
			var page membershipfeed.Page
			err = pgnotify.Wait(r.Context(), wait, s.MembershipFeed, s.Closing, func() (bool, error) {
				var err error
				page, err = s.DB.MembershipChanges(r.Context(), after, 1000)
				return len(page.Changes) > 0, err
			})
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, page)
			return nil
		}()
		if err != nil && r.Context().Err() == nil {
			s.fail(w, r, err)
		}
	})
}
