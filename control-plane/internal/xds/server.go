package xds

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"strconv"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
)

// fleet is the one snapshot key: every data plane (Envoy or router) runs
// the same configuration.
const fleet = "pushnchat-fleet"

type fleetHash struct{}

func (fleetHash) ID(*corev3.Node) string { return fleet }

// Server serves the fleet's snapshot over ADS (state of the world), from
// go-control-plane's snapshot cache, and logs what data planes reject.
type Server struct {
	cfg     Config
	cache   cache.SnapshotCache
	grpc    *grpc.Server
	ln      net.Listener
	log     *slog.Logger
	mu      sync.Mutex
	version uint64
	last    []Cell
}

// Serve listens on addr (host:port) and serves ADS until Stop.
func Serve(addr string, cfg Config, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("xds: %w", err)
	}
	s := &Server{cfg: cfg, ln: ln, log: log, cache: cache.NewSnapshotCache(true, fleetHash{}, nil)}
	callbacks := serverv3.CallbackFuncs{StreamRequestFunc: func(_ int64, req *discoveryv3.DiscoveryRequest) error {
		if d := req.GetErrorDetail(); d != nil {
			// A NACK: the data plane keeps its last good version.
			s.log.Warn("xds: a data plane rejected a configuration", "node", req.GetNode().GetId(), "type", req.GetTypeUrl(),
				"version_running", req.GetVersionInfo(), "rejected", req.GetResponseNonce(), "why", d.GetMessage())
		}
		return nil
	}}
	s.grpc = grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(s.grpc, serverv3.NewServer(context.Background(), s.cache, callbacks))
	go s.grpc.Serve(ln)
	return s, nil
}

// Addr is where the server listens.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Update makes cells the fleet's configuration: a new version when they
// changed, nothing when they did not. A snapshot that fails its checks is
// not served; the fleet stays on the last good one.
func (s *Server) Update(ctx context.Context, cells []Cell) (version string, err error) {
	cells = normalize(cells)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version > 0 && reflect.DeepEqual(cells, s.last) {
		return strconv.FormatUint(s.version, 10), nil
	}
	next := strconv.FormatUint(s.version+1, 10)
	snap, err := Build(next, s.cfg, cells)
	if err != nil {
		return "", err
	}
	if err := s.cache.SetSnapshot(ctx, fleet, snap); err != nil {
		return "", fmt.Errorf("xds: %w", err)
	}
	s.version, s.last = s.version+1, cells
	return next, nil
}

// Stop ends every stream and stops serving.
func (s *Server) Stop() { s.grpc.Stop() }
