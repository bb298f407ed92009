package httpapi

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/pushnchat/pushnchat/cell/internal/account"
	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
)

// caller is an authenticated request's person. User.ID is empty for
// someone who belongs to no business here: the cell stores nothing about
// them, and shows them only what their token says.
type caller struct {
	account.User
	identity firebaseauth.Identity
	actor    authz.Actor
}

// caller returns the signed-in person; Unauthenticated when the request
// carries no credentials.
func (s *server) caller(r *http.Request) (caller, error) {
	id, ok := r.Context().Value(identityKey).(firebaseauth.Identity)
	if !ok {
		return caller{}, errs.E(errs.Unauthenticated, "sign in: send a Firebase ID token as Authorization: Bearer, or use a session cookie")
	}
	u, known, err := s.DB.KnownUser(r.Context(), id)
	if err != nil {
		return caller{}, err
	}
	if !known {
		u = account.User{FirebaseUID: id.UID, Email: id.Email, DisplayName: id.Name}
	}
	roles := make([]authz.PlatformRole, len(id.PlatformRoles))
	for i, r := range id.PlatformRoles {
		roles[i] = authz.PlatformRole(r)
	}
	return caller{User: u, identity: id, actor: authz.Actor{UserID: u.ID, PlatformRoles: roles}}, nil
}

// access is what the caller may do in this cell's tenants.
func (s *server) access(r *http.Request, c caller) (authz.Access, error) {
	a := authz.Access{Actor: c.actor, Roles: map[string]tenant.Role{}}
	if c.ID == "" {
		return a, nil
	}
	roles, _, err := s.DB.Access(r.Context(), c.ID)
	if err != nil {
		return authz.Access{}, err
	}
	a.Roles = roles
	return a, nil
}

// handleCreateSession exchanges a fresh ID token for the web session
// cookie (HTTP-only) and a CSRF cookie the page echoes in X-CSRF-Token.
func (s *server) handleCreateSession() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			IDToken string `json:"id_token"`
		}
		if err := decodeJSON(r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
		if in.IDToken == "" {
			s.fail(w, r, errs.InvalidFields([]errs.FieldError{{Field: "id_token", Detail: "is required"}}))
			return
		}
		cookie, err := s.Verifier.SessionCookie(r.Context(), in.IDToken)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var raw [24]byte
		_, _ = rand.Read(raw[:])
		csrf := base64.RawURLEncoding.EncodeToString(raw[:])
		maxAge := int(firebaseauth.SessionTTL.Seconds())
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: cookie, Path: "/", MaxAge: maxAge,
			HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", MaxAge: maxAge,
			Secure: true, SameSite: http.SameSiteLaxMode})
		writeJSON(w, http.StatusCreated, map[string]string{"csrf_token": csrf})
	})
}

// handleDeleteSession signs the web session out.
func (s *server) handleDeleteSession() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, name := range []string{sessionCookie, csrfCookie} {
			http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
				HttpOnly: name == sessionCookie, Secure: true, SameSite: http.SameSiteLaxMode})
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// handleMe returns the caller, its platform roles and its businesses here.
func (s *server) handleMe() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.caller(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var ms []tenant.Membership
		if c.ID != "" {
			if ms, err = s.DB.Memberships(r.Context(), c.ID); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		roles := c.actor.PlatformRoles
		if roles == nil {
			roles = []authz.PlatformRole{}
		}
		if ms == nil {
			ms = []tenant.Membership{}
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"user": c.User, "platform_roles": roles, "memberships": ms, "cell": s.Cell,
		})
	})
}
