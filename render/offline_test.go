package render

import (
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/shopset/shopset/offline"
)

// TestKustomizeOffline is the second line of defence: a remote reference that the
// checks miss (here, they are skipped: Kustomize runs on the overlay directly) fails in
// a process that called offline.Enforce, and nothing connects.
func TestKustomizeOffline(t *testing.T) {
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
	mem := filesys.MakeFsInMemory()
	require.NoError(t, mem.WriteFile("/k/kustomization.yaml", []byte("resources:\n- http://"+l.Addr().String()+"/cm.yaml\n")))

	// Enforce is for a whole process; this test puts the defaults back so the other
	// tests of this package (none of which use the network) run as before.
	transport, client, resolver := http.DefaultTransport, http.DefaultClient, net.DefaultResolver
	defer func() { http.DefaultTransport, http.DefaultClient, net.DefaultResolver = transport, client, resolver }()
	offline.Enforce()

	_, err = build(mem, "/k", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "network access is disabled while rendering")
	assert.Zero(t, conns.Load(), "kustomize opened a connection")
}
