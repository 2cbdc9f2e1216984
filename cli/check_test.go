package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/cli"
)

// A cluster without Argo CD: shopctl check says to install it first and exits 1, its
// report on stdout and one error line on stderr. (The checks themselves are package
// installcheck's tests; the end-to-end suite runs this on real API servers.)
func TestCheckWithoutArgoCD(t *testing.T) {
	srv := apiServerWithoutArgoCD(t)
	cfg := kubeconfig(t, srv.URL)

	r := run(t, nil, "check", "--pre", "--kubeconfig", cfg)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "FAIL  Application CRD: Argo CD's Application CRD is not installed")
	assert.Contains(t, r.stdout, "fix: install Argo CD first: kubectl create namespace argocd; kubectl apply -n argocd -f ")
	assert.Contains(t, r.stdout, "Argo CD in namespace argocd, before shopset's install: 5 of 5 checks failed")
	assert.Equal(t, "error: 5 of 5 checks failed\n", r.stderr)

	r = run(t, nil, "check", "--kubeconfig", cfg, "-n", "gitops", "-o", "json")
	assert.Equal(t, 1, r.code)
	var report struct {
		Namespace string
		Failed    int
		Checks    []struct{ Name, Status, Fix string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report), r.stdout)
	assert.Equal(t, "gitops", report.Namespace)
	assert.Equal(t, len(report.Checks), report.Failed)
	assert.Equal(t, "repo-server", report.Checks[3].Name)
	assert.Contains(t, report.Checks[3].Fix, "Argo CD is not installed in namespace gitops: name the namespace it is installed in with -n")
}

// apiServerWithoutArgoCD serves discovery of a cluster that has only the core API group:
// no CRDs, so no Argo CD. (No real API server runs in unit tests; the end-to-end suite
// runs the same commands against real ones.)
func apiServerWithoutArgoCD(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api":
			_ = json.NewEncoder(w).Encode(map[string]any{"kind": "APIVersions", "versions": []string{"v1"}})
		case "/apis":
			_ = json.NewEncoder(w).Encode(map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCheckRefusesAnUnknownFormatFirst(t *testing.T) {
	r := run(t, nil, "check", "-o", "table", "--kubeconfig", "/nonexistent")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "error: unknown output format \"table\" (want text, json or yaml)\n", r.stderr)
}

func TestCheckWithoutACluster(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	r := run(t, nil, "check", "--kubeconfig", kubeconfig(t, url))
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "error: reading the cluster: reading the API server's groups: ")
}

// lockedBuffer is a bytes.Buffer that a command may write while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The generator started on a cluster without Argo CD's CRDs logs at once what to do.
func TestGeneratorWithoutArgoCDSaysWhatToDo(t *testing.T) {
	srv := apiServerWithoutArgoCD(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan int)
	go func() {
		done <- cli.Execute(ctx, []string{"generator", "serve", "--kubeconfig", kubeconfig(t, srv.URL),
			"--repo", t.TempDir(), "--token-file", filepath.Join(t.TempDir(), "none"), "--listen", "127.0.0.1:0", "--cache-dir", t.TempDir()},
			cli.Env{Stdout: io.Discard, Stderr: &stderr})
	}()
	want := "install Argo CD first: kubectl create namespace argocd; kubectl apply -n argocd -f https://raw.githubusercontent.com/argoproj/argo-cd/stable/manifests/install.yaml"
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), want) }, 20*time.Second, 20*time.Millisecond, "%s", stderr.String())
	assert.Contains(t, stderr.String(), `"msg":"Argo CD's Application CRD is not installed: the cluster does not serve Applications at argoproj.io/v1alpha1"`)
	cancel()
	<-done
}
