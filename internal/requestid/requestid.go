// Package requestid is the one rule for request ids, shared by the router
// and the cells: a caller's X-Request-Id is kept when it is safe to echo
// into headers, logs and problem documents, and replaced otherwise.
package requestid

// Header carries the request id.
const Header = "X-Request-Id"

// Valid reports whether id may be kept: 8-64 characters of letters,
// digits and . _ : -, enough for UUIDs, trace ids and our own ids, and
// nothing a browser, a log reader or a header could take for markup or
// syntax.
func Valid(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}
