// Package clientaddr is the contract by which a cell learns the address of
// the client behind the router. The router sends the address it accepted
// the connection from in Header, with the edge token in TokenHeader; a
// cell believes Header only when the token matches its own, so a client
// can neither choose its address nor hide behind the router's (every
// client sharing one rate-limit bucket). Without a configured token a cell
// uses the address of the connection.
package clientaddr

import (
	"crypto/subtle"
	"net"
	"net/http"
)

// Header names the client's address on a request the router forwards.
const Header = "X-Pushnchat-Client-Ip"

// TokenHeader carries the edge token that makes Header believable.
const TokenHeader = "X-Pushnchat-Edge-Token"

// Of returns the address of the client that sent r: Header when r carries
// edgeToken, else the connection's address.
func Of(r *http.Request, edgeToken string) string {
	if edgeToken != "" {
		if ip := r.Header.Get(Header); ip != "" && net.ParseIP(ip) != nil &&
			subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), []byte(edgeToken)) == 1 {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
