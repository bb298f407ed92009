package realtime

import (
	"bytes"
	"testing"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, e := range []envelope{
		{Kind: "m", Conv: "0194a6c2-1c2b-7c3e-9a1b-2f1e4d5c6b7a", Seq: 42, Frame: []byte(`{"type":"message","message":{"body":"a b  c"}}`)},
		{Kind: "y", Conv: "c1", Frame: []byte(`{"type":"typing"}`)},
		{Kind: "j", Conv: "c2", Frame: []byte(`{"id":"c2","last_seq":7}`)},
		{Kind: "r", Conv: "c3", Frame: nil},
	} {
		got, ok := parseEnvelope(string(e.encode()))
		if !ok || got.Kind != e.Kind || got.Conv != e.Conv || got.Seq != e.Seq || !bytes.Equal(got.Frame, e.Frame) {
			t.Errorf("round trip of %+v = %+v, %v", e, got, ok)
		}
	}
	for _, bad := range []string{"", "m", "m c1", "m c1 7", "m c1 x {}", " c1 1 {}", "m  1 {}", `{"k":"m","c":"c1","s":1}`} {
		if e, ok := parseEnvelope(bad); ok {
			t.Errorf("parseEnvelope(%q) = %+v; want refused", bad, e)
		}
	}
}
