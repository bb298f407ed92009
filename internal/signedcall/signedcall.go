// Package signedcall is how the control plane's broker proves to a cell
// that a call into the cell's inbox is its own: each request carries a
// short-lived JWT (EdDSA, RFC 8037) naming the key that signed it, the
// cell it is for, the method, the path and a digest of the body, and a
// unique id. Cells hold only public keys, so no cell can forge a call to
// another. Keys rotate by id: cells accept every key in their set, the
// broker signs with its newest.
package signedcall

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Header carries the signature.
const Header = "X-Pushnchat-Signature"

// Lifetime is how long a signature is good for; a verifier remembers the
// ids it has seen for at least this long plus Leeway.
const Lifetime = time.Minute

// Leeway tolerates clocks this far apart.
const Leeway = 5 * time.Second

const issuer = "pushnchat-broker"

// claims are what a signature says.
type claims struct {
	jwt.RegisteredClaims
	Method string `json:"htm"`
	Path   string `json:"htu"`
	Body   string `json:"bsh"` // base64url SHA-256 of the body
}

// Signer signs calls with one private key.
type Signer struct {
	KeyID string
	Key   ed25519.PrivateKey
}

// Sign puts a signature on req for the cell named audience; body is the
// request's body (nil for none).
func (s Signer) Sign(req *http.Request, audience string, body []byte) error {
	now := time.Now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Audience: jwt.ClaimStrings{audience}, ID: rand.Text(),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(Lifetime)),
		},
		Method: req.Method, Path: req.URL.EscapedPath(), Body: digest(body),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = s.KeyID
	signed, err := t.SignedString(s.Key)
	if err != nil {
		return fmt.Errorf("signedcall: %w", err)
	}
	req.Header.Set(Header, signed)
	return nil
}

func digest(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Verifier checks signatures for one cell.
type Verifier struct {
	Audience string
	Keys     map[string]ed25519.PublicKey // by key id
	// Seen records a signature's id and reports false when it was already
	// recorded (a replay). It must remember ids for Lifetime + Leeway.
	Seen func(id string, ttl time.Duration) (bool, error)
}

// ErrRefused wraps every reason a call is refused.
var ErrRefused = errors.New("signed call refused")

// Verify checks req's signature and returns its body. Any failure wraps
// ErrRefused with the reason, for the log; a failure to reach the replay
// store is returned as it is.
func (v Verifier) Verify(req *http.Request, maxBody int64) ([]byte, error) {
	raw := req.Header.Get(Header)
	if raw == "" {
		return nil, fmt.Errorf("%w: no %s header", ErrRefused, Header)
	}
	var c claims
	_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := v.Keys[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return k, nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}), jwt.WithIssuer(issuer),
		jwt.WithAudience(v.Audience), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(Leeway))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	if c.Method != req.Method || c.Path != req.URL.EscapedPath() {
		return nil, fmt.Errorf("%w: signed for %s %s, used for %s %s", ErrRefused, c.Method, c.Path, req.Method, req.URL.EscapedPath())
	}
	if c.ExpiresAt.Sub(c.IssuedAt.Time) > Lifetime {
		return nil, fmt.Errorf("%w: lifetime longer than %s", ErrRefused, Lifetime)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, req.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrRefused, err)
	}
	if digest(body) != c.Body {
		return nil, fmt.Errorf("%w: the body is not the one signed", ErrRefused)
	}
	fresh, err := v.Seen(c.ID, Lifetime+2*Leeway)
	if err != nil {
		return nil, err
	}
	if !fresh {
		return nil, fmt.Errorf("%w: replay of signature %s", ErrRefused, c.ID)
	}
	return body, nil
}

// NewKey makes a key pair with a fresh id.
func NewKey() Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return Signer{KeyID: strings.ToLower(rand.Text()[:10]), Key: priv}
}

// Key files hold one key per line, "<key id> <base64 key>": private seeds
// for the broker (the last line signs), public keys for cells. Blank lines
// and lines starting with # are skipped.

// WritePrivate writes signers to path, readable by its owner only.
func WritePrivate(path string, signers ...Signer) error {
	var b bytes.Buffer
	for _, s := range signers {
		fmt.Fprintf(&b, "%s %s\n", s.KeyID, base64.StdEncoding.EncodeToString(s.Key.Seed()))
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// WritePublic writes the public halves of signers to path.
func WritePublic(path string, signers ...Signer) error {
	var b bytes.Buffer
	for _, s := range signers {
		fmt.Fprintf(&b, "%s %s\n", s.KeyID, base64.StdEncoding.EncodeToString(s.Key.Public().(ed25519.PublicKey)))
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// ReadSigner returns the newest (last) key of a private key file.
func ReadSigner(path string) (Signer, error) {
	var last Signer
	err := readKeys(path, ed25519.SeedSize, func(id string, k []byte) {
		last = Signer{KeyID: id, Key: ed25519.NewKeyFromSeed(k)}
	})
	if err == nil && last.KeyID == "" {
		err = fmt.Errorf("signedcall: %s holds no key", path)
	}
	return last, err
}

// ReadPublic returns every key of a public key file.
func ReadPublic(path string) (map[string]ed25519.PublicKey, error) {
	keys := map[string]ed25519.PublicKey{}
	err := readKeys(path, ed25519.PublicKeySize, func(id string, k []byte) { keys[id] = k })
	if err == nil && len(keys) == 0 {
		err = fmt.Errorf("signedcall: %s holds no key", path)
	}
	return keys, err
}

func readKeys(path string, size int, use func(id string, key []byte)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("signedcall: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, b64, ok := strings.Cut(line, " ")
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if !ok || err != nil || len(k) != size {
			return fmt.Errorf("signedcall: %s line %d: want \"<key id> <base64 key of %d bytes>\"", path, n, size)
		}
		use(id, k)
	}
	return sc.Err()
}
