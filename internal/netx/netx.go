// Package netx holds small net.Conn helpers shared by the servers.
package netx

import "net"

// PrefixConn is a connection whose first bytes were already read from it
// (by a bufio.Reader before a hijack, by an event loop before a hand-over):
// Read returns Prefix first, then reads the connection.
type PrefixConn struct {
	net.Conn
	Prefix []byte
}

// Read implements net.Conn.
func (c *PrefixConn) Read(p []byte) (int, error) {
	if len(c.Prefix) > 0 {
		n := copy(p, c.Prefix)
		c.Prefix = c.Prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// CloseWrite shuts the writing side down when the connection can, so a
// server's lingering close works through the wrapper.
func (c *PrefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
