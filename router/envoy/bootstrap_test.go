// Package envoy holds the production Envoy's bootstrap; its test checks
// the file the way Envoy would read it, since Envoy itself cannot be
// installed on the build machines.
package envoy

import (
	"encoding/json"
	"os"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/resource_monitors/downstream_connections/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/resource_monitors/fixed_heap/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
)

// The bootstrap parses into Envoy's Bootstrap proto, strictly (an unknown
// field is an error, as for Envoy), passes its validation rules, and says
// what the fleet relies on: ADS for everything, admin on localhost only,
// an overload manager.
func TestBootstrap(t *testing.T) {
	raw, err := os.ReadFile("bootstrap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(js, &b); err != nil {
		t.Fatalf("bootstrap.yaml is not an Envoy bootstrap: %v", err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("bootstrap.yaml: %v", err)
	}
	ads := b.GetDynamicResources().GetAdsConfig()
	if ads.GetApiType().String() != "GRPC" || b.GetDynamicResources().GetCdsConfig().GetAds() == nil || b.GetDynamicResources().GetLdsConfig().GetAds() == nil {
		t.Error("clusters and listeners must come over ADS (gRPC)")
	}
	if a := b.GetAdmin().GetAddress().GetSocketAddress().GetAddress(); a != "127.0.0.1" {
		t.Errorf("admin listens on %q; it must be localhost only", a)
	}
	if len(b.GetOverloadManager().GetResourceMonitors()) == 0 || len(b.GetOverloadManager().GetActions()) == 0 {
		t.Error("no overload manager")
	}
	if len(b.GetStaticResources().GetListeners()) != 0 {
		t.Error("listeners are the control plane's to send, not the bootstrap's")
	}
}
