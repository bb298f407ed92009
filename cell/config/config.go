// Package config is a cell's configuration: read once, from flags and the
// environment (flags win), into one typed struct, and rendered back into
// flags (Args) for whoever starts a cell — the local platform, the
// benchmarks and the tests.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pushnchat/pushnchat/internal/cmdmain"
	"github.com/pushnchat/pushnchat/internal/geo"
	"github.com/pushnchat/pushnchat/residency"
)

// Config is everything a cell process needs to know.
type Config struct {
	Cell         string   // e.g. lagos-1
	Jurisdiction string   // e.g. NG
	Markets      []string // countries whose tenants and market this cell serves; empty for any
	DatabaseURL  string
	RedisURL     string
	BlobURL      string // gocloud.dev/blob URL for photos
	Listen       string // host:port
	Firebase     FirebaseConfig
	OTLPEndpoint string
	LogLevel     slog.Level
	// AllowedOrigins may send cookie-authenticated requests (the web app).
	AllowedOrigins []string
	// ServiceToken admits the control plane to the internal API; empty
	// disables it.
	ServiceToken string
	// EdgeToken makes the client address the router forwards believable
	// (package clientaddr); empty uses the connection's address.
	EdgeToken string
	// BrokerKeys is the file of the broker's public keys (package
	// signedcall) the inbox accepts; empty refuses every inbox call.
	BrokerKeys    string
	RateIP        RateConfig
	RateUser      RateConfig
	ShutdownGrace time.Duration
	// PushLog is the file the local push recorder appends to; empty records
	// pushes in the log. (FCM replaces the recorder in production.)
	PushLog  string
	Realtime RealtimeConfig
	// DebugListen serves /debug/pprof when set; never expose it.
	DebugListen string
	// Consul is the agent (host:port) the replica registers itself with,
	// as an instance of service "cell"; empty registers nowhere.
	Consul string
	// Advertise is how others reach this replica (http://host:port);
	// empty is the address it listens on.
	Advertise string
	// Role is "primary" or "standby" (metadata in Consul).
	Role string
}

// FirebaseConfig selects the Firebase project and, in development, the Auth
// emulator.
type FirebaseConfig struct {
	ProjectID    string
	EmulatorHost string
}

// RealtimeConfig tunes the WebSocket sessions; zero values take defaults.
type RealtimeConfig struct {
	QueueLimit int
	FrameRate  float64
	FrameBurst float64
	Heartbeat  time.Duration
	Sweep      time.Duration
	// CoalesceFrom (frames/s) and CoalesceWindow: see realtime.Config.
	CoalesceFrom   float64
	CoalesceWindow time.Duration
}

// RateConfig is a per-second rate with a burst.
type RateConfig struct {
	PerSecond int
	Burst     int
}

// Parse reads args (without the program name) and the environment.
func Parse(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("cell", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := cmdmain.Env(getenv)
	var markets, origins, level string
	fs.StringVar(&c.Cell, "cell", env("CELL_NAME", ""), "cell name, e.g. lagos-1 (CELL_NAME)")
	fs.StringVar(&c.Jurisdiction, "jurisdiction", env("CELL_JURISDICTION", ""), "jurisdiction code, e.g. NG (CELL_JURISDICTION)")
	fs.StringVar(&markets, "markets", env("CELL_MARKETS", ""), "comma-separated countries whose market this cell serves; default: those the residency policy homes here (CELL_MARKETS)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", ""), "PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&c.RedisURL, "redis-url", env("REDIS_URL", ""), "Redis URL (REDIS_URL)")
	fs.StringVar(&c.BlobURL, "blob-url", env("BLOB_URL", ""), "photo bucket URL, e.g. file:///var/lib/cell/media?create_dir=true (BLOB_URL)")
	fs.StringVar(&c.Listen, "listen", env("LISTEN", "127.0.0.1:8080"), "listen address (LISTEN)")
	fs.StringVar(&c.Firebase.ProjectID, "firebase-project", env("FIREBASE_PROJECT", "demo-pushnchat"), "Firebase project id (FIREBASE_PROJECT)")
	// Emulator mode trusts unsigned tokens: a flag only, never taken from
	// the environment, so it is always asked for on purpose.
	fs.StringVar(&c.Firebase.EmulatorHost, "firebase-emulator", "", "Firebase Auth emulator host:port; accepts its unsigned tokens, demo- projects only (development and tests)")
	fs.StringVar(&c.OTLPEndpoint, "otlp-endpoint", env("OTEL_EXPORTER_OTLP_ENDPOINT", ""), "OTLP/HTTP collector host:port; empty serves /metrics (OTEL_EXPORTER_OTLP_ENDPOINT)")
	fs.StringVar(&level, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	fs.StringVar(&origins, "allowed-origins", env("ALLOWED_ORIGINS", ""), "origins of the web app, comma-separated (ALLOWED_ORIGINS)")
	fs.StringVar(&c.ServiceToken, "service-token", env("SERVICE_TOKEN", ""), "token the control plane presents on internal calls (SERVICE_TOKEN)")
	fs.StringVar(&c.EdgeToken, "edge-token", env("EDGE_TOKEN", ""), "token with which the router vouches for the client address it forwards; empty uses the connection's address (EDGE_TOKEN)")
	fs.StringVar(&c.BrokerKeys, "broker-keys", env("BROKER_KEYS", ""), "file of the broker's public keys, one \"<key id> <base64 key>\" per line; empty refuses every inbox call (BROKER_KEYS)")
	fs.IntVar(&c.RateIP.PerSecond, "rate-ip", 50, "requests per second per client IP")
	fs.IntVar(&c.RateIP.Burst, "rate-ip-burst", 100, "burst per client IP")
	fs.IntVar(&c.RateUser.PerSecond, "rate-user", 20, "requests per second per user")
	fs.IntVar(&c.RateUser.Burst, "rate-user-burst", 60, "burst per user")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 20*time.Second, "how long in-flight requests may finish at shutdown")
	fs.IntVar(&c.Realtime.QueueLimit, "realtime-queue", 512, "frames waiting for one slow WebSocket client before it is closed (4008)")
	fs.Float64Var(&c.Realtime.FrameRate, "realtime-frame-rate", 20, "frames per second one WebSocket client may send")
	fs.Float64Var(&c.Realtime.FrameBurst, "realtime-frame-burst", 60, "frames one WebSocket client may send in a burst")
	fs.DurationVar(&c.Realtime.Heartbeat, "realtime-heartbeat", 25*time.Second, "how often WebSocket clients ping; silent for twice as long (+5s) closes them")
	fs.DurationVar(&c.Realtime.Sweep, "realtime-sweep", 2*time.Second, "how often delivered conversation heads are checked against PostgreSQL")
	fs.Float64Var(&c.Realtime.CoalesceFrom, "realtime-coalesce-from", 0, "frames per second written by this replica above which each client's frames are gathered and written together (0: 7500 per core)")
	fs.DurationVar(&c.Realtime.CoalesceWindow, "realtime-coalesce-window", 10*time.Millisecond, "how long a client's frames gather while writes are coalesced")
	fs.StringVar(&c.Consul, "consul", env("CONSUL_HTTP_ADDR", ""), "Consul agent host:port to register this replica with, service \"cell\" with a /readyz check; empty registers nowhere (CONSUL_HTTP_ADDR)")
	fs.StringVar(&c.Advertise, "advertise", env("ADVERTISE_URL", ""), "how others reach this replica, http://host:port; empty is the listen address (ADVERTISE_URL)")
	fs.StringVar(&c.Role, "role", env("CELL_ROLE", "primary"), "primary or standby, as registered in Consul (CELL_ROLE)")
	fs.StringVar(&c.DebugListen, "debug-listen", env("DEBUG_LISTEN", ""), "address for /debug/pprof (off when empty; never expose it) (DEBUG_LISTEN)")
	fs.StringVar(&c.PushLog, "push-log", env("PUSH_LOG", ""), "file recording the push notifications the cell would send (PUSH_LOG); empty: the log")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	c.Markets = splitList(strings.ToUpper(markets))
	if len(c.Markets) == 0 {
		c.Markets = residency.Markets(c.Cell)
	}
	c.AllowedOrigins = splitList(origins)
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return Config{}, fmt.Errorf("config: log level: %w", err)
	}
	return c, c.Validate()
}

// Args renders c as the cell's command line: Parse(c.Args()) gives c back.
// Zero fields are left out and take their defaults.
func (c Config) Args() []string {
	var a []string
	add := func(name, v string) {
		if v != "" {
			a = append(a, "-"+name, v)
		}
	}
	num := func(name string, v float64) {
		if v != 0 {
			add(name, strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	integer := func(name string, v int) {
		if v != 0 {
			add(name, strconv.Itoa(v))
		}
	}
	dur := func(name string, d time.Duration) {
		if d != 0 {
			add(name, d.String())
		}
	}
	add("cell", c.Cell)
	add("jurisdiction", c.Jurisdiction)
	add("markets", strings.Join(c.Markets, ","))
	add("database-url", c.DatabaseURL)
	add("redis-url", c.RedisURL)
	add("blob-url", c.BlobURL)
	add("listen", c.Listen)
	add("firebase-project", c.Firebase.ProjectID)
	add("firebase-emulator", c.Firebase.EmulatorHost)
	add("otlp-endpoint", c.OTLPEndpoint)
	if c.LogLevel != slog.LevelInfo {
		add("log-level", c.LogLevel.String())
	}
	add("allowed-origins", strings.Join(c.AllowedOrigins, ","))
	add("service-token", c.ServiceToken)
	add("edge-token", c.EdgeToken)
	add("broker-keys", c.BrokerKeys)
	integer("rate-ip", c.RateIP.PerSecond)
	integer("rate-ip-burst", c.RateIP.Burst)
	integer("rate-user", c.RateUser.PerSecond)
	integer("rate-user-burst", c.RateUser.Burst)
	dur("shutdown-grace", c.ShutdownGrace)
	integer("realtime-queue", c.Realtime.QueueLimit)
	num("realtime-frame-rate", c.Realtime.FrameRate)
	num("realtime-frame-burst", c.Realtime.FrameBurst)
	dur("realtime-heartbeat", c.Realtime.Heartbeat)
	dur("realtime-sweep", c.Realtime.Sweep)
	num("realtime-coalesce-from", c.Realtime.CoalesceFrom)
	dur("realtime-coalesce-window", c.Realtime.CoalesceWindow)
	add("debug-listen", c.DebugListen)
	add("consul", c.Consul)
	add("advertise", c.Advertise)
	if c.Role != "" && c.Role != "primary" {
		add("role", c.Role)
	}
	add("push-log", c.PushLog)
	return a
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate reports every missing or malformed setting at once.
func (c Config) Validate() error {
	var problems []error
	if c.Cell == "" {
		problems = append(problems, errors.New("cell name is required (-cell or CELL_NAME)"))
	}
	if c.DatabaseURL == "" {
		problems = append(problems, errors.New("database URL is required (-database-url or DATABASE_URL)"))
	}
	if c.RedisURL == "" {
		problems = append(problems, errors.New("the Redis URL is required (-redis-url or REDIS_URL)"))
	}
	if c.BlobURL == "" {
		problems = append(problems, errors.New("blob URL is required (-blob-url or BLOB_URL)"))
	}
	if c.Role != "" && c.Role != "primary" && c.Role != "standby" {
		problems = append(problems, fmt.Errorf("role %q is not primary or standby", c.Role))
	}
	for _, m := range c.Markets {
		if !geo.IsCountry(m) {
			problems = append(problems, fmt.Errorf("market %q is not an ISO 3166-1 alpha-2 code", m))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}
