package signedcall

import (
	"bytes"
	"errors"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type seen struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (s *seen) record(id string, _ time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id] {
		return false, nil
	}
	s.ids[id] = true
	return true, nil
}

func request(t *testing.T, method, path string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, "http://cell.test"+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A call verifies only when the broker's key signed exactly this method,
// path and body for this cell, within its minute, once.
func TestVerify(t *testing.T) {
	broker, stranger := NewKey(), NewKey()
	dir := t.TempDir()
	if err := WritePublic(filepath.Join(dir, "pub"), broker); err != nil {
		t.Fatal(err)
	}
	keys, err := ReadPublic(filepath.Join(dir, "pub"))
	if err != nil {
		t.Fatal(err)
	}
	v := Verifier{Audience: "lagos-1", Keys: keys, Seen: (&seen{ids: map[string]bool{}}).record}
	body := []byte(`{"deliveries":[]}`)
	signed := func(s Signer, aud, method, path string, b []byte) *http.Request {
		r := request(t, method, path, b)
		if err := s.Sign(r, aud, b); err != nil {
			t.Fatal(err)
		}
		return r
	}
	good := signed(broker, "lagos-1", "PUT", "/internal/v1/inbox/1", body)
	if got, err := v.Verify(good, 1<<20); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("the broker's call: %q, %v", got, err)
	}
	replay := request(t, "PUT", "/internal/v1/inbox/1", body)
	replay.Header = good.Header
	expired := request(t, "PUT", "/internal/v1/inbox/1", body)
	old := time.Now().Add(-2 * Lifetime)
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer,
		Audience: jwt.ClaimStrings{"lagos-1"}, ID: "old", IssuedAt: jwt.NewNumericDate(old), ExpiresAt: jwt.NewNumericDate(old.Add(Lifetime))},
		Method: "PUT", Path: "/internal/v1/inbox/1", Body: digest(body)})
	tok.Header["kid"] = broker.KeyID
	s, _ := tok.SignedString(broker.Key)
	expired.Header.Set(Header, s)
	none := request(t, "PUT", "/internal/v1/inbox/1", body)
	altered := request(t, "PUT", "/internal/v1/inbox/1", []byte(`{"deliveries":[{}]}`))
	altered.Header = signed(broker, "lagos-1", "PUT", "/internal/v1/inbox/1", body).Header
	moved := request(t, "PUT", "/internal/v1/inbox/2", body)
	moved.Header = signed(broker, "lagos-1", "PUT", "/internal/v1/inbox/1", body).Header
	for name, r := range map[string]*http.Request{
		"replayed":                replay,
		"expired":                 expired,
		"unsigned":                none,
		"signed by a stranger":    signed(stranger, "lagos-1", "PUT", "/internal/v1/inbox/1", body),
		"signed for another cell": signed(broker, "us-1", "PUT", "/internal/v1/inbox/1", body),
		"with another body":       altered,
		"on another path":         moved,
		"with another method":     signed(broker, "lagos-1", "POST", "/internal/v1/inbox/1", body),
	} {
		if name == "with another method" {
			r.Method = "PUT"
		}
		if _, err := v.Verify(r, 1<<20); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v; want refused", name, err)
		}
	}
}

// Keys rotate by id: a cell trusting the old and the new key takes calls
// signed with either, and the broker signs with the newest in its file.
func TestRotation(t *testing.T) {
	old, next := NewKey(), NewKey()
	dir := t.TempDir()
	if err := WritePrivate(filepath.Join(dir, "key"), old, next); err != nil {
		t.Fatal(err)
	}
	signer, err := ReadSigner(filepath.Join(dir, "key"))
	if err != nil || signer.KeyID != next.KeyID {
		t.Fatalf("the broker signs with %q (%v); want the newest, %q", signer.KeyID, err, next.KeyID)
	}
	if err := WritePublic(filepath.Join(dir, "pub"), old, next); err != nil {
		t.Fatal(err)
	}
	keys, err := ReadPublic(filepath.Join(dir, "pub"))
	if err != nil {
		t.Fatal(err)
	}
	v := Verifier{Audience: "us-1", Keys: keys, Seen: (&seen{ids: map[string]bool{}}).record}
	for _, s := range []Signer{old, signer} {
		r := request(t, "PUT", "/x", nil)
		s.Sign(r, "us-1", nil)
		if _, err := v.Verify(r, 10); err != nil {
			t.Errorf("key %s: %v", s.KeyID, err)
		}
	}
}
