package httpapi

import (
	"net/http"
	"strings"

	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/cellapi"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
	"github.com/pushnchat/pushnchat/residency"
)

// scope is a request inside one tenant, after the authorization decision.
type scope struct {
	caller
	tenant tenant.Tenant
	role   tenant.Role // "" for platform staff reading
}

// inTenant resolves {tenant}, the caller and its role, and asks authz
// whether the caller may perform action. A tenant the caller may not see
// does not exist, as far as the answer says.
func (s *server) inTenant(r *http.Request, action authz.Action) (scope, error) {
	c, err := s.caller(r)
	if err != nil {
		return scope{}, err
	}
	t, err := s.DB.TenantBySlugOrID(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return scope{}, err
	}
	role, err := s.DB.Role(r.Context(), t.ID, c.ID)
	if err != nil {
		return scope{}, err
	}
	if err := authz.Decide(c.actor, action, role); err != nil {
		return scope{}, err
	}
	return scope{caller: c, tenant: t, role: role}, nil
}

// tenantHandler runs f for requests allowed to perform action.
func (s *server) tenantHandler(action authz.Action, f func(w http.ResponseWriter, r *http.Request, sc scope) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc, err := s.inTenant(r, action)
		if err == nil {
			err = f(w, r, sc)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

// handlePutTenant creates a business placed here by the control plane's
// sign-up, with its owner. Only the control plane calls it (service token);
// it is idempotent by id, so sign-up can retry after a crash.
func (s *server) handlePutTenant() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			if err := s.checkServiceToken(r); err != nil {
				return err
			}
			var in cellapi.PutTenant
			if err := decodeJSON(r, &in); err != nil {
				return err
			}
			t := tenant.Tenant{ID: r.PathValue("id"), Slug: in.Slug, Name: strings.TrimSpace(in.Name), Country: in.Country, Categories: in.Categories, Contact: tenant.Contact(in.Contact)}
			if err := t.Validate(); err != nil {
				return err
			}
			if in.Owner.FirebaseUID == "" {
				return errs.InvalidFields([]errs.FieldError{{Field: "owner.firebase_uid", Detail: "is required"}})
			}
			// Defence in depth: hold only businesses the residency policy
			// places in this cell, whatever sent the request here.
			if d := residency.MayHome(s.Cell, t.Country); !d.Allowed {
				return &errs.Error{Kind: errs.Unprocessable, Code: "residency_refused",
					Message: d.Explanation + " (rules: " + strings.Join(d.Rules, ", ") + ")"}
			}
			owner := firebaseauth.Identity{UID: in.Owner.FirebaseUID, Email: in.Owner.Email, Name: in.Owner.DisplayName}
			t, created, err := s.DB.CreateTenant(r.Context(), t, owner)
			if err != nil {
				return err
			}
			status := http.StatusOK
			if created {
				status = http.StatusCreated
			}
			w.Header().Set("Location", "/v1/t/"+t.Slug)
			writeJSON(w, status, t)
			return nil
		}()
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

func (s *server) handleGetTenant() http.Handler {
	return s.tenantHandler(authz.TenantRead, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		writeJSON(w, http.StatusOK, sc.tenant)
		return nil
	})
}

func (s *server) handleUpdateTenant() http.Handler {
	return s.tenantHandler(authz.TenantUpdate, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		var in tenant.ProfileUpdate
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if in.Tier != nil && *in.Tier != sc.tenant.Tier {
			if err := authz.Decide(sc.actor, authz.TenantBilling, sc.role); err != nil {
				return err
			}
		}
		t := sc.tenant
		if err := in.Apply(&t); err != nil {
			return err
		}
		t, err := s.DB.UpdateTenant(r.Context(), t)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, t)
		return nil
	})
}

func (s *server) handleListMembers() http.Handler {
	return s.tenantHandler(authz.MemberList, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		ms, err := s.DB.Members(r.Context(), sc.tenant.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": ms})
		return nil
	})
}

func (s *server) handleUpdateMember() http.Handler {
	return s.tenantHandler(authz.MemberUpdate, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		var in struct {
			Role tenant.Role `json:"role"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if !in.Role.Valid() {
			return errs.InvalidFields([]errs.FieldError{{Field: "role", Detail: "must be one of owner, admin, member, viewer"}})
		}
		err := s.DB.ChangeMember(r.Context(), sc.tenant.ID, r.PathValue("user"), in.Role, func(from tenant.Role) error {
			return authz.CanAssign(sc.role, from, in.Role)
		})
		if err != nil {
			return err
		}
		s.Realtime.AccessChanged(r.Context(), r.PathValue("user"))
		return s.writeMembers(w, r, sc)
	})
}

func (s *server) writeMembers(w http.ResponseWriter, r *http.Request, sc scope) error {
	ms, err := s.DB.Members(r.Context(), sc.tenant.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ms})
	return nil
}

// handleRemoveMember removes a member. Admins remove admins, members and
// viewers; only owners remove owners; the last owner stays.
func (s *server) handleRemoveMember() http.Handler {
	return s.tenantHandler(authz.MemberRemove, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		err := s.DB.ChangeMember(r.Context(), sc.tenant.ID, r.PathValue("user"), "", func(from tenant.Role) error {
			return authz.CanAssign(sc.role, from, tenant.Viewer)
		})
		if err != nil {
			return err
		}
		s.Realtime.AccessChanged(r.Context(), r.PathValue("user"))
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func (s *server) handleListInvitations() http.Handler {
	return s.tenantHandler(authz.InvitationList, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		invs, err := s.DB.Invitations(r.Context(), sc.tenant.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": invs})
		return nil
	})
}

func (s *server) handleCreateInvitation() http.Handler {
	return s.tenantHandler(authz.InvitationCreate, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		var in struct {
			Email string      `json:"email"`
			Role  tenant.Role `json:"role"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		inv := tenant.Invitation{TenantID: sc.tenant.ID, Email: strings.TrimSpace(in.Email), Role: in.Role, InvitedBy: sc.ID}
		if err := inv.Validate(); err != nil {
			return err
		}
		inv, err := s.DB.CreateInvitation(r.Context(), inv)
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/v1/t/"+sc.tenant.Slug+"/invitations/"+inv.ID)
		writeJSON(w, http.StatusCreated, inv)
		return nil
	})
}

func (s *server) handleRevokeInvitation() http.Handler {
	return s.tenantHandler(authz.InvitationRevoke, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		if err := s.DB.RevokeInvitation(r.Context(), sc.tenant.ID, r.PathValue("invitation")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// handleAcceptInvitation joins the caller to the tenant. The invitation's
// token is the proof; the caller is not a member yet.
func (s *server) handleAcceptInvitation() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			c, err := s.caller(r)
			if err != nil {
				return err
			}
			var in struct {
				Token string `json:"token"`
			}
			if err := decodeJSON(r, &in); err != nil {
				return err
			}
			if in.Token == "" {
				return errs.InvalidFields([]errs.FieldError{{Field: "token", Detail: "is required"}})
			}
			t, err := s.DB.TenantBySlugOrID(r.Context(), r.PathValue("tenant"))
			if err != nil {
				return errs.E(errs.NotFound, "no such pending invitation")
			}
			m, err := s.DB.AcceptInvitation(r.Context(), t.ID, r.PathValue("invitation"), in.Token, c.identity)
			if err != nil {
				return err
			}
			m.TenantSlug = t.Slug
			writeJSON(w, http.StatusOK, m)
			return nil
		}()
		if err != nil {
			s.fail(w, r, err)
		}
	})
}
