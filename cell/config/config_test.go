package config

import (
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"
)

// Whoever starts a cell renders its command line from a Config; the cell
// reads back exactly that Config, every field of it.
func TestArgsParseBackToTheSameConfig(t *testing.T) {
	want := Config{
		Cell: "lagos-1", Jurisdiction: "NG", Markets: []string{"NG", "GH"},
		DatabaseURL: "postgres://127.0.0.1:5432/cell", RedisURL: "redis://127.0.0.1:6379/0", BlobURL: "file:///tmp/m?create_dir=true",
		Listen: "127.0.0.1:9000", Firebase: FirebaseConfig{ProjectID: "demo-x", EmulatorHost: "127.0.0.1:9099"},
		OTLPEndpoint: "127.0.0.1:4318", LogLevel: slog.LevelError, AllowedOrigins: []string{"http://localhost:3000", "https://app.example"},
		ServiceToken: "st", EdgeToken: "et", BrokerKeys: "keys", RateIP: RateConfig{PerSecond: 1000000, Burst: 8}, RateUser: RateConfig{PerSecond: 9, Burst: 10},
		ShutdownGrace: 3 * time.Second, PushLog: "/tmp/push.jsonl", DebugListen: "127.0.0.1:6060",
		Consul: "127.0.0.1:8500", Advertise: "http://10.0.0.7:8080", Role: "standby",
		Realtime: RealtimeConfig{QueueLimit: 32, FrameRate: 1.5, FrameBurst: 1e6, Heartbeat: time.Second, Sweep: 300 * time.Millisecond,
			CoalesceFrom: 1e6 + 0.5, CoalesceWindow: 5 * time.Millisecond},
	}
	var allSet func(v reflect.Value, path string)
	allSet = func(v reflect.Value, path string) {
		if v.Kind() == reflect.Struct {
			for i := range v.NumField() {
				allSet(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
			return
		}
		if v.IsZero() && path != ".LogLevel" { // a zero level is "info", the default
			t.Fatalf("Config%s has no value here: give it one, and Args a flag for it", path)
		}
	}
	allSet(reflect.ValueOf(want), "")
	got, err := Parse(want.Args(), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatalf("Parse(Args()): %v\nargs %q", err, want.Args())
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(Args()) =\n%+v\nwant\n%+v", got, want)
	}
}
