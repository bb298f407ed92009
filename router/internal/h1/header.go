// Package h1 reads HTTP/1.1 on the wire, strictly: request and answer
// heads, their header lines, and chunked framing across reads. It accepts
// only what it can read without guessing, so a proxy built on it hands
// anything else to net/http, and the two never disagree on where a
// message ends (see the fuzz test in router/internal/proxy).
package h1

import "bytes"

// CRLF2 ends a head.
var CRLF2 = []byte("\r\n\r\n")

// hopByHop are the headers that concern one connection only (RFC 9110
// §7.6.1, with the Proxy-Connection and Keep-Alive of older clients):
// the same list as net/http/httputil.ReverseProxy's.
var hopByHop = [...]string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// HopByHop reports whether the header name concerns one connection only,
// so a proxy never forwards it as received.
func HopByHop(name []byte) bool {
	for _, d := range hopByHop {
		if Is(name, d) {
			return true
		}
	}
	return false
}

// Is reports whether the header name is s, in any case; the length is
// compared first, which settles most names at once.
func Is(name []byte, s string) bool {
	return len(name) == len(s) && bytes.EqualFold(name, []byte(s))
}

// tokenChar: RFC 9110 tchar.
var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-32] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return
}()

// EachHeader calls fn for each header line of head (which starts after the
// start line and ends with the empty line), until fn says false. It
// reports false when a line is malformed: folded, without a token name,
// or with control characters in the value.
func EachHeader(head []byte, fn func(name, value []byte) bool) bool {
	for len(head) > 0 {
		i := bytes.Index(head, []byte("\r\n"))
		if i < 0 {
			return false
		}
		line := head[:i]
		head = head[i+2:]
		if len(line) == 0 {
			return len(head) == 0
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return false
		}
		name := line[:colon]
		for _, c := range name {
			if !tokenChar[c] {
				return false
			}
		}
		value := line[colon+1:]
		for _, c := range value {
			if (c < 0x20 && c != '\t') || c == 0x7f {
				return false
			}
		}
		if !fn(name, bytes.Trim(value, " \t")) {
			return true
		}
	}
	return false
}
