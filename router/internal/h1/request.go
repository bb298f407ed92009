package h1

import (
	"bytes"
	"strconv"
)

// Request is what a proxy needs of a request head.
type Request struct {
	Method        string
	Path          string // the target before any '?'
	Target, Host  []byte
	ContentLength int64
	Close         bool   // Connection: close
	Bearer        string // the token of Authorization: Bearer
	RequestID     string // X-Request-Id
	ForwardedFor  []byte // X-Forwarded-For
}

// Query is the raw query of the request target ("" when none).
func (h *Request) Query() string {
	if i := bytes.IndexByte(h.Target, '?'); i >= 0 {
		return string(h.Target[i+1:])
	}
	return ""
}

// ParseRequest reads head (the request line to the empty line). It
// accepts only what a proxy may forward as it is: HTTP/1.1, an
// origin-form target without escapes or dot segments, one Host, at most
// one Content-Length, and no Transfer-Encoding, Upgrade or Expect.
func ParseRequest(head []byte, h *Request) bool {
	i := bytes.Index(head, []byte("\r\n"))
	if i < 0 {
		return false
	}
	line := head[:i]
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return false
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 <= 0 {
		return false
	}
	method, target, version := line[:sp1], line[sp1+1:sp1+1+sp2], line[sp1+2+sp2:]
	if string(version) != "HTTP/1.1" || target[0] != '/' {
		return false
	}
	for _, c := range method {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	path := target
	if q := bytes.IndexByte(target, '?'); q >= 0 {
		path = target[:q]
	}
	for _, c := range target {
		if c <= ' ' || c >= 0x7f || c == '#' {
			return false
		}
	}
	if bytes.IndexByte(path, '%') >= 0 || bytes.Contains(path, []byte("/.")) || bytes.Contains(path, []byte("//")) {
		return false
	}
	*h = Request{Method: MethodName(method), Target: target, Path: string(path)}
	ok, hosts, lengths, forwarded := true, 0, 0, 0
	wellFormed := EachHeader(head[i+2:], func(name, value []byte) bool {
		switch {
		case bytes.EqualFold(name, []byte("Host")):
			hosts++
			h.Host = value
		case bytes.EqualFold(name, []byte("Content-Length")):
			lengths++
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || len(value) == 0 || value[0] == '+' {
				ok = false
			}
			h.ContentLength = n
		case bytes.EqualFold(name, []byte("Connection")):
			for _, tok := range bytes.Split(value, []byte(",")) {
				tok = bytes.Trim(tok, " \t")
				switch {
				case bytes.EqualFold(tok, []byte("close")):
					h.Close = true
				case bytes.EqualFold(tok, []byte("keep-alive")), len(tok) == 0:
				default:
					ok = false // names other headers as hop-by-hop: net/http handles that
				}
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")), bytes.EqualFold(name, []byte("Upgrade")),
			bytes.EqualFold(name, []byte("Expect")):
			ok = false
		case bytes.EqualFold(name, []byte("Authorization")):
			if len(value) > 7 && bytes.EqualFold(value[:7], []byte("Bearer ")) {
				h.Bearer = string(value[7:])
			}
		case bytes.EqualFold(name, []byte("X-Request-Id")):
			h.RequestID = string(value)
		case bytes.EqualFold(name, []byte("X-Forwarded-For")):
			forwarded++
			h.ForwardedFor = value
		}
		return ok
	})
	return wellFormed && ok && hosts == 1 && len(h.Host) > 0 && lengths <= 1 && forwarded <= 1
}

// MethodName spells common methods without allocating.
func MethodName(m []byte) string {
	for _, k := range [...]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"} {
		if string(m) == k {
			return k
		}
	}
	return string(m)
}
