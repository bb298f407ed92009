package httpapi

import (
	"net/http"

	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/cell/internal/partnership"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/crosscell"
)

func (s *server) handleListPartnerships() http.Handler {
	return s.tenantHandler(authz.PartnershipRead, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		ps, err := s.DB.Partnerships(r.Context(), sc.tenant.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"partnerships": ps})
		return nil
	})
}

func (s *server) handleGetPartnership() http.Handler {
	return s.tenantHandler(authz.PartnershipRead, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		p, err := s.DB.Partnership(r.Context(), sc.tenant.ID, r.PathValue("partnership"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, p)
		return nil
	})
}

// handlePropose stores a proposal and sends it towards the partner's cell.
// What the policy or the business's tier would refuse is refused here, at
// once; the broker decides again on what the directory knows.
func (s *server) handlePropose() http.Handler {
	return s.tenantHandler(authz.PartnershipAct, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		var in partnership.Proposal
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if err := in.Validate(sc.tenant.ID); err != nil {
			return err
		}
		p, err := s.DB.Propose(r.Context(), sc.tenant, sc.ID, in, s.checkLeaving(sc.tenant, in.PartnerCountry))
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/v1/t/"+sc.tenant.Slug+"/partnerships/"+p.ID)
		writeJSON(w, http.StatusCreated, p)
		return nil
	})
}

// handlePartnershipAction takes one step of a partnership.
func (s *server) handlePartnershipAction(a partnership.Action) http.Handler {
	return s.tenantHandler(authz.PartnershipAct, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		id := r.PathValue("partnership")
		cur, err := s.DB.Partnership(r.Context(), sc.tenant.ID, id)
		if err != nil {
			return err
		}
		p, err := s.DB.ActOnPartnership(r.Context(), sc.tenant, sc.ID, id, a, s.checkLeaving(sc.tenant, cur.PartnerCountry))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, p)
		return nil
	})
}

// checkLeaving decides an event of t's against where the policy homes a
// business of partnerCountry.
func (s *server) checkLeaving(t tenant.Tenant, partnerCountry string) postgres.Check {
	return func(ev crosscell.Event) error {
		v := crosscell.Decide(ev, crosscell.Route{FromCountry: t.Country, FromCell: s.Cell,
			ToCountry: partnerCountry, ToCell: crosscell.HomeCell(partnerCountry)})
		return crosscell.RefusalError(v.Refusal)
	}
}
