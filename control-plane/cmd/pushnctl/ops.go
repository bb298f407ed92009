package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pushnchat/pushnchat/control-plane/internal/localup"
	"github.com/pushnchat/pushnchat/internal/cpclient"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/residency"
)

// controlPlane reads the flags naming the control plane to ask.
func controlPlane(name string, args []string, stderr io.Writer) (*flag.FlagSet, func() (string, string, error)) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("control-plane", fmt.Sprintf("http://127.0.0.1:%d", localup.PortPlan(17000).ControlPlane), "control plane URL")
	token := fs.String("service-token", "", "service token (default: the local platform's)")
	return fs, func() (string, string, error) {
		if err := fs.Parse(args); err != nil {
			return "", "", err
		}
		if *token == "" {
			root, err := devstack.RepoRoot(".")
			if err != nil {
				return "", "", err
			}
			b, err := os.ReadFile(filepath.Join(root, ".pushnchat", "service-token"))
			if err != nil {
				return "", "", fmt.Errorf("no -service-token and no local platform token (%v); is `make up` running?", err)
			}
			*token = strings.TrimSpace(string(b))
		}
		return strings.TrimRight(*url, "/"), *token, nil
	}
}

func runCells(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_, parse := controlPlane("cells", args, stderr)
	url, token, err := parse()
	if err != nil {
		return err
	}
	cells, err := cpclient.New(url, token, 10*time.Second).Cells(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tJURISDICTION\tHEALTH\tTENANTS\tURL")
	for _, c := range cells {
		health := "down"
		if c.Healthy {
			health = "up"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", c.Name, c.Jurisdiction, health, c.Tenants, c.URL)
	}
	return tw.Flush()
}

func runTenantWhere(ctx context.Context, slug string, args []string, stdout, stderr io.Writer) error {
	_, parse := controlPlane("tenant where", args, stderr)
	url, token, err := parse()
	if err != nil {
		return err
	}
	t, err := cpclient.New(url, token, 10*time.Second).Tenant(ctx, slug)
	if errors.Is(err, cpclient.ErrNotFound) {
		return fmt.Errorf("no business %q in the directory", slug)
	}
	if err != nil {
		return err
	}
	j, _ := residency.CellJurisdiction(t.HomeCell)
	d := residency.Place(residency.PlaceRequest{Country: t.Country, Authorised: true})
	fmt.Fprintf(stdout, "tenant        %s (%s)\ncountry       %s\nhome cell     %s\njurisdiction  %s\nstatus        %s (version %d)\nplaced by     %s\npolicy now    %s\n",
		t.Slug, t.TenantID, t.Country, t.HomeCell, j, t.Status, t.Version, strings.Join(t.Rules, ", "), d.Explanation)
	return nil
}
