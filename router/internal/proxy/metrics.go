package proxy

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// handover says why the loops gave a connection to net/http.
type handover uint8

const (
	handoverUnsupported handover = iota // outside the loops' subset of HTTP/1.1
	handoverRoute                       // not in the cache, or a problem to answer
	handoverBulky                       // a media or attachment download
	handoverRetry                       // an idempotent request to send again
	handoverDial                        // no connection to the cell could be made
	handoverKinds
)

var handoverNames = [handoverKinds]string{"unsupported", "route", "bulky", "retry", "dial"}

// counters are the data plane's counts, kept with atomic adds on the hot
// path and read by the metric callbacks.
type counters struct {
	loopRequests atomic.Int64
	httpRequests atomic.Int64
	handovers    [handoverKinds]atomic.Int64
}

// RegisterMetrics publishes the router's counts on m: requests by path
// (event loop or net/http), hand-overs by reason, open client connections
// on the loops, and each cell's health as the router sees it.
func (s *LoopServer) RegisterMetrics(m metric.Meter, cells func() []string) error {
	requests, err := m.Int64ObservableCounter("router.requests", metric.WithDescription("Requests forwarded or answered, by path."))
	if err != nil {
		return err
	}
	handovers, err := m.Int64ObservableCounter("router.handovers",
		metric.WithDescription("Connections the event loops handed to net/http, by reason."))
	if err != nil {
		return err
	}
	conns, err := m.Int64ObservableUpDownCounter("router.loop.connections", metric.WithDescription("Client connections on the event loops."))
	if err != nil {
		return err
	}
	up, err := m.Int64ObservableGauge("router.cell.up", metric.WithDescription("1 when the router believes the cell reachable, else 0."))
	if err != nil {
		return err
	}
	c := &s.rt.counts
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(requests, c.loopRequests.Load(), metric.WithAttributes(attribute.String("path", "loop")))
		o.ObserveInt64(requests, c.httpRequests.Load(), metric.WithAttributes(attribute.String("path", "net/http")))
		for k := range handoverKinds {
			o.ObserveInt64(handovers, c.handovers[k].Load(), metric.WithAttributes(attribute.String("reason", handoverNames[k])))
		}
		o.ObserveInt64(conns, s.open.Load())
		for _, cell := range cells() {
			v := int64(0)
			if s.rt.health.Up(cell) {
				v = 1
			}
			o.ObserveInt64(up, v, metric.WithAttributes(attribute.String("cell", cell)))
		}
		return nil
	}, requests, handovers, conns, up)
	return err
}
