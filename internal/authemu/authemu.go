// Package authemu is a client for the Firebase Auth emulator's REST API
// (the identitytoolkit endpoints plus the emulator's own). Tests and the
// local platform use it to create users, sign them in, read their ID tokens
// and set custom claims, exactly as a client app and an admin would.
package authemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// apiKey is any value: the emulator does not check API keys.
const apiKey = "emulator-api-key"

// Client talks to one emulator, for one project.
type Client struct {
	base    string // e.g. http://127.0.0.1:9099
	project string
	http    *http.Client
}

// New returns a client for the emulator at host ("127.0.0.1:9099") serving
// project.
func New(host, project string) *Client {
	return &Client{base: "http://" + host, project: project, http: &http.Client{}}
}

// Session is a signed-in user.
type Session struct {
	UID          string `json:"localId"`
	Email        string `json:"email"`
	IDToken      string `json:"idToken"`
	RefreshToken string `json:"refreshToken"`
}

// SignUp creates a user with email and password and signs it in.
func (c *Client) SignUp(ctx context.Context, email, password string) (Session, error) {
	var s Session
	err := c.call(ctx, http.MethodPost, "/identitytoolkit.googleapis.com/v1/accounts:signUp?key="+apiKey, false,
		map[string]any{"email": email, "password": password, "returnSecureToken": true}, &s)
	if err != nil {
		return Session{}, fmt.Errorf("authemu: sign up %s: %w", email, err)
	}
	return s, nil
}

// SignIn signs a user in with email and password; the ID token carries the
// user's current custom claims.
func (c *Client) SignIn(ctx context.Context, email, password string) (Session, error) {
	var s Session
	err := c.call(ctx, http.MethodPost, "/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key="+apiKey, false,
		map[string]any{"email": email, "password": password, "returnSecureToken": true}, &s)
	if err != nil {
		return Session{}, fmt.Errorf("authemu: sign in %s: %w", email, err)
	}
	return s, nil
}

// SetCustomClaims replaces a user's custom claims, as the Admin SDK would.
// They appear in ID tokens issued after the call (sign in again).
func (c *Client) SetCustomClaims(ctx context.Context, uid string, claims map[string]any) error {
	b, err := json.Marshal(claims)
	if err != nil {
		return fmt.Errorf("authemu: claims of %s: %w", uid, err)
	}
	err = c.call(ctx, http.MethodPost, "/identitytoolkit.googleapis.com/v1/projects/"+url.PathEscape(c.project)+"/accounts:update", true,
		map[string]any{"localId": uid, "customAttributes": string(b)}, nil)
	if err != nil {
		return fmt.Errorf("authemu: set claims of %s: %w", uid, err)
	}
	return nil
}

// DeleteAllUsers removes every user of the project.
func (c *Client) DeleteAllUsers(ctx context.Context) error {
	if err := c.call(ctx, http.MethodDelete, "/emulator/v1/projects/"+url.PathEscape(c.project)+"/accounts", true, nil, nil); err != nil {
		return fmt.Errorf("authemu: delete users: %w", err)
	}
	return nil
}

// call sends a JSON request; admin calls carry the emulator's owner
// credential. A non-2xx answer becomes an error with the emulator's message.
func (c *Client) call(ctx context.Context, method, path string, admin bool, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if admin {
		req.Header.Set("Authorization", "Bearer owner")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error.Message)
		}
		return fmt.Errorf("%s", resp.Status)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
	}
	return nil
}
