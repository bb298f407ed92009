package cpserver

import (
	"context"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	client "github.com/envoyproxy/go-control-plane/pkg/client/sotw/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The control plane serves its cells over ADS, and a change of a cell's
// health is pushed to the data planes subscribed.
func TestXDSFollowsCellHealth(t *testing.T) {
	us := newFakeCell(t)
	p := startPlane(t, map[string]*fakeCell{"lagos-1": newFakeCell(t), "us-1": us}, func(c *Config) {
		c.XDSListen = "127.0.0.1:0"
		c.XDS.ListenPort, c.XDS.LookupHost, c.XDS.LookupPort = 8080, "127.0.0.1", 9001
		c.XDS.ConnectTimeout, c.XDS.RequestTimeout, c.XDS.MaxConnectionsPerCell = time.Second, time.Minute, 1000
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(p.XDSAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cds := client.NewADSClient(ctx, &corev3.Node{Id: "router-test"}, resource.ClusterType)
	if err := cds.InitConnect(conn); err != nil {
		t.Fatal(err)
	}
	got, err := cds.Fetch()
	if err != nil || len(got.Resources) != 3 {
		t.Fatalf("clusters: %d, %v; want lagos-1, us-1 and the lookup service", len(got.Resources), err)
	}
	if err := cds.Ack(); err != nil {
		t.Fatal(err)
	}
	us.Close() // us-1 stops answering: the next probe finds it down
	if _, err := cds.Fetch(); err != nil {
		t.Fatalf("no configuration pushed after us-1 went down: %v", err)
	}
	if c, _ := p.cells.get("us-1"); c.Healthy {
		t.Error("us-1 still healthy in the registry")
	}
}
