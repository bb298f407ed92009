package realtime

import (
	"bufio"
	"net"
	"net/http"

	"github.com/pushnchat/pushnchat/internal/netx"
)

// leanBuffer is the size of a session's read and write buffers. Frames
// are small (MaxFrameBytes at most, typically a few hundred bytes); a
// larger frame is read in several steps and written straight through.
const leanBuffer = 512

// leanHijacker hands the WebSocket library buffers of leanBuffer bytes
// instead of net/http's 4 KiB ones: with thousands of idle sessions those
// buffers are most of a session's memory.
type leanHijacker struct {
	http.ResponseWriter
	out *corkWriter
}

func (w *leanHijacker) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack implements http.Hijacker. Bytes the client sent right after its
// handshake, already buffered by net/http, are read first.
func (w *leanHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		conn = &netx.PrefixConn{Conn: conn, Prefix: append([]byte(nil), early...)}
	}
	w.out = &corkWriter{w: conn}
	return conn, bufio.NewReadWriter(bufio.NewReaderSize(conn, leanBuffer), bufio.NewWriterSize(w.out, leanBuffer)), nil
}
