package firebaseauth

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// Emulator mode — unsigned tokens with any claims — is never switched on
// by the environment alone, never for a real project, and never quietly.
func TestEmulatorModeIsExplicit(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	t.Setenv(EmulatorEnv, "127.0.0.1:9099")
	if _, err := NewVerifier(ctx, "pushnchat-prod", "", log); err == nil || !strings.Contains(err.Error(), EmulatorEnv) {
		t.Errorf("with %s in the environment and no emulator asked for: %v; want a refusal naming it", EmulatorEnv, err)
	}
	if _, err := NewVerifier(ctx, "pushnchat-prod", "127.0.0.1:9099", log); err == nil || !strings.Contains(err.Error(), "demo-") {
		t.Errorf("the emulator for a real project: %v; want a refusal", err)
	}
	if _, err := NewVerifier(ctx, "demo-pushnchat", "127.0.0.1:9099", log); err != nil {
		t.Fatalf("the emulator for a demo project: %v", err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "AUTH EMULATOR MODE") {
		t.Errorf("emulator mode was not logged as a warning: %q", logs.String())
	}

	os.Unsetenv(EmulatorEnv)
	logs.Reset()
	if _, err := NewVerifier(ctx, "pushnchat-prod", "", log); err != nil {
		t.Fatalf("a real project without the emulator: %v", err)
	}
	if logs.Len() != 0 {
		t.Errorf("a real project logged %q", logs.String())
	}
}
