package httpapi

import (
	"net/http"

	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/cell/internal/consent"
)

// A person's consents are their own: each member sees and changes only
// theirs.

func (s *server) handleListConsents() http.Handler {
	return s.tenantHandler(authz.ConsentManage, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		cs, err := s.DB.Consents(r.Context(), sc.tenant.ID, sc.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"consents": cs})
		return nil
	})
}

func (s *server) handleGrantConsent() http.Handler {
	return s.tenantHandler(authz.ConsentManage, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		var in consent.Grant
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if err := in.Validate(); err != nil {
			return err
		}
		c, created, err := s.DB.GrantConsent(r.Context(), sc.tenant.ID, sc.ID, in.Category, in.Jurisdiction)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, c)
		return nil
	})
}

func (s *server) handleWithdrawConsent() http.Handler {
	return s.tenantHandler(authz.ConsentManage, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		c, err := s.DB.WithdrawConsent(r.Context(), sc.tenant.ID, sc.ID, r.PathValue("consent"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	})
}
