// Package wan emulates wide-area links on one machine, for tests and
// benchmarks: each Link is a Toxiproxy proxy (run in-process) in front of
// a loopback address, adding latency and jitter each way, an optional
// bandwidth limit, and cuts. The kernel here cannot shape traffic (no tc
// netem), so the links are proxies.
package wan

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Net holds the links of one emulated network.
type Net struct {
	srv   *toxiproxy.ApiServer
	links []*Link
}

// New returns an empty network.
func New() *Net {
	return &Net{srv: toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())}
}

// Shape is how a link behaves.
type Shape struct {
	OneWay, Jitter time.Duration // added to data in each direction
	KBps           int           // bandwidth each way, KB/s; 0 for no limit
}

// Link is one emulated link: connect to Addr to reach the upstream.
type Link struct {
	Name  string
	Addr  string
	proxy *toxiproxy.Proxy
}

// Link starts a link named name to upstream (host:port) shaped by s.
func (n *Net) Link(name, upstream string, s Shape) (*Link, error) {
	p := toxiproxy.NewProxy(n.srv, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("wan: %s: %w", name, err)
	}
	l := &Link{Name: name, Addr: p.Listen, proxy: p}
	n.links = append(n.links, l)
	for _, stream := range []string{"upstream", "downstream"} {
		if s.OneWay > 0 {
			if err := l.add(fmt.Sprintf(`{"name":"latency_%s","type":"latency","stream":%q,"toxicity":1,"attributes":{"latency":%d,"jitter":%d}}`,
				stream, stream, s.OneWay.Milliseconds(), s.Jitter.Milliseconds())); err != nil {
				return nil, err
			}
		}
		if s.KBps > 0 {
			if err := l.add(fmt.Sprintf(`{"name":"bandwidth_%s","type":"bandwidth","stream":%q,"toxicity":1,"attributes":{"rate":%d}}`,
				stream, stream, s.KBps)); err != nil {
				return nil, err
			}
		}
	}
	return l, nil
}

func (l *Link) add(toxic string) error {
	if _, err := l.proxy.Toxics.AddToxicJson(strings.NewReader(toxic)); err != nil {
		return fmt.Errorf("wan: %s: %w", l.Name, err)
	}
	return nil
}

// Cut stops all data both ways, as a failed route does: connections open
// across the link carry nothing and close after a second, new ones get
// nowhere, until Restore.
func (l *Link) Cut() error {
	for _, stream := range []string{"upstream", "downstream"} {
		if err := l.add(fmt.Sprintf(`{"name":"cut_%s","type":"timeout","stream":%q,"toxicity":1,"attributes":{"timeout":1000}}`, stream, stream)); err != nil {
			return err
		}
	}
	return nil
}

// Restore ends a cut.
func (l *Link) Restore() error {
	for _, stream := range []string{"upstream", "downstream"} {
		if err := l.proxy.Toxics.RemoveToxic(context.Background(), "cut_"+stream); err != nil {
			return fmt.Errorf("wan: %s: %w", l.Name, err)
		}
	}
	return nil
}

// Close stops every link.
func (n *Net) Close() {
	for _, l := range n.links {
		l.proxy.Stop()
	}
}
