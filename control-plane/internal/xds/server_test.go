package xds

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	client "github.com/envoyproxy/go-control-plane/pkg/client/sotw/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A data plane on the ADS stream gets the fleet's clusters, a new version
// when the cells change (and none when they do not), and its rejection of
// a version is logged.
func TestServeADS(t *testing.T) {
	var logs lockedBuffer
	s, err := Serve("127.0.0.1:0", cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if v, err := s.Update(ctx, five); err != nil || v != "1" {
		t.Fatalf("first update: %q, %v", v, err)
	}
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cds := client.NewADSClient(ctx, &corev3.Node{Id: "router-a"}, resource.ClusterType)
	if err := cds.InitConnect(conn); err != nil {
		t.Fatal(err)
	}
	got, err := cds.Fetch()
	if err != nil || len(got.Resources) != 6 {
		t.Fatalf("clusters: %d, %v; want 5 cells and the lookup service", len(got.Resources), err)
	}
	if err := cds.Ack(); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Update(ctx, append([]Cell(nil), five...)); v != "1" {
		t.Errorf("the same cells made version %s", v)
	}
	more := append([]Cell{{Name: "lagos-2", Endpoints: []Endpoint{{Host: "10.1.2.10", Port: 8080, Healthy: true}}}}, five...)
	if v, err := s.Update(ctx, more); err != nil || v != "2" {
		t.Fatalf("a cell added: %q, %v", v, err)
	}
	got, err = cds.Fetch()
	if err != nil || len(got.Resources) != 7 {
		t.Fatalf("clusters after lagos-2 was added: %d, %v", len(got.Resources), err)
	}
	if err := cds.Nack("cannot apply lagos-2"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "cannot apply lagos-2") {
		if time.Now().After(deadline) {
			t.Fatalf("the rejection was not logged: %s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A snapshot that fails its checks is not served: the fleet stays on 2.
	if _, err := s.Update(ctx, []Cell{{Name: ""}}); err == nil {
		t.Error("an invalid cell list was accepted")
	}
	if v, _ := s.Update(ctx, more); v != "2" {
		t.Errorf("after a refused update the version is %s; want 2", v)
	}
}
