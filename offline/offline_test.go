package offline_test

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/offline"
)

// TestEnforce runs in a process of its own (this package's test binary), since Enforce
// cannot be undone.
func TestEnforce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			c.Close()
		}
	}()
	url := "http://" + l.Addr().String() + "/x.yaml"

	// The listener works before.
	resp, err := http.Get(url)
	require.NoError(t, err)
	resp.Body.Close()
	require.EqualValues(t, 1, conns.Load())
	_, err = exec.LookPath("git")
	require.NoError(t, err, "this test needs git on PATH")

	offline.Enforce(offline.NoExec)

	for name, get := range map[string]func() error{
		"http.Get":           func() error { _, err := http.Get(url); return err },
		"a new http.Client":  func() error { _, err := (&http.Client{}).Get(url); return err },
		"http.DefaultClient": func() error { _, err := http.DefaultClient.Get(url); return err },
		"name resolution": func() error {
			_, err := net.DefaultResolver.LookupHost(context.Background(), "example.com")
			return err
		},
		"git by name": func() error { _, err := exec.LookPath("git"); return err },
	} {
		t.Run(name, func(t *testing.T) {
			require.Error(t, get())
		})
	}
	_, err = http.Get(url)
	assert.ErrorIs(t, err, offline.ErrOffline)
	assert.EqualValues(t, 1, conns.Load(), "a connection was opened after Enforce")
}
