package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/pushnchat/pushnchat/internal/pgnotify"
)

// serveFeed answers one of the internal feeds the control plane follows
// (service token): the entries read returns after ?after=, waiting up to
// ?wait= (at most maxWait) for the first one, woken by sig (package
// pgnotify).
func (s *server) serveFeed(maxWait time.Duration, sig *pgnotify.Signal, read func(ctx context.Context, after int64) (page any, found bool, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			if err := s.checkServiceToken(r); err != nil {
				return err
			}
			after, wait, err := pgnotify.Query(r.URL.Query(), maxWait)
			if err != nil {
				return err
			}
			var page any
			err = pgnotify.Wait(r.Context(), wait, sig, s.Closing, func() (bool, error) {
				var found bool
				var err error
				page, found, err = read(r.Context(), after)
				return found, err
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
