package generator_test

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/generator"
)

// serveFixture runs a second generator over the fixture's repository with Serve on a
// loopback port, as shopctl generator serve does, and returns it and its base URL once
// it is ready. stop ends Serve, as SIGTERM does, and checks it returned cleanly; it also
// runs at the end of the test.
func serveFixture(t *testing.T, f *fixture) (srv *generator.Server, base string, stop func()) {
	t.Helper()
	cfg := f.cfg
	cfg.CacheDir = t.TempDir()
	srv, err := generator.New(cfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				assert.NoError(t, err)
			case <-time.After(30 * time.Second):
				t.Error("Serve did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	base = "http://" + ln.Addr().String() + "/"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return srv, base, stop
			}
		}
		require.True(t, time.Now().Before(deadline), "the generator was not ready in time")
		time.Sleep(20 * time.Millisecond)
	}
}

// Serve refreshes in the background, becomes ready, and returns cleanly when its context
// ends, as on SIGTERM.
func TestServeUntilCancelled(t *testing.T) {
	f := newFixture(t, "file")
	_, base, stop := serveFixture(t, f)
	stop()
	_, err := http.Get(base + "readyz")
	assert.Error(t, err, "the listener is closed")
}
