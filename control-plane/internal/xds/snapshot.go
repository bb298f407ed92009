// Package xds builds the configuration the control plane serves over
// Envoy's xDS protocol (go-control-plane's snapshot cache): one Listener
// whose HTTP connection manager asks the router's lookup service
// (ext_authz) which cell a request belongs to and routes by the answer's
// x-pushnchat-cell header, one EDS cluster per cell whose endpoints come
// from Consul's health (priority 0 the primary replicas, priority 1 the
// in-jurisdiction standbys), and the lookup service's own cluster. A
// production Envoy fleet and the router's Go data plane read the same
// snapshot.
package xds

import (
	"fmt"
	"sort"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Names of the resources every snapshot holds.
const (
	ListenerName  = "pushnchat_http"
	RouteName     = "pushnchat_routes"
	LookupCluster = "pushnchat_lookup"
	// CellHeader is where the lookup service's answer names the cell; the
	// route sends the request to the cluster of that name.
	CellHeader = "x-pushnchat-cell"
)

// Endpoint is one replica of a cell.
type Endpoint struct {
	Host    string
	Port    uint32
	Standby bool // in-jurisdiction standby: priority 1
	Healthy bool
}

// Cell is a cell and its replicas.
type Cell struct {
	Name      string
	Endpoints []Endpoint
}

// Config says where the listener listens and where the lookup service is.
type Config struct {
	ListenPort            uint32
	LookupHost            string
	LookupPort            uint32
	ConnectTimeout        time.Duration
	MaxConnectionsPerCell uint32
	RequestTimeout        time.Duration
}

// Build returns the snapshot of version for cells, consistent (every
// cluster's endpoints and the listener's route are in it) and with every
// resource valid by its proto rules.
func Build(version string, cfg Config, cells []Cell) (*cache.Snapshot, error) {
	cells = normalize(cells)
	var clusters, assignments []types.Resource
	for _, c := range cells {
		clusters = append(clusters, cellCluster(c.Name, cfg))
		assignments = append(assignments, assignment(c))
	}
	clusters = append(clusters, lookupCluster(cfg))
	lis, err := listener(cfg)
	if err != nil {
		return nil, err
	}
	snap, err := cache.NewSnapshot(version, map[resource.Type][]types.Resource{
		resource.ListenerType: {lis},
		resource.RouteType:    {routes(cfg)},
		resource.ClusterType:  clusters,
		resource.EndpointType: assignments,
	})
	if err != nil {
		return nil, fmt.Errorf("xds: %w", err)
	}
	if err := snap.Consistent(); err != nil {
		return nil, fmt.Errorf("xds: inconsistent snapshot: %w", err)
	}
	for _, byName := range snap.Resources {
		for name, r := range byName.Items {
			v, ok := r.Resource.(interface{ ValidateAll() error })
			if !ok {
				return nil, fmt.Errorf("xds: %s has no validation", name)
			}
			if err := v.ValidateAll(); err != nil {
				return nil, fmt.Errorf("xds: %s: %w", name, err)
			}
		}
	}
	return snap, nil
}

// normalize orders cells by name and each cell's endpoints by address, so
// the same cells always make the same snapshot.
func normalize(cells []Cell) []Cell {
	out := make([]Cell, len(cells))
	for i, c := range cells {
		eps := append([]Endpoint(nil), c.Endpoints...)
		sort.Slice(eps, func(i, j int) bool {
			return fmt.Sprintf("%s:%d", eps[i].Host, eps[i].Port) < fmt.Sprintf("%s:%d", eps[j].Host, eps[j].Port)
		})
		out[i] = Cell{Name: c.Name, Endpoints: eps}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ads says a resource comes over the same ADS stream.
func ads() *corev3.ConfigSource {
	return &corev3.ConfigSource{ResourceApiVersion: corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}}
}

func typed(m proto.Message) (*anypb.Any, error) { return anypb.New(m) }

func listener(cfg Config) (*listenerv3.Listener, error) {
	authz, err := typed(&extauthzv3.ExtAuthz{
		TransportApiVersion: corev3.ApiVersion_V3,
		Services: &extauthzv3.ExtAuthz_GrpcService{GrpcService: &corev3.GrpcService{
			TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: LookupCluster}},
			Timeout:         durationpb.New(250 * time.Millisecond),
		}},
		// The lookup's answer sets the header the route reads (replacing
		// any a client sent): the route must be chosen again after it.
		ClearRouteCache: true,
	})
	if err != nil {
		return nil, err
	}
	router, err := typed(&routerv3.Router{})
	if err != nil {
		return nil, err
	}
	manager, err := typed(&hcmv3.HttpConnectionManager{
		StatPrefix: "pushnchat",
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			ConfigSource: ads(), RouteConfigName: RouteName,
		}},
		UpgradeConfigs: []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}},
		HttpFilters: []*hcmv3.HttpFilter{
			{Name: "envoy.filters.http.ext_authz", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: authz}},
			{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: router}},
		},
	})
	if err != nil {
		return nil, err
	}
	return &listenerv3.Listener{
		Name: ListenerName,
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: "0.0.0.0", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: cfg.ListenPort},
		}}},
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: manager},
		}}}},
	}, nil
}

func routes(cfg Config) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{
		Name: RouteName,
		VirtualHosts: []*routev3.VirtualHost{{
			Name: "pushnchat", Domains: []string{"*"},
			Routes: []*routev3.Route{{
				Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{
					ClusterSpecifier: &routev3.RouteAction_ClusterHeader{ClusterHeader: CellHeader},
					Timeout:          durationpb.New(cfg.RequestTimeout),
				}},
			}},
		}},
	}
}

func cellCluster(name string, cfg Config) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ConnectTimeout:       durationpb.New(cfg.ConnectTimeout),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: ads()},
		LbPolicy:             clusterv3.Cluster_LEAST_REQUEST,
		CircuitBreakers: &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{{
			MaxConnections: wrapperspb.UInt32(cfg.MaxConnectionsPerCell),
		}}},
	}
}

func lookupCluster(cfg Config) *clusterv3.Cluster {
	h2, _ := typed(&upstreamhttpv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
		}},
	})
	return &clusterv3.Cluster{
		Name:                          LookupCluster,
		ConnectTimeout:                durationpb.New(cfg.ConnectTimeout),
		ClusterDiscoveryType:          &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS},
		TypedExtensionProtocolOptions: map[string]*anypb.Any{"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": h2},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: LookupCluster, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{lbEndpoint(cfg.LookupHost, cfg.LookupPort, true)},
		}}},
	}
}

// assignment puts a cell's primary replicas at priority 0 and its
// standbys at priority 1: Envoy sends to the standbys only when too few
// primaries are healthy.
func assignment(c Cell) *endpointv3.ClusterLoadAssignment {
	var primary, standby []*endpointv3.LbEndpoint
	for _, e := range c.Endpoints {
		if e.Standby {
			standby = append(standby, lbEndpoint(e.Host, e.Port, e.Healthy))
		} else {
			primary = append(primary, lbEndpoint(e.Host, e.Port, e.Healthy))
		}
	}
	la := &endpointv3.ClusterLoadAssignment{ClusterName: c.Name}
	la.Endpoints = append(la.Endpoints, &endpointv3.LocalityLbEndpoints{Priority: 0, LbEndpoints: primary})
	if len(standby) > 0 {
		la.Endpoints = append(la.Endpoints, &endpointv3.LocalityLbEndpoints{Priority: 1, LbEndpoints: standby})
	}
	return la
}

func lbEndpoint(host string, port uint32, healthy bool) *endpointv3.LbEndpoint {
	status := corev3.HealthStatus_HEALTHY
	if !healthy {
		status = corev3.HealthStatus_UNHEALTHY
	}
	return &endpointv3.LbEndpoint{
		HealthStatus: status,
		HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
			Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
				Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
			}}},
		}},
	}
}
