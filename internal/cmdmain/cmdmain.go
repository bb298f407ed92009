// Package cmdmain is what the main of every PushNchat service does: run the
// command's body with the process's arguments, environment and output, and
// on an error say so and exit 1. Flags default to environment variables
// through Env.
package cmdmain

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Func is a command's body: its arguments (without the program name), the
// environment and its output, all passed in so tests can run it.
type Func func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Main runs f as the process, with a context that ends on SIGINT or
// SIGTERM (a deploy's stop: f shuts down gracefully); an error is printed
// as "name: error" and the process exits with status 1.
func Main(name string, f Func) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := f(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Env returns a lookup of environment variables for flag defaults: the
// variable's value, or def when it is unset or empty.
func Env(getenv func(string) string) func(key, def string) string {
	return func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
}
