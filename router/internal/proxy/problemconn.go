package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/pushnchat/pushnchat/internal/problem"
)

// net/http answers a request it cannot read (a malformed request line, a
// missing Host, a bad escape, a head over its limit, HTTP/2.0 on an
// HTTP/1 port) itself, before any handler runs, with plain text. Every
// answer of the router is a problem, so the connections it serves are
// wrapped: such an answer, written in one go with net/http's fixed error
// headers, is rewritten into the same status as problem+json.
// TestNetHTTPsOwnAnswersAreProblems holds this to net/http's format.

// netHTTPErrorHeaders follow the status line of net/http's own answers.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// problemConn is a client connection of the net/http path.
type problemConn struct {
	net.Conn
	rt *Router
}

// Write passes everything through but net/http's own error answers.
func (c *problemConn) Write(b []byte) (int, error) {
	if p, ok := c.rewrite(b); ok {
		if _, err := c.Conn.Write(p); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// CloseWrite lets net/http close the writing side first, as it does after
// an answer to a request it stopped reading.
func (c *problemConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *problemConn) rewrite(b []byte) ([]byte, bool) {
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 ")) || len(b) < 13 {
		return nil, false
	}
	line := bytes.Index(b, []byte("\r\n"))
	if line < 0 || !bytes.HasPrefix(b[line:], []byte(netHTTPErrorHeaders)) {
		return nil, false
	}
	status, err := strconv.Atoi(string(b[9:12]))
	if err != nil || status < 400 {
		return nil, false
	}
	text := string(b[line+len(netHTTPErrorHeaders):])
	_, detail, _ := strings.Cut(text, ": ") // "400 Bad Request: missing required Host header"
	p := problem.Problem{Status: status, Title: http.StatusText(status), RequestID: c.rt.newRequestID()}
	switch status {
	case http.StatusBadRequest:
		p.Type, p.Title = problem.TypeBase+"invalid", "Invalid request"
		if detail == "" {
			detail = "the request is not well-formed HTTP/1.1"
		}
	case http.StatusRequestHeaderFieldsTooLarge:
		p.Type, detail = problem.TypeBase+"headers_too_large", "the request's header is over its limit"
	case http.StatusNotImplemented:
		p.Type, detail = problem.TypeBase+"not_implemented", "unsupported transfer encoding"
	case http.StatusHTTPVersionNotSupported:
		p.Type, detail = problem.TypeBase+"http_version_not_supported", "speak HTTP/1.1 to this port"
	default:
		p.Type = problem.TypeBase + "invalid"
	}
	p.Detail = detail
	body, _ := json.Marshal(p)
	body = append(body, '\n')
	out := fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\nX-Request-Id: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		status, http.StatusText(status), problem.ContentType, p.RequestID, len(body))
	return append(out, body...), true
}
