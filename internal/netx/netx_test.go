package netx

import (
	"io"
	"net"
	"testing"
)

func TestPrefixConnReadsThePrefixFirst(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { b.Write([]byte(" world")); b.Close() }()
	c := &PrefixConn{Conn: a, Prefix: []byte("hello")}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "hello world" {
		t.Fatalf("read %q, %v", got, err)
	}
}
