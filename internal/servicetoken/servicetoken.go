// Package servicetoken is the contract of internal calls between
// PushNchat's services (control plane ↔ cells, routers → control plane):
// the shared service token travels in Header and is compared in constant
// time. A service with no token configured accepts no internal call.
package servicetoken

import (
	"crypto/subtle"
	"net/http"
)

// Header carries the service token.
const Header = "X-Pushnchat-Service-Token"

// Matches reports whether r carries token (never when token is empty).
func Matches(r *http.Request, token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(Header)), []byte(token)) == 1
}

// Set puts token on an outgoing internal request.
func Set(r *http.Request, token string) { r.Header.Set(Header, token) }
