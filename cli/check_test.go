package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cluster without Argo CD: shopctl check says to install it first and exits 1, its
// report on stdout and one error line on stderr. (The checks themselves are package
// installcheck's tests; the end-to-end suite runs this on real API servers.)
func TestCheckWithoutArgoCD(t *testing.T) {
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
	defer srv.Close()
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
