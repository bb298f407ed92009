package cpserver

import (
	"net/http"
	"time"

	"github.com/pushnchat/pushnchat/control-plane/internal/directory"
	"github.com/pushnchat/pushnchat/internal/cpclient"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/pgnotify"
	"github.com/pushnchat/pushnchat/internal/tenantkey"
)

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.dir.Ready(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		return &errs.Error{Kind: errs.Unavailable, RetryAfter: 1, Message: "the control plane is not ready"}
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) handleNoRoute(http.ResponseWriter, *http.Request) error {
	return errs.E(errs.NotFound, "no such endpoint")
}

// handleLookupTenant answers a router's lookup of a business key; a key
// that is neither an id nor a slug is Invalid, never looked up.
func (s *Server) handleLookupTenant(w http.ResponseWriter, r *http.Request) error {
	key, err := tenantkey.Parse("key", r.PathValue("key"))
	if err != nil {
		return err
	}
	t, err := s.dir.LookupTenant(r.Context(), key)
	if err == nil {
		writeJSON(w, 200, t)
	}
	return err
}

func (s *Server) handleLookupUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.dir.LookupUser(r.Context(), r.PathValue("uid"))
	if err == nil {
		writeJSON(w, 200, u)
	}
	return err
}

// handleMyCells tells a signed-in person every cell where they belong to a
// business, so a client reaches each (DESIGN §3): user-scoped requests
// name one with ?cell=, or go to the first.
func (s *Server) handleMyCells(w http.ResponseWriter, r *http.Request) error {
	id, err := s.signedIn(r)
	if err != nil {
		return err
	}
	u, err := s.dir.LookupUser(r.Context(), id.UID)
	if errs.Is(err, errs.NotFound) {
		u, err = directory.User{UID: id.UID, Cells: []string{}}, nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, 200, u)
	return nil
}

func (s *Server) handleCells(w http.ResponseWriter, r *http.Request) error {
	counts, err := s.dir.TenantCounts(r.Context())
	if err != nil {
		return err
	}
	cells := s.cells.list()
	for i := range cells {
		cells[i].Tenants = counts[cells[i].Name]
	}
	writeJSON(w, 200, cpclient.Cells{Items: cells})
	return nil
}

// handleChanges serves the change feed: changes after ?after=, waiting up
// to ?wait= (at most 30 s) for the first one.
func (s *Server) handleChanges(w http.ResponseWriter, r *http.Request) error {
	after, wait, err := pgnotify.Query(r.URL.Query(), 30*time.Second)
	if err != nil {
		return err
	}
	var ch []directory.Change
	err = pgnotify.Wait(r.Context(), wait, &s.feed, s.closing, func() (bool, error) {
		var err error
		ch, err = s.dir.Changes(r.Context(), after, 1000)
		return len(ch) > 0, err
	})
	if r.Context().Err() != nil {
		return nil // the router went away
	}
	if err != nil {
		return err
	}
	last := after
	if len(ch) > 0 {
		last = ch[len(ch)-1].Seq
	}
	if ch == nil {
		ch = []directory.Change{}
	}
	writeJSON(w, 200, map[string]any{"changes": ch, "last_seq": last})
	return nil
}
