package realtime

import (
	"strconv"
	"strings"
)

// Redis names. Channels are shared by every logical database of a server,
// so they carry ids that are unique anyway.
func convChannel(id string) string { return "rt:c:" + id }
func userChannel(id string) string { return "rt:u:" + id }
func streamKey(id string) string   { return "rt:s:" + id }
func presenceKey(id string) string { return "rt:p:" + id }

// An envelope is what travels on the channels: "<kind> <conversation>
// <seq> <frame>", the frame being the JSON clients get (for kind j, the
// conversation joined: a headInfo). Kinds: m message, r receipt, y
// typing, j joined, p partner receipt, x message refused. Receivers split it without scanning the frame.
type envelope struct {
	Kind  string
	Conv  string
	Seq   int64
	Frame []byte
}

func (e envelope) encode() []byte {
	b := make([]byte, 0, len(e.Kind)+len(e.Conv)+len(e.Frame)+24)
	b = append(b, e.Kind...)
	b = append(b, ' ')
	b = append(b, e.Conv...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, ' ')
	return append(b, e.Frame...)
}

func parseEnvelope(s string) (envelope, bool) {
	kind, rest, ok1 := strings.Cut(s, " ")
	conv, rest, ok2 := strings.Cut(rest, " ")
	seqS, frame, ok3 := strings.Cut(rest, " ")
	seq, err := strconv.ParseInt(seqS, 10, 64)
	if !ok1 || !ok2 || !ok3 || err != nil || kind == "" || conv == "" {
		return envelope{}, false
	}
	return envelope{Kind: kind, Conv: conv, Seq: seq, Frame: []byte(frame)}, true
}
