package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pushnchat/pushnchat/control-plane/internal/localup"
	"github.com/pushnchat/pushnchat/internal/devstack"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
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

func getJSON(ctx context.Context, url, token string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	servicetoken.Set(req, token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("control plane unreachable: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var p struct{ Detail string }
		_ = json.Unmarshal(b, &p)
		return fmt.Errorf("%s: %s", resp.Status, p.Detail)
	}
	return json.Unmarshal(b, out)
}

func runCells(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_, parse := controlPlane("cells", args, stderr)
	url, token, err := parse()
	if err != nil {
		return err
	}
	var body struct {
		Items []struct {
			Name, Jurisdiction, URL string
			Healthy                 bool
			Tenants                 int
		}
	}
	if err := getJSON(ctx, url+"/v1/cells", token, &body); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tJURISDICTION\tHEALTH\tTENANTS\tURL")
	for _, c := range body.Items {
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
	var t struct {
		TenantID string `json:"tenant_id"`
		Slug     string
		Country  string
		HomeCell string `json:"home_cell"`
		Status   string
		Rules    []string
		Version  int64
	}
	if err := getJSON(ctx, url+"/v1/directory/tenants/"+slug, token, &t); err != nil {
		return err
	}
	j, _ := residency.CellJurisdiction(t.HomeCell)
	d := residency.Place(residency.PlaceRequest{Country: t.Country, Authorised: true})
	fmt.Fprintf(stdout, "tenant        %s (%s)\ncountry       %s\nhome cell     %s\njurisdiction  %s\nstatus        %s (version %d)\nplaced by     %s\npolicy now    %s\n",
		t.Slug, t.TenantID, t.Country, t.HomeCell, j, t.Status, t.Version, strings.Join(t.Rules, ", "), d.Explanation)
	return nil
}
