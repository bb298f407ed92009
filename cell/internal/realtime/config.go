package realtime

import (
	"context"
	"log/slog"
	"runtime"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
)

// Config tunes a Hub; zero values take the defaults in parentheses.
type Config struct {
	DB *postgres.DB
	// CheckMessage may refuse a message before it is stored
	// (messaging.Sender.Check); nil refuses none.
	CheckMessage func(context.Context, messaging.Message) error
	Redis        *redis.Client
	Pusher       Pusher
	Logger       *slog.Logger
	Meter        metric.MeterProvider
	// OriginPatterns are the web app's hosts allowed to open a connection
	// from a browser (requests without Origin, from apps, are allowed).
	OriginPatterns []string
	StreamLength   int           // entries kept per conversation stream, at least (256; trimmed in whole nodes)
	Heartbeat      time.Duration // how often clients ping (25s); silent for 2×+5s → closed
	Sweep          time.Duration // how often delivered heads are checked against PostgreSQL (2s)
	QueueLimit     int           // frames waiting for one slow client before it is closed (512)
	ResumeLimit    int           // messages sent on resume before "refetch" (500)
	MaxConvs       int           // conversations one connection follows (5000)
	FrameRate      float64       // frames per second a client may send (20)
	FrameBurst     float64       // and in a burst (60)
	// CoalesceFrom is the rate of frames written by this replica, per
	// second, above which it coalesces writes (7 500 per core of
	// GOMAXPROCS); CoalesceWindow is how long a session's frames then
	// gather before they go out together (10ms). See coalescer.
	CoalesceFrom   float64
	CoalesceWindow time.Duration
}

func (c *Config) defaults() {
	set := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	set(&c.StreamLength, 256)
	set(&c.QueueLimit, 512)
	set(&c.ResumeLimit, 500)
	set(&c.MaxConvs, 5000)
	if c.Heartbeat == 0 {
		c.Heartbeat = 25 * time.Second
	}
	if c.Sweep == 0 {
		c.Sweep = 2 * time.Second
	}
	if c.FrameRate == 0 {
		c.FrameRate = 20
	}
	if c.FrameBurst == 0 {
		c.FrameBurst = 60
	}
	if c.CoalesceFrom == 0 {
		c.CoalesceFrom = 7500 * float64(runtime.GOMAXPROCS(0))
	}
	if c.CoalesceWindow == 0 {
		c.CoalesceWindow = 10 * time.Millisecond
	}
	if c.Pusher == nil {
		c.Pusher = LogPusher{Logger: c.Logger}
	}
}
