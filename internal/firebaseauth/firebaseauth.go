// Package firebaseauth knows who is calling a PushNchat service: it verifies
// Firebase ID tokens (Bearer, for apps) and session cookies (for the web),
// mints session cookies, and reads platform roles from custom claims.
package firebaseauth

import (
	"context"
	"fmt"
	"os"
	"time"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/auth"
	"google.golang.org/api/option"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// Identity is what a verified token says about its holder.
type Identity struct {
	UID           string
	Email         string
	Name          string
	PlatformRoles []string // admin-ops, compliance, sre
	AuthTime      time.Time
}

// PlatformRolesClaim is the custom claim listing a user's platform roles.
const PlatformRolesClaim = "platform_roles"

// SessionTTL is the lifetime of a web session cookie.
const SessionTTL = 5 * 24 * time.Hour

// Verifier checks Firebase credentials.
type Verifier struct {
	client *auth.Client
}

// NewVerifier returns a verifier for a Firebase project. With emulatorHost
// set ("127.0.0.1:9099") it talks to the Auth emulator, whose tokens are
// unsigned; the Admin SDK reads that setting from the environment only, so
// it is set there.
func NewVerifier(ctx context.Context, projectID, emulatorHost string) (*Verifier, error) {
	if emulatorHost != "" {
		if err := os.Setenv("FIREBASE_AUTH_EMULATOR_HOST", emulatorHost); err != nil {
			return nil, err
		}
	}
	app, err := firebase.NewApp(ctx, &firebase.Config{ProjectID: projectID}, option.WithoutAuthentication())
	if err != nil {
		return nil, fmt.Errorf("firebaseauth: firebase app: %w", err)
	}
	c, err := app.Auth(ctx)
	if err != nil {
		return nil, fmt.Errorf("firebaseauth: firebase auth: %w", err)
	}
	return &Verifier{client: c}, nil
}

// VerifyIDToken checks a Bearer ID token.
func (v *Verifier) VerifyIDToken(ctx context.Context, token string) (Identity, error) {
	t, err := v.client.VerifyIDToken(ctx, token)
	if err != nil {
		return Identity{}, errs.Wrap(errs.Unauthenticated, err, "the ID token is invalid or expired")
	}
	return identity(t), nil
}

// VerifySessionCookie checks a web session cookie.
func (v *Verifier) VerifySessionCookie(ctx context.Context, cookie string) (Identity, error) {
	t, err := v.client.VerifySessionCookie(ctx, cookie)
	if err != nil {
		return Identity{}, errs.Wrap(errs.Unauthenticated, err, "the session is invalid or expired")
	}
	return identity(t), nil
}

// SessionCookie exchanges a fresh ID token for a session cookie. Firebase
// requires a recent sign-in (the token's auth_time within 5 minutes).
func (v *Verifier) SessionCookie(ctx context.Context, idToken string) (string, error) {
	id, err := v.VerifyIDToken(ctx, idToken)
	if err != nil {
		return "", err
	}
	if time.Since(id.AuthTime) > 5*time.Minute {
		return "", errs.E(errs.Unauthenticated, "sign in again: a session needs a sign-in from the last 5 minutes")
	}
	c, err := v.client.SessionCookie(ctx, idToken, SessionTTL)
	if err != nil {
		return "", errs.Wrap(errs.Unauthenticated, err, "could not create a session from this ID token")
	}
	return c, nil
}

func identity(t *auth.Token) Identity {
	id := Identity{UID: t.UID, AuthTime: time.Unix(t.AuthTime, 0)}
	id.Email, _ = t.Claims["email"].(string)
	id.Name, _ = t.Claims["name"].(string)
	if roles, ok := t.Claims[PlatformRolesClaim].([]any); ok {
		for _, r := range roles {
			switch pr := fmt.Sprint(r); pr {
			case "admin-ops", "compliance", "sre":
				id.PlatformRoles = append(id.PlatformRoles, pr)
			}
		}
	}
	return id
}
