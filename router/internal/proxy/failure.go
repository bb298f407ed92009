package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// failure is what a failed forward means, on either path (event loops or
// net/http), and this file is the one rule for whom it blames. A cell is
// marked down — its tenants get 503 until its next good probe — only for
// its own failures: no connection to it could be made, or it did not
// answer in time. A client's unreadable or oversized request is the
// client's problem: a 4xx, and no cell's health changes. A request that
// never reached the cell is sent again on a fresh connection, whatever its
// method. One the cell received but did not answer gets a 503 of its own,
// and the next probe says whether the cell is down.
type failure uint8

const (
	failNone       failure = iota
	failClient             // the client's request body could not be read: malformed, cut off, too large
	failNotSent            // nothing reached the cell; safe to send again on a fresh connection
	failUnanswered         // sent, and the connection closed before an answer
	failBadAnswer          // the cell's answer could not be relayed
	failDial               // no connection to the cell could be made
	failTimeout            // the cell did not answer in time
)

// cellsFault reports whether f is a failure of the cell itself.
func (f failure) cellsFault() bool { return f == failDial || f == failTimeout }

// failed applies the rule to a failed forward to cell — marking the cell
// down only for its own failures — and returns what the client is told.
func (rt *Router) failed(cell string, f failure, cause error) error {
	if cell == webApp && f != failClient {
		rt.log.Warn("web app unreachable", "err", cause)
		return &errs.Error{Kind: errs.Unavailable, RetryAfter: 5, Message: "the web app cannot be reached; retry shortly"}
	}
	if cell == controlPlane && f != failClient {
		rt.log.Warn("control plane unreachable", "err", cause)
		return &errs.Error{Kind: errs.Unavailable, RetryAfter: 5, Message: "the control plane cannot be reached; retry shortly"}
	}
	if f.cellsFault() {
		rt.health.Fail(cell)
		rt.log.Warn("cell unreachable", "cell", cell, "err", cause)
	} else {
		rt.log.Debug("forward failed", "cell", cell, "failure", int(f), "err", cause)
	}
	var tooLarge *http.MaxBytesError
	switch {
	case f == failClient && errors.As(cause, &tooLarge):
		return errs.E(errs.TooLarge, "the request body is over its limit of %d bytes", tooLarge.Limit)
	case f == failClient:
		return errs.E(errs.Invalid, "the request body could not be read; send it again, well-formed")
	case f == failTimeout:
		return cellUnavailable("this business's home cell did not answer in time; retry shortly")
	case f == failBadAnswer:
		return cellUnavailable("this business's home cell answered incorrectly; retry shortly")
	case f == failUnanswered:
		return cellUnavailable("this business's home cell closed the connection before answering; retry, with the same Idempotency-Key for writes")
	}
	return cellUnavailable("this business's home cell is unavailable; retry shortly")
}

// cellUnavailable is the problem of a cell that cannot serve a request.
func cellUnavailable(msg string) error {
	return &errs.Error{Kind: errs.Unavailable, RetryAfter: 5, Code: "cell_unavailable", Message: msg}
}

// classify reads the error of a forward through net/http's Transport,
// which has already sent again what was safe to send again.
func classify(err error, body *clientBody) failure {
	var op *net.OpError
	var ne net.Error
	switch {
	case body != nil && body.failed():
		return failClient
	case errors.As(err, &op) && op.Op == "dial":
		return failDial
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return failTimeout
	}
	return failUnanswered
}

// clientBody is a request's body as the client sends it. A failure to
// read it is the client's (see failure), so it is remembered.
type clientBody struct {
	io.ReadCloser
	mu  sync.Mutex
	err error
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.mu.Lock()
		if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
	return n, err
}

func (b *clientBody) failed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err != nil
}

func (b *clientBody) cause() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}
