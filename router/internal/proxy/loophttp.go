package proxy

import (
	"bytes"
	"net"

	"github.com/pushnchat/pushnchat/internal/clientaddr"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
	"github.com/pushnchat/pushnchat/router/internal/h1"
)

// What the event loops write on the wire: a request as a cell gets it and
// an answer head as the client gets it. Reading the wire is package h1's.

// droppedRequestHeader: the request headers never forwarded as received —
// hop-by-hop ones, those the router writes itself, and the service token a
// client might try.
func droppedRequestHeader(name []byte) bool {
	if h1.HopByHop(name) {
		return true
	}
	for _, d := range [...]string{"Host", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id",
		clientaddr.Header, clientaddr.TokenHeader, servicetoken.Header} {
		if h1.Is(name, d) {
			return true
		}
	}
	return false
}

// appendUpstreamRequest writes the request as sent to a cell at host: the
// same line, headers less the hop-by-hop ones, the X-Forwarded-* and
// X-Request-Id headers, the client's address with edgeToken when there is
// one (package clientaddr), then the body. req is the whole request as
// received, headEnd where its body starts.
func appendUpstreamRequest(b []byte, h *h1.Request, req []byte, headEnd int, host, reqID string, remote net.Addr, edgeToken string) []byte {
	b = append(b, h.Method...)
	b = append(b, ' ')
	b = append(b, h.Target...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	start := bytes.Index(req, []byte("\r\n")) + 2
	h1.EachHeader(req[start:headEnd], func(name, value []byte) bool {
		if !droppedRequestHeader(name) {
			b = append(b, name...)
			b = append(b, ": "...)
			b = append(b, value...)
			b = append(b, "\r\n"...)
		}
		return true
	})
	if a, ok := remote.(*net.TCPAddr); ok {
		b = append(b, "X-Forwarded-For: "...)
		if len(h.ForwardedFor) > 0 {
			b = append(b, h.ForwardedFor...)
			b = append(b, ", "...)
		}
		b, _ = a.IP.AppendText(b)
		b = append(b, "\r\n"...)
		if edgeToken != "" {
			b = append(b, clientaddr.Header+": "...)
			b, _ = a.IP.AppendText(b)
			b = append(b, "\r\n"+clientaddr.TokenHeader+": "...)
			b = append(b, edgeToken...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "X-Forwarded-Host: "...)
	b = append(b, h.Host...)
	b = append(b, "\r\nX-Forwarded-Proto: http\r\nX-Request-Id: "...)
	b = append(b, reqID...)
	b = append(b, "\r\n\r\n"...)
	return append(b, req[headEnd:]...)
}

// droppedAnswerHeader: hop-by-hop answer headers, and those the router
// writes itself. Transfer-Encoding stays: chunked bodies pass through as
// they are (h1.ParseResponse takes no other coding).
func droppedAnswerHeader(name []byte, chunked bool) bool {
	switch {
	case h1.Is(name, "Transfer-Encoding"):
		return false
	case h1.HopByHop(name):
		return true
	case chunked && h1.Is(name, "Content-Length"):
		return true
	}
	return h1.Is(name, "X-Request-Id") || h1.Is(name, "X-Pushnchat-Cell")
}

// appendClientHead writes the answer head as the client gets it.
func appendClientHead(b, head []byte, r *h1.Response, cell, reqID string, closeAfter bool) []byte {
	i := bytes.Index(head, []byte("\r\n"))
	b = append(b, head[:i+2]...)
	h1.EachHeader(head[i+2:], func(name, value []byte) bool {
		if !droppedAnswerHeader(name, r.Chunked) {
			b = append(b, name...)
			b = append(b, ": "...)
			b = append(b, value...)
			b = append(b, "\r\n"...)
		}
		return true
	})
	b = append(b, "X-Request-Id: "...)
	b = append(b, reqID...)
	b = append(b, "\r\nX-Pushnchat-Cell: "...)
	b = append(b, cell...)
	if closeAfter {
		b = append(b, "\r\nConnection: close"...)
	}
	return append(b, "\r\n\r\n"...)
}
