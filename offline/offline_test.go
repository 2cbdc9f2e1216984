package offline_test

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/internal/loopback"
	"github.com/shopset/shopset/offline"
)

// TestEnforce runs in a process of its own (this package's test binary), since Enforce
// cannot be undone.
func TestEnforce(t *testing.T) {
	srv := loopback.Counting(t)
	url := "http://" + srv.Addr + "/x.yaml"

	// The listener works before.
	resp, err := http.Get(url)
	require.NoError(t, err)
	resp.Body.Close()
	require.EqualValues(t, 1, srv.Conns())
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
	assert.EqualValues(t, 1, srv.Conns(), "a connection was opened after Enforce")
}
