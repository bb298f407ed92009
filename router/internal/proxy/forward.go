package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"

	"github.com/pushnchat/pushnchat/internal/clientaddr"
	"github.com/pushnchat/pushnchat/internal/cpclient"
	"github.com/pushnchat/pushnchat/internal/requestid"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

// Connections to cells idle for upstreamIdle are closed by the router,
// before a cell's own idle timeout (120 s) closes them under a request
// already on its way.
const upstreamIdle = 30 * time.Second

// reverseProxy forwards what the event loops hand over: cache misses,
// WebSocket upgrades, streamed and large uploads, downloads, retries, and
// sign-ups (to the control plane). Its Transport reads a cell's answer
// while the body is still being sent, so a cell that refuses a body early
// (too large, not signed in) is heard, not mistaken for a broken
// connection.
func (rt *Router) reverseProxy() *httputil.ReverseProxy {
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       upstreamIdle,
		ResponseHeaderTimeout: 60 * time.Second,
		ForceAttemptHTTP2:     false,
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			t := pr.In.Context().Value(targetKey{}).(target)
			pr.SetURL(t.url)
			pr.SetXForwarded()
			pr.Out.Header.Set(requestid.Header, pr.In.Header.Get(requestid.Header))
			if t.cell == webApp {
				withoutCredentials(pr.Out.Header)
				return
			}
			rt.vouch(pr.Out.Header, pr.In.RemoteAddr)
		},
		Transport: transport,
		// Zero flushes once per response; ReverseProxy still streams bodies of
		// unknown length and event streams immediately.
		FlushInterval: 0,
		ModifyResponse: func(resp *http.Response) error {
			t := resp.Request.Context().Value(targetKey{}).(target)
			resp.Header.Set("X-PushNchat-Cell", t.cell)
			if t.cell == controlPlane && resp.Request.URL.Path == "/v1/signup" && resp.StatusCode == http.StatusCreated {
				return rt.learnSignup(resp)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return // the client went away
			}
			t := r.Context().Value(targetKey{}).(target)
			f := classify(err, t.body)
			if f == failClient {
				err = t.body.cause()
			}
			rt.fail(w, r, rt.failed(t.cell, f, err))
		},
	}
}

// vouch puts on a request to a cell the client's address and the edge
// token that makes it believable (package clientaddr), having removed any
// a client sent — and a service token a client might try.
func (rt *Router) vouch(h http.Header, remoteAddr string) {
	dropForgeable(h)
	if rt.edgeToken == "" {
		return
	}
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		h.Set(clientaddr.Header, host)
		h.Set(clientaddr.TokenHeader, rt.edgeToken)
	}
}

// withoutCredentials strips what could let the web app act as the user or
// read their private data: the web tier is global and serves public pages
// only (docs/adr/0005-web-residency.md). Nor does it get the client's
// vouched address, which only cells may trust.
// The one cookie it keeps is the reader's language, a preference that
// names no one.
func withoutCredentials(h http.Header) {
	lang := ""
	for _, line := range h.Values("Cookie") {
		for _, c := range strings.Split(line, ";") {
			if name, v, _ := strings.Cut(strings.TrimSpace(c), "="); name == LanguageCookie && validLanguage(v) {
				lang = v
			}
		}
	}
	for _, k := range []string{"Authorization", "Cookie", "X-CSRF-Token"} {
		h.Del(k)
	}
	if lang != "" {
		h.Set("Cookie", LanguageCookie+"="+lang)
	}
	dropForgeable(h)
}

// LanguageCookie holds the language the reader chose in the web app.
const LanguageCookie = "pnc_locale"

// validLanguage admits a BCP 47 primary tag (two or three lower-case
// letters) and nothing else, so the cookie can carry no other data.
func validLanguage(v string) bool {
	if len(v) < 2 || len(v) > 3 {
		return false
	}
	for _, r := range v {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// dropForgeable removes what only the router or the control plane may
// send, whatever a client put there: a vouched address and a service token.
func dropForgeable(h http.Header) {
	h.Del(clientaddr.Header)
	h.Del(clientaddr.TokenHeader)
	h.Del(servicetoken.Header)
}

// learnSignup reads a successful sign-up's directory entry so that the
// new business is routable on the very next request.
func (rt *Router) learnSignup(resp *http.Response) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var rec cpclient.Record
	if json.Unmarshal(b, &rec) == nil && rec.TenantID != "" {
		rt.resolver.LearnTenant(rec)
	}
	return nil
}
