package h1

import (
	"bytes"
	"strconv"
)

// Response is what a proxy needs of an answer head.
type Response struct {
	Status        int
	ContentLength int64 // -1: none given
	Chunked       bool  // Transfer-Encoding: chunked
	Close         bool  // Connection: close
}

// ParseResponse reads a cell's answer head (an HTTP/1.1 status line to
// the empty line). 1xx answers, other transfer codings and conflicting
// lengths are refused.
func ParseResponse(head []byte, r *Response) bool {
	i := bytes.Index(head, []byte("\r\n"))
	if i < 12 || !bytes.HasPrefix(head, []byte("HTTP/1.1 ")) || (i > 12 && head[12] != ' ') {
		return false
	}
	status, err := strconv.Atoi(string(head[9:12]))
	if err != nil || status < 200 || status > 599 {
		return false
	}
	*r = Response{Status: status, ContentLength: -1}
	ok := true
	wellFormed := EachHeader(head[i+2:], func(name, value []byte) bool {
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || (r.ContentLength >= 0 && r.ContentLength != n) {
				ok = false
			}
			r.ContentLength = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				ok = false
			}
			r.Chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			for _, tok := range bytes.Split(value, []byte(",")) {
				if bytes.EqualFold(bytes.Trim(tok, " \t"), []byte("close")) {
					r.Close = true
				}
			}
		}
		return ok
	})
	return wellFormed && ok
}
