// Package telemetry sets up OpenTelemetry traces and metrics and structured
// logs for a PushNchat service. With an OTLP endpoint configured it exports
// there; otherwise traces stay in process (their ids still reach the logs)
// and metrics are served in the Prometheus format by MetricsHandler.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Config describes the service being observed.
type Config struct {
	Service string // e.g. "cell"
	Cell    string // e.g. "lagos-1"; empty for global services
	// OTLPEndpoint is host:port of an OTLP/HTTP collector; empty to serve
	// Prometheus metrics instead.
	OTLPEndpoint string
	LogOutput    io.Writer
	LogLevel     slog.Level
}

// Telemetry holds the providers of one service.
type Telemetry struct {
	Tracer     trace.TracerProvider
	Meter      metric.MeterProvider
	Propagator propagation.TextMapPropagator
	Logger     *slog.Logger
	// MetricsHandler serves /metrics; nil when metrics go to OTLP.
	MetricsHandler http.Handler
	// Exporting says spans leave the process; when false none is recorded,
	// and per-call instrumentation that only feeds spans can be left out.
	Exporting bool

	shutdown []func(context.Context) error
}

// Setup builds the providers.
func Setup(ctx context.Context, cfg Config) (*Telemetry, error) {
	attrs := []attribute.KeyValue{attribute.String("service.name", cfg.Service)}
	if cfg.Cell != "" {
		attrs = append(attrs, attribute.String("pushnchat.cell", cfg.Cell))
	}
	res := resource.NewSchemaless(attrs...)
	t := &Telemetry{Propagator: propagation.TraceContext{}}

	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	var mopts []sdkmetric.Option
	mopts = append(mopts, sdkmetric.WithResource(res))
	if cfg.OTLPEndpoint != "" {
		te, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(cfg.OTLPEndpoint), otlptracehttp.WithInsecure())
		if err != nil {
			return nil, fmt.Errorf("telemetry: otlp traces: %w", err)
		}
		topts = append(topts, sdktrace.WithBatcher(te))
		t.Exporting = true
		me, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(cfg.OTLPEndpoint), otlpmetrichttp.WithInsecure())
		if err != nil {
			return nil, fmt.Errorf("telemetry: otlp metrics: %w", err)
		}
		mopts = append(mopts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me)))
	} else {
		// Nothing exports spans: record none. Spans still get ids, so logs
		// keep their trace_id, at almost no cost on hot paths.
		topts = append(topts, sdktrace.WithSampler(sdktrace.NeverSample()))
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		pe, err := otelprom.New(otelprom.WithRegisterer(reg))
		if err != nil {
			return nil, fmt.Errorf("telemetry: prometheus: %w", err)
		}
		mopts = append(mopts, sdkmetric.WithReader(pe))
		t.MetricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	}
	tp := sdktrace.NewTracerProvider(topts...)
	mp := sdkmetric.NewMeterProvider(mopts...)
	t.Tracer, t.Meter = tp, mp
	t.shutdown = append(t.shutdown, tp.Shutdown, mp.Shutdown)

	out := cfg.LogOutput
	if out == nil {
		out = io.Discard
	}
	t.Logger = slog.New(TraceHandler{slog.NewJSONHandler(out, &slog.HandlerOptions{Level: cfg.LogLevel})}).
		With("service", cfg.Service)
	if cfg.Cell != "" {
		t.Logger = t.Logger.With("cell", cfg.Cell)
	}
	return t, nil
}

// Shutdown flushes and stops the providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, f := range t.shutdown {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}

// TraceHandler adds trace_id and span_id of the context's span to every
// record.
type TraceHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h TraceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h TraceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return TraceHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h TraceHandler) WithGroup(name string) slog.Handler {
	return TraceHandler{h.Handler.WithGroup(name)}
}
