package xds

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/encoding/protojson"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var cfg = Config{ListenPort: 8080, LookupHost: "router-lookup.pushnchat.internal", LookupPort: 9001,
	ConnectTimeout: time.Second, MaxConnectionsPerCell: 10000, RequestTimeout: 60 * time.Second}

// five is the default deployment: lagos-1 with two primaries and an
// in-jurisdiction standby (one primary down), the others one replica each.
var five = []Cell{
	{Name: "us-1", Endpoints: []Endpoint{{Host: "10.4.0.10", Port: 8080, Healthy: true}}},
	{Name: "lagos-1", Endpoints: []Endpoint{
		{Host: "10.1.0.11", Port: 8080, Healthy: false},
		{Host: "10.1.0.10", Port: 8080, Healthy: true},
		{Host: "10.1.1.10", Port: 8080, Healthy: true, Standby: true},
	}},
	{Name: "johannesburg-1", Endpoints: []Endpoint{{Host: "10.2.0.10", Port: 8080, Healthy: true}}},
	{Name: "nairobi-1", Endpoints: []Endpoint{{Host: "10.3.0.10", Port: 8080, Healthy: true}}},
	{Name: "eu-1", Endpoints: []Endpoint{{Host: "10.5.0.10", Port: 8080, Healthy: true}}},
}

// render writes every resource of a snapshot as indented JSON, by type
// then name: the golden file is the reference of what Envoy is sent.
func render(t *testing.T, version string, cells []Cell) []byte {
	t.Helper()
	snap, err := Build(version, cfg, cells)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, typ := range []string{resource.ListenerType, resource.RouteType, resource.ClusterType, resource.EndpointType} {
		items := snap.GetResources(typ)
		names := make([]string, 0, len(items))
		for n := range items {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			raw, err := protojson.Marshal(items[n])
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			out.WriteString("# " + typ[strings.LastIndex(typ, ".")+1:] + " " + n + " (version " + snap.GetVersion(typ) + ")\n")
			out.Write(pretty.Bytes())
			out.WriteString("\n")
		}
	}
	return out.Bytes()
}

func TestSnapshotGolden(t *testing.T) {
	got := render(t, "1", five)
	path := filepath.Join("testdata", "snapshot.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the snapshot differs from %s; review the change and run go test ./control-plane/internal/xds -update", path)
	}
	// The same cells in another order are the same snapshot.
	reversed := append([]Cell(nil), five...)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	if !bytes.Equal(render(t, "1", reversed), got) {
		t.Error("the snapshot depends on the order the cells came in")
	}
}

// What the proto rules refuse is refused before anything is served.
func TestSnapshotRefusesInvalidResources(t *testing.T) {
	for name, cells := range map[string][]Cell{
		"a cell without a name":    {{Name: "", Endpoints: []Endpoint{{Host: "10.0.0.1", Port: 8080, Healthy: true}}}},
		"a port out of range":      {{Name: "lagos-1", Endpoints: []Endpoint{{Host: "10.0.0.1", Port: 70000, Healthy: true}}}},
		"an endpoint without host": {{Name: "lagos-1", Endpoints: []Endpoint{{Host: "", Port: 8080, Healthy: true}}}},
	} {
		if _, err := Build("1", cfg, cells); err == nil {
			t.Errorf("%s: built", name)
		}
	}
	bad := cfg
	bad.ConnectTimeout = 0
	if _, err := Build("1", bad, five); err == nil {
		t.Error("a zero connect timeout: built")
	}
}
