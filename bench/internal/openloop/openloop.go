// Package openloop sends HTTP/1.1 GETs at a fixed rate over keep-alive
// connections, whatever the answers' pace, and reports latency counted from
// each request's scheduled send time when it had to wait for a connection,
// so a stall shows as latency instead of a pause in sending (no coordinated
// omission).
//
// It writes one prebuilt request and reads the answer's head and
// Content-Length body with no per-request allocation: a load generator that
// collects garbage while it measures adds its own pauses to every side's
// tail, which would hide the few hundred microseconds a proxy hop adds.
package openloop

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"
)

// Options says what to send and how fast.
type Options struct {
	Addr  string        // host:port
	Path  string        // request target, e.g. /v1/t/x/profile
	Rate  int           // requests per second
	For   time.Duration // how long to send
	Conns int           // keep-alive connections; a request waits for a free one
}

// Result holds the latencies of every request, sorted, in microseconds.
type Result struct{ Micros []int64 }

// Quantile returns the q-th quantile (0 < q < 1) in milliseconds.
func (r Result) Quantile(q float64) float64 {
	return float64(r.Micros[int(float64(len(r.Micros)-1)*q)]) / 1000
}

// Run sends Rate×For requests and waits for every answer. Any error or any
// status other than 200 fails the run.
func Run(o Options) (Result, error) {
	n := int(float64(o.Rate) * o.For.Seconds())
	interval := time.Second / time.Duration(o.Rate)
	req := []byte("GET " + o.Path + " HTTP/1.1\r\nHost: " + o.Addr + "\r\nUser-Agent: pushnchat-openloop\r\n\r\n")
	lat := make([]int64, n)
	jobs := make(chan int, n)
	start := time.Now().Add(50 * time.Millisecond)
	for i := range n {
		jobs <- i
	}
	close(jobs)

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed error
	)
	for range o.Conns {
		c, err := net.Dial("tcp", o.Addr)
		if err != nil {
			return Result{}, err
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := bufio.NewReaderSize(c, 16<<10)
			for i := range jobs {
				// Latency counts from the scheduled time when the request is
				// late (every connection was busy: the server's doing), and
				// from the wake-up when it was early: a sleep overshoots by
				// the timer's granularity (up to a millisecond here), which is
				// the generator's error, not the server's.
				t0 := start.Add(time.Duration(i) * interval)
				if d := time.Until(t0); d > 0 {
					time.Sleep(d)
					t0 = time.Now()
				}
				c.SetDeadline(t0.Add(5 * time.Second))
				err := roundTrip(c, br, req)
				lat[i] = time.Since(t0).Microseconds()
				if err != nil {
					mu.Lock()
					if failed == nil {
						failed = err
					}
					mu.Unlock()
					for range jobs { // drain, so the others finish at once
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		return Result{}, failed
	}
	slices.Sort(lat)
	return Result{Micros: lat}, nil
}

var contentLength = []byte("content-length:")

// roundTrip writes req and reads one answer with a Content-Length body.
func roundTrip(c net.Conn, br *bufio.Reader, req []byte) error {
	if _, err := c.Write(req); err != nil {
		return err
	}
	status, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("answer %q", bytes.TrimSpace(status))
	}
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if len(line) > len(contentLength) && bytes.EqualFold(line[:len(contentLength)], contentLength) {
			if length, err = digits(bytes.TrimSpace(line[len(contentLength):])); err != nil {
				return err
			}
		}
	}
	if length < 0 {
		return fmt.Errorf("answer without Content-Length")
	}
	_, err = br.Discard(length)
	return err
}

// digits parses a Content-Length value without allocating.
func digits(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 9 {
		return 0, fmt.Errorf("content-length %q", b)
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("content-length %q", b)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}
