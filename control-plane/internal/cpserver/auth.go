package cpserver

import (
	"net/http"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/firebaseauth"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

// Who may call: a signed-in person (a Firebase ID token) for sign-up and
// their own cells, a holder of the service token for everything internal.

// signedIn verifies the caller's Firebase ID token (Authorization: Bearer).
func (s *Server) signedIn(r *http.Request) (firebaseauth.Identity, error) {
	token, ok := bearer(r)
	if !ok {
		return firebaseauth.Identity{}, errs.E(errs.Unauthenticated, "sign in first: send your Firebase ID token as Authorization: Bearer")
	}
	return s.verifier.VerifyIDToken(r.Context(), token)
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "Bearer "
	if len(h) <= len(p) || h[:len(p)] != p {
		return "", false
	}
	return h[len(p):], true
}

// internal admits only holders of the service token (routers, pushnctl).
func (s *Server) internal(f func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if !servicetoken.Matches(r, s.cfg.ServiceToken) {
			return errs.E(errs.Unauthenticated, "this API needs the service token")
		}
		return f(w, r)
	})
}
