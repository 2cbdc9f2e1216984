package generator_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/generator"
)

// Serve refreshes in the background, becomes ready, and returns cleanly when its context
// ends, as on SIGTERM.
func TestServeUntilCancelled(t *testing.T) {
	f := newFixture(t, "file")
	srv, err := generator.New(f.cfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()

	url := "http://" + ln.Addr().String() + "/readyz"
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "not ready in time")
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	_, err = http.Get(url)
	assert.Error(t, err, "the listener is closed")
}
