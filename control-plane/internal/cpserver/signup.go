package cpserver

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/pushnchat/pushnchat/control-plane/internal/directory"
	"github.com/pushnchat/pushnchat/internal/cellapi"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/internal/jsonbody"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/internal/tenantkey"
	"github.com/pushnchat/pushnchat/residency"
)

type signupRequest struct {
	Slug       string          `json:"slug"`
	Name       string          `json:"name"`
	Country    string          `json:"country"`
	Categories []string        `json:"categories"`
	Contact    cellapi.Contact `json:"contact"`
}

// signup places a new business and creates it in its home cell.
func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	id, err := s.signedIn(r)
	if err != nil {
		return err
	}
	var in signupRequest
	if err := jsonbody.Decode(r, &in); err != nil {
		return err
	}
	var f errs.Fields
	if !tenantkey.ValidSlug(in.Slug) {
		f.Add("slug", tenantkey.SlugRule)
	}
	if in.Contact == (cellapi.Contact{}) {
		f.Add("contact", "is required")
	}
	if err := f.Err(); err != nil {
		return err
	}
	d := residency.Place(residency.PlaceRequest{Country: in.Country})
	if !d.Allowed {
		return &errs.Error{Kind: errs.Unprocessable, Code: "residency_refused",
			Message: fmt.Sprintf("%s (rules: %v, policy %s)", d.Explanation, d.Rules, d.PolicyVersion)}
	}
	cell, err := s.choose(r.Context(), d.Cells)
	if err != nil {
		return err
	}
	// The journal keeps what the client sent of the profile; advance adds
	// the rest of the cell's request.
	profile, _ := json.Marshal(cellapi.PutTenant{Name: in.Name, Categories: in.Categories, Contact: in.Contact})
	req := directory.SignupRequest{TenantID: ids.New(), Slug: in.Slug, Country: in.Country,
		Cell: cell, Rules: d.Rules, OwnerUID: id.UID, OwnerEmail: id.Email, Profile: profile}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		key = in.Slug
	}
	hash := sha256.Sum256(append([]byte(in.Slug+"\n"+in.Country+"\n"), profile...))
	su, err := s.dir.BeginSignup(r.Context(), "user:"+id.UID+":"+key, hash[:], req)
	if err != nil {
		return err
	}
	s.crashAt("after-journal")
	return s.finish(r.Context(), w, su)
}

// finish drives a journalled sign-up to its end and writes the answer.
func (s *Server) finish(ctx context.Context, w http.ResponseWriter, su directory.Signup) error {
	switch su.State {
	case "failed":
		var p problem.Problem
		if err := json.Unmarshal(su.Problem, &p); err == nil && p.Status > 0 {
			problem.WriteProblem(w, p)
			return nil
		}
		return errs.E(errs.Unprocessable, "this sign-up was refused")
	case "done":
		t, err := s.dir.Tenant(ctx, su.Request.TenantID)
		if err == nil {
			writeJSON(w, http.StatusCreated, t)
		}
		return err
	}
	t, _, err := s.advance(ctx, su)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

// advance creates the tenant in its cell (idempotent by id) and completes
// the directory entry. A refusal by the cell fails the sign-up for good and
// returns that problem; a cell that cannot be reached leaves the sign-up
// open for the resume loop.
func (s *Server) advance(ctx context.Context, su directory.Signup) (directory.Tenant, bool, error) {
	cell, ok := s.cells.get(su.Request.Cell)
	if !ok {
		return directory.Tenant{}, false, fmt.Errorf("sign-up %s: unknown cell %s", su.Key, su.Request.Cell)
	}
	var put cellapi.PutTenant
	if err := json.Unmarshal(su.Request.Profile, &put); err != nil {
		return directory.Tenant{}, false, err
	}
	put.Slug, put.Country = su.Request.Slug, su.Request.Country
	put.Owner = cellapi.Owner{FirebaseUID: su.Request.OwnerUID, Email: su.Request.OwnerEmail}
	ans, err := s.cells.putTenant(ctx, cell, s.cfg.ServiceToken, su.Request.TenantID, put)
	switch {
	case err != nil || ans.Status >= 500:
		s.log.Warn("sign-up waits for its cell", "cell", cell.Name, "status", ans.Status, "err", err)
		return directory.Tenant{}, false, &errs.Error{Kind: errs.Unavailable, RetryAfter: 5,
			Message: "the business's home cell cannot be reached; the sign-up will complete when it can (retry with the same Idempotency-Key)"}
	case ans.Status >= 400:
		// The cell refused (invalid profile): release the slug, remember why.
		if err := s.dir.FailSignup(ctx, su, ans.Body); err != nil {
			return directory.Tenant{}, false, err
		}
		var p problem.Problem
		if json.Unmarshal(ans.Body, &p) == nil && p.Status > 0 {
			return directory.Tenant{}, false, &cellProblem{p}
		}
		return directory.Tenant{}, false, errs.E(errs.Unprocessable, "the home cell refused this business")
	}
	s.crashAt("after-cell")
	t, err := s.dir.CompleteSignup(ctx, su)
	return t, err == nil, err
}

// cellProblem passes a cell's refusal through unchanged.
type cellProblem struct{ p problem.Problem }

func (e *cellProblem) Error() string { return e.p.Detail }

// resumeLoop finishes sign-ups a crash or an unreachable cell left open.
func (s *Server) resumeLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		open, err := s.dir.OpenSignups(ctx, 2*time.Second)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("resume sign-ups", "err", err)
		}
		for _, su := range open {
			_ = s.dir.TouchSignup(ctx, su.Key)
			if _, done, err := s.advance(ctx, su); err != nil && !errs.Is(err, errs.Unavailable) {
				s.log.Info("resumed sign-up refused", "key", su.Key, "err", err)
			} else if done {
				s.log.Info("resumed sign-up", "tenant", su.Request.TenantID, "cell", su.Request.Cell)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) crashAt(step string) {
	if s.cfg.CrashAt == step {
		s.log.Error("crashing on purpose", "step", step)
		os.Exit(3)
	}
}
