package httpapi

import (
	"net/http"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// handleHealthz answers while the process runs.
func (s *server) handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "cell": s.Cell})
	})
}

// handleReadyz answers 200 only when PostgreSQL (migrated) and Redis are
// reachable, so load balancers send traffic to replicas that can serve it.
func (s *server) handleReadyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Ready(r.Context()); err != nil {
			s.Logger.WarnContext(r.Context(), "not ready", "err", err)
			s.fail(w, r, &errs.Error{Kind: errs.Unavailable, RetryAfter: 1, Message: "the cell is not ready; retry shortly"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "cell": s.Cell})
	})
}

func (s *server) handleMetrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Metrics == nil {
			s.fail(w, r, errs.E(errs.NotFound, "metrics are exported over OTLP"))
			return
		}
		s.Metrics.ServeHTTP(w, r)
	})
}
