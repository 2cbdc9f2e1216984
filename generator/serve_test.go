package generator_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/gitrepo"
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

// A Secret the generator cannot use stops it at start, with what is wrong, instead of
// failing every fetch.
func TestNewRefusesBadCredentials(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(token, []byte("t\n"), 0o600))
	key := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(key, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nnot base64\n-----END OPENSSH PRIVATE KEY-----\n"), 0o600))
	_, err := generator.New(generator.Config{Repos: []string{"git@git.shop.example:platform.git"}, CacheDir: dir,
		TokenFile: token, Credentials: gitrepo.Credentials{SSHKeyFile: key}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "git credentials: SSH key file "+key+" is not a private key ssh can use")
}
