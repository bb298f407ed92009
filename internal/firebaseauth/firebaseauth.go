// Package firebaseauth knows who is calling a PushNchat service: it verifies
// Firebase ID tokens (Bearer, for apps) and session cookies (for the web),
// mints session cookies, and reads platform roles from custom claims.
package firebaseauth

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
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

// EmulatorEnv is the variable through which the Admin SDK talks to the
// Auth emulator and accepts its unsigned tokens.
const EmulatorEnv = "FIREBASE_AUTH_EMULATOR_HOST"

// NewVerifier returns a verifier for a Firebase project. Emulator mode —
// the Auth emulator's tokens, which are unsigned, so anyone can write one
// with any claims — is on only when emulatorHost is given, only for a
// "demo-" project (Firebase's namespace for projects that cannot exist in
// production), and it is logged as a warning at start. The Admin SDK turns
// emulator mode on by itself whenever EmulatorEnv is in the process's
// environment, so a process that finds it there without being asked for
// the emulator refuses to start rather than trust unsigned tokens.
func NewVerifier(ctx context.Context, projectID, emulatorHost string, log *slog.Logger) (*Verifier, error) {
	if emulatorHost == "" {
		// The SDK reads the environment itself; this check must read the same.
		if v, ok := os.LookupEnv(EmulatorEnv); ok {
			return nil, fmt.Errorf("firebaseauth: %s=%q is set, which makes the Firebase SDK accept unsigned tokens; unset it, or ask for the emulator explicitly (-firebase-emulator)", EmulatorEnv, v)
		}
	} else {
		if !strings.HasPrefix(projectID, "demo-") {
			return nil, fmt.Errorf("firebaseauth: the Auth emulator is only for demo- projects, not %q: its tokens are unsigned", projectID)
		}
		if err := os.Setenv(EmulatorEnv, emulatorHost); err != nil {
			return nil, err
		}
		log.Warn("AUTH EMULATOR MODE: unsigned ID tokens from the Firebase Auth emulator are accepted; development and tests only",
			"emulator", emulatorHost, "project", projectID)
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
