package render

import (
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/shopset/shopset/internal/loopback"
	"github.com/shopset/shopset/offline"
)

// TestKustomizeOffline is the second line of defence: a remote reference that the
// checks miss (here, they are skipped: Kustomize runs on the overlay directly) fails in
// a process that called offline.Enforce, and nothing connects.
func TestKustomizeOffline(t *testing.T) {
	srv := loopback.Counting(t)
	mem := filesys.MakeFsInMemory()
	require.NoError(t, mem.WriteFile("/k/kustomization.yaml", []byte("resources:\n- http://"+srv.Addr+"/cm.yaml\n")))

	// Enforce is for a whole process; this test puts the defaults back so the other
	// tests of this package (none of which use the network) run as before.
	transport, client, resolver := http.DefaultTransport, http.DefaultClient, net.DefaultResolver
	defer func() { http.DefaultTransport, http.DefaultClient, net.DefaultResolver = transport, client, resolver }()
	offline.Enforce()

	_, err := build(mem, "/k", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "network access is disabled while rendering")
	assert.Zero(t, srv.Conns(), "kustomize opened a connection")
}
