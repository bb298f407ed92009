package clientaddr

import (
	"net/http"
	"testing"
)

func TestOfBelievesTheHeaderOnlyWithTheToken(t *testing.T) {
	for _, tc := range []struct {
		name, token, ip, sent, want string
	}{
		{"router with the token", "edge-secret", "203.0.113.7", "edge-secret", "203.0.113.7"},
		{"wrong token", "edge-secret", "203.0.113.7", "guess", "10.0.0.2"},
		{"no token sent", "edge-secret", "203.0.113.7", "", "10.0.0.2"},
		{"cell without a token", "", "203.0.113.7", "", "10.0.0.2"},
		{"not an address", "edge-secret", "<script>", "edge-secret", "10.0.0.2"},
		{"IPv6", "edge-secret", "2001:db8::1", "edge-secret", "2001:db8::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: "10.0.0.2:41000", Header: http.Header{}}
			if tc.ip != "" {
				r.Header.Set(Header, tc.ip)
			}
			if tc.sent != "" {
				r.Header.Set(TokenHeader, tc.sent)
			}
			if got := Of(r, tc.token); got != tc.want {
				t.Errorf("Of = %q; want %q", got, tc.want)
			}
		})
	}
}
