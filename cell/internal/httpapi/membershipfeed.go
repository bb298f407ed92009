package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/pushnchat/pushnchat/internal/errs"
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
			q := r.URL.Query()
			var after int64
			if v := q.Get("after"); v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 {
					return errs.InvalidFields([]errs.FieldError{{Field: "after", Detail: "must be a sequence number"}})
				}
				after = n
			}
			var wait time.Duration
			if v := q.Get("wait"); v != "" {
				d, err := time.ParseDuration(v)
				if err != nil || d < 0 {
					return errs.InvalidFields([]errs.FieldError{{Field: "wait", Detail: "must be a duration such as 25s"}})
				}
				wait = min(d, membershipfeed.MaxWait)
			}
			var page membershipfeed.Page
			err := pgnotify.Wait(r.Context(), wait, s.MembershipFeed, s.Closing, func() (bool, error) {
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
