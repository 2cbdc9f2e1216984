package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"
)

// A good response lists at least one parameter set and arrives whole.
var (
	goodPrefix = []byte(`{"output":{"parameters":[{`)
	goodSuffix = []byte("}]}}\n")
)

// loadClient is one client: it sends requests in a loop and keeps its own counts, so
// clients share nothing while they run.
type loadClient struct {
	http     *http.Client
	url      string
	token    string
	bodies   [][]byte
	interval time.Duration
	rng      *rand.Rand
	buf      []byte // io.CopyBuffer's buffer

	latencies []time.Duration // at most cap(latencies): a reservoir past that
	seen      int64           // latencies measured, kept or not
	sum, max  time.Duration
	requests  int64
	stale     int64
	bytes     int64
	errors    map[string]int
}

func newLoadClient(i int, opts Options, c *http.Client, url, token string, bodies [][]byte, samples int) *loadClient {
	return &loadClient{
		http: c, url: url, token: token, bodies: bodies, interval: opts.Interval,
		rng:       rand.New(rand.NewPCG(opts.Seed, uint64(i))),
		buf:       make([]byte, 32<<10),
		latencies: make([]time.Duration, 0, samples),
		errors:    map[string]int{},
	}
}

// run sends requests until loadCtx ends. A request under way when it ends finishes and
// counts; one cut short because ctx (the whole run) ended does not.
func (c *loadClient) run(ctx, loadCtx context.Context) {
	var timer *time.Timer
	next := time.Now()
	if c.interval > 0 {
		// Spread the clients' schedules over one interval instead of starting in step.
		next = next.Add(time.Duration(c.rng.Int64N(int64(c.interval))))
		timer = time.NewTimer(time.Hour)
		timer.Stop()
		defer timer.Stop()
	}
	for {
		if c.interval > 0 {
			if wait := time.Until(next); wait > 0 {
				timer.Reset(wait)
				select {
				case <-loadCtx.Done():
					return
				case <-timer.C:
				}
			}
			next = next.Add(c.interval)
			if now := time.Now(); next.Before(now) {
				next = now
			}
		}
		if loadCtx.Err() != nil {
			return
		}
		kind, latency := c.do(ctx)
		if ctx.Err() != nil {
			return
		}
		c.requests++
		if kind != "" {
			c.errors[kind]++
			continue
		}
		c.record(latency)
	}
}

// do sends one request and returns "" and its latency (to the last byte of the body), or
// the kind of failure.
func (c *loadClient) do(ctx context.Context) (string, time.Duration) {
	body := c.bodies[c.rng.IntN(len(c.bodies))]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return "building the request", 0
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(err), 0
	}
	w := &checkWriter{}
	n, err := io.CopyBuffer(w, resp.Body, c.buf)
	resp.Body.Close()
	latency := time.Since(start)
	c.bytes += n
	switch {
	case err != nil:
		return transportError(err), 0
	case resp.StatusCode != http.StatusOK:
		return fmt.Sprintf("HTTP %d", resp.StatusCode), 0
	case !w.good():
		return "incomplete or empty response", 0
	}
	if resp.Header.Get("X-Shopset-Stale") != "" {
		c.stale++
	}
	return "", latency
}

// record keeps a latency: appended while there is room, then a uniform random sample of
// all seen (reservoir sampling), so memory stays bounded however long the run.
func (c *loadClient) record(d time.Duration) {
	c.seen++
	c.sum += d
	c.max = max(c.max, d)
	if len(c.latencies) < cap(c.latencies) {
		c.latencies = append(c.latencies, d)
		return
	}
	if j := c.rng.Int64N(c.seen); j < int64(len(c.latencies)) {
		c.latencies[j] = d
	}
}

// checkWriter discards a body but keeps its first and last bytes.
type checkWriter struct {
	head []byte
	tail [8]byte
	n    int
}

func (w *checkWriter) Write(p []byte) (int, error) {
	if need := len(goodPrefix) - len(w.head); need > 0 {
		w.head = append(w.head, p[:min(need, len(p))]...)
	}
	if len(p) >= len(w.tail) {
		copy(w.tail[:], p[len(p)-len(w.tail):])
	} else {
		copy(w.tail[:], w.tail[len(p):])
		copy(w.tail[len(w.tail)-len(p):], p)
	}
	w.n += len(p)
	return len(p), nil
}

func (w *checkWriter) good() bool {
	return w.n >= len(goodPrefix)+len(goodSuffix) && bytes.Equal(w.head, goodPrefix) &&
		bytes.HasSuffix(w.tail[:], goodSuffix)
}

// transportError names the kind of a failed exchange.
func transportError(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "connection closed early"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no local port free"
	}
	return "transport error"
}
