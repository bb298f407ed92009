package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pushnchat/pushnchat/internal/proc"
)

// DemoProject is the Firebase project id of local development and tests. A
// "demo-" project needs no credentials and never reaches Google.
const DemoProject = "demo-pushnchat"

// AuthEmulatorConfig describes a Firebase Auth emulator.
type AuthEmulatorConfig struct {
	Firebase string // the firebase-tools CLI; required
	Dir      string // where its firebase.json is written
	Project  string // DemoProject when empty
	// Port on 127.0.0.1 for the Auth API; the emulator hub and logging
	// ports follow it (Port+1, Port+2). All free ones when zero.
	Port int
	// StateDir, when set, keeps users across restarts: the emulator imports
	// it at start (when it exists) and exports to it when stopped.
	StateDir string
	Log      io.Writer
}

// AuthEmulator is a running Firebase Auth emulator.
type AuthEmulator struct {
	server
	project string
	port    int
}

// StartAuthEmulator starts the emulator and waits until it serves requests.
func StartAuthEmulator(ctx context.Context, cfg AuthEmulatorConfig) (*AuthEmulator, error) {
	if err := needExecutable("firebase", cfg.Firebase); err != nil {
		return nil, err
	}
	if cfg.Project == "" {
		cfg.Project = DemoProject
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("devstack: auth emulator: %w", err)
	}
	var fixed []int
	if cfg.Port > 0 {
		fixed = []int{cfg.Port, cfg.Port + 1, cfg.Port + 2}
	}
	a := &AuthEmulator{project: cfg.Project}
	err := startOnPorts(fixed, 3, func(ports []int) (*proc.Process, error) {
		conf := map[string]any{"emulators": map[string]any{
			"auth":    map[string]any{"host": "127.0.0.1", "port": ports[0]},
			"hub":     map[string]any{"host": "127.0.0.1", "port": ports[1]},
			"logging": map[string]any{"host": "127.0.0.1", "port": ports[2]},
			"ui":      map[string]any{"enabled": false},
		}}
		b, err := json.MarshalIndent(conf, "", "  ")
		if err != nil {
			return nil, err
		}
		confPath := filepath.Join(cfg.Dir, "firebase.json")
		if err := os.WriteFile(confPath, b, 0o600); err != nil {
			return nil, err
		}
		args := []string{"emulators:start", "--only", "auth", "--project", cfg.Project, "--config", confPath}
		if cfg.StateDir != "" {
			if _, err := os.Stat(filepath.Join(cfg.StateDir, "firebase-export-metadata.json")); err == nil {
				args = append(args, "--import", cfg.StateDir)
			}
			args = append(args, "--export-on-exit", cfg.StateDir)
		}
		p, err := proc.Start(proc.Spec{
			Name: "firebase auth emulator",
			Path: cfg.Firebase,
			Args: args,
			Dir:  cfg.Dir,
			Env: []string{
				"NO_UPDATE_NOTIFIER=1",
				"FIREBASE_CLI_DISABLE_UPDATE_CHECK=true",
				"CI=true", // never prompt
			},
			Log:         cfg.Log,
			StopSignal:  syscall.SIGINT,
			StopTimeout: 20 * time.Second, // time to export its state
		})
		if err != nil {
			return nil, err
		}
		a.port, a.proc = ports[0], p
		return p, p.WaitReady(ctx, 90*time.Second, a.ready)
	})
	if err != nil {
		return nil, fmt.Errorf("devstack: auth emulator: %w", err)
	}
	return a, nil
}

func (a *AuthEmulator) ready(ctx context.Context) error {
	_, err := getOK(ctx, a.URL()+"/emulator/v1/projects/"+a.project+"/config")
	return err
}

// Host is host:port, the value of FIREBASE_AUTH_EMULATOR_HOST.
func (a *AuthEmulator) Host() string { return hostPort(a.port) }

// URL is the emulator's base URL.
func (a *AuthEmulator) URL() string { return "http://" + a.Host() }

// Project is the Firebase project id the emulator serves.
func (a *AuthEmulator) Project() string { return a.project }

// Port is the Auth API port.
func (a *AuthEmulator) Port() int { return a.port }
