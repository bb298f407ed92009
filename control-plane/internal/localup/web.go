package localup

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/probe"
	"github.com/pushnchat/pushnchat/internal/proc"
)

// webProgram is the web app's production server (web/server/index.mjs:
// Next.js over the build in web/.next, with compression), reached through
// the router; its server reads public market data only, from api (the
// router).
func webProgram(webDir string, port int, api string, auth *devstack.AuthEmulator) (*program, error) {
	if _, err := os.Stat(filepath.Join(webDir, "node_modules", "next")); err != nil {
		return nil, fmt.Errorf("no Next.js in %s; run scripts/bootstrap", webDir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("no node on PATH; run scripts/bootstrap")
	}
	if _, err := os.Stat(filepath.Join(webDir, ".next", "BUILD_ID")); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the web app in %s is not built; run `make build`", webDir)
	}
	addr := hostPort(port)
	return &program{name: "web", ready: probe.Ready("http://" + addr + "/"), spec: proc.Spec{
		Path: node,
		Args: []string{"server/index.mjs", "--hostname", "127.0.0.1", "--port", strconv.Itoa(port)},
		Dir:  webDir,
		// Next.js takes a second or two to stop when idle, far more on a
		// loaded machine.
		StopTimeout: 30 * time.Second,
		// The browser signs in against the Auth emulator (its address is
		// handed to the sign-in screens).
		Env: []string{"NODE_ENV=production", "NEXT_TELEMETRY_DISABLED=1", "PUSHNCHAT_API_ORIGIN=" + api,
			"FIREBASE_PROJECT_ID=" + auth.Project(), "FIREBASE_AUTH_EMULATOR_HOST=" + auth.Host()},
	}}, nil
}
