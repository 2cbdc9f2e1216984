package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// apiServer stands in for the Kubernetes API server where it serves Argo CD's
// Applications: the one request shopctl makes (a list by label). The end-to-end suite
// reads them from a real API server; here the answers must be set per case.
type apiServer struct {
	mu    sync.Mutex
	items []map[string]any
	url   string
	asked string // the last request's path and query
}

func newAPIServer(t *testing.T) *apiServer {
	a := &apiServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.asked = r.URL.Path + "?" + r.URL.RawQuery
		if r.URL.Path != "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationList",
			"metadata": map[string]any{"resourceVersion": "7"}, "items": a.items,
		})
	}))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

// app sets ShopSet name's Application: synced at rev, health, since when.
func (a *apiServer) app(name, tier, rev, health string, since time.Time, history ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var hist []any
	for _, h := range append(history, rev) {
		hist = append(hist, map[string]any{"revision": h})
	}
	a.items = append(a.items, map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "shopset-" + name, "namespace": "argocd",
			"labels": map[string]any{"shopset.io/name": name, "shopset.io/tier": tier}},
		"spec": map[string]any{"source": map[string]any{"targetRevision": rev}},
		"status": map[string]any{
			"sync":           map[string]any{"status": "Synced", "revision": rev},
			"health":         map[string]any{"status": health, "lastTransitionTime": since.UTC().Format(time.RFC3339)},
			"operationState": map[string]any{"finishedAt": since.UTC().Format(time.RFC3339)},
			"history":        hist,
		},
	})
}

// kubeconfig writes a kubeconfig that reaches server.
func kubeconfig(t *testing.T, server string) string {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: argocd, cluster: {server: %q}}]
users: [{name: me, user: {token: t0k3n}}]
contexts: [{name: argocd, context: {cluster: argocd, user: me}}]
current-context: argocd
`, server)), 0o600))
	return path
}

// withRollout gives beta a rollout and prod-side freezes as extra YAML, on main.
func withRollout(t *testing.T, p *remotePlatform, extra string) {
	t.Helper()
	inv := p.clone.Git(t, "show", "main:shopsets.yaml") + "\n"
	inv = strings.Replace(inv, "    branch: tier/beta\n", "    branch: tier/beta\n    rollout: {soak: 10m, rollback: true}\n", 1)
	require.Contains(t, inv, "rollout:")
	p.clone.Commit(t, "main", map[string]string{"shopsets.yaml": inv + extra}, "Roll beta out")
}

func TestRolloutStatusCommand(t *testing.T) {
	p := newRemotePlatform(t)
	withRollout(t, p, "")
	betaPin := p.clone.Git(t, "merge-base", "tier/beta", "tier/dev")
	old := p.clone.Head(t, "tier/beta-prod")
	api := newAPIServer(t)
	api.app("c-1", "beta", betaPin, "Degraded", time.Now().Add(-time.Minute), old)
	cfg := kubeconfig(t, api.url)

	r := run(t, nil, "rollout", "status", "beta", "--repo", p.clone.Dir, "--kubeconfig", cfg)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, api.asked, "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications?")
	for _, want := range []string{
		"TIER beta (waves by failure domain, soak 10m0s, health timeout 10m0s, rollback on)",
		"halted    c-1 is Degraded at " + betaPin[:12],
		"(rolled back)",
		"onprem-c",
		"c-1      cluster-c  " + old[:12], // given back the revision it ran before
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, "TIER prod", "one tier asked for")

	r = run(t, nil, "rollout", "status", "--repo", p.clone.Dir, "--kubeconfig", cfg, "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep struct {
		Tiers []struct {
			Name, Target, Proven string
			Halt                 *struct{ ShopSet string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	require.Len(t, rep.Tiers, 4)
	assert.Equal(t, "c-1", rep.Tiers[1].Halt.ShopSet)
	assert.Equal(t, old, rep.Tiers[1].Proven, "a halted target is never proven")
	assert.Equal(t, old, rep.Tiers[2].Target, "beta-prod takes only what beta has proven")

	// shopctl status shows the same, tier by tier.
	r = run(t, nil, "status", "--repo", p.clone.Dir, "--kubeconfig", cfg)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "  proven    "+old[:12]+"\n  waves     onprem-c halted (shopctl rollout status beta)\n  halted    c-1 is Degraded")
	assert.Contains(t, r.stdout, betaPin[:12]+" api: update to 1.5.0\n  target    "+old[:12]+"\n  proven    "+old[:12]+"\n", "beta-prod")
	r = run(t, nil, "status", "--repo", p.clone.Dir, "--kubeconfig", kubeconfig(t, "http://127.0.0.1:1"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "warning: rollouts not shown: reading Argo CD's Applications")
	assert.Contains(t, r.stdout, "TIER beta (branch tier/beta)")

	r = run(t, nil, "rollout", "status", "bta", "--repo", p.clone.Dir, "--kubeconfig", cfg)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `unknown tier "bta"`)

	r = run(t, nil, "rollout", "status", "--repo", p.clone.Dir, "--kubeconfig", kubeconfig(t, "http://127.0.0.1:1"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "reading Argo CD's Applications")
}

func TestPromoteGates(t *testing.T) {
	p := newRemotePlatform(t)
	withRollout(t, p, "freezes:\n  - tiers: [prod]\n    reason: Black Friday\n")
	betaPin := p.clone.Git(t, "merge-base", "tier/beta", "tier/dev")
	old := p.clone.Head(t, "tier/beta-prod")
	api := newAPIServer(t)
	cfg := kubeconfig(t, api.url)
	promote := func(tier string, args ...string) result {
		return run(t, nil, append([]string{"promote", tier, "--repo", p.clone.Dir, "--dry-run", "--kubeconfig", cfg}, args...)...)
	}

	// beta's ShopSet still runs the old revision: beta-prod may not take the new one.
	api.app("c-1", "beta", old, "Healthy", time.Now().Add(-time.Hour))
	r := promote("beta-prod")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "is past what beta has proven on its clusters ("+old[:12])
	assert.Contains(t, r.stderr, "--ignore-health --reason")

	r = promote("beta-prod", "--ignore-health")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "need --reason")

	r = promote("beta-prod", "--ignore-health", "--reason", "api 1.5.0 is a security fix")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "OVERRIDE: health gate of beta overridden")
	assert.Contains(t, r.stdout, "api 1.5.0 is a security fix")

	// Synced and Healthy at the new revision past the soak: proven, no override needed.
	api.items = nil
	api.app("c-1", "beta", betaPin, "Healthy", time.Now().Add(-time.Hour), old)
	r = promote("beta-prod")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "OVERRIDE")

	// Argo CD unreadable: refused, never assumed proven.
	r = run(t, nil, "promote", "beta-prod", "--repo", p.clone.Dir, "--dry-run", "--kubeconfig", kubeconfig(t, "http://127.0.0.1:1"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "what beta has proven cannot be read")

	// A freeze holds prod (beta-prod has no rollout: no Applications are read).
	r = run(t, nil, "promote", "prod", "--repo", p.clone.Dir, "--dry-run")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "prod is frozen: Black Friday")
	r = run(t, nil, "promote", "prod", "--repo", p.clone.Dir, "--dry-run", "--override-freeze", "--reason", "hotfix for checkout")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "OVERRIDE: freeze of prod (Black Friday) overridden: hotfix for checkout")
	assert.Contains(t, r.stdout, "Shopset-Promote-Override: prod ")

	// For real: the override is recorded on main, reviewed and shared, before the branch
	// moves.
	p.clone.Git(t, "config", "user.name", "Ops Person")
	p.clone.Git(t, "config", "user.email", "ops@shop.example")
	p.clone.Git(t, "push", "--quiet", "origin", "main")
	r = run(t, nil, "promote", "prod", "--repo", p.clone.Dir, "--push", "--override-freeze", "--reason", "hotfix for checkout")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "The override is recorded: Committed ")
	msg := p.origin.Git(t, "log", "-1", "--format=%B", "main")
	assert.Contains(t, msg, "hotfix for checkout")
	assert.Contains(t, msg, "- freeze of prod (Black Friday) overridden: hotfix for checkout")
	assert.Contains(t, msg, "Shopset-Promote-Override: prod "+p.clone.Head(t, "tier/beta-prod"))
	assert.Equal(t, p.clone.Head(t, "tier/beta-prod"), p.origin.Head(t, "tier/prod"), "promoted")
}

func TestRolloutRetryAndResume(t *testing.T) {
	p := newRemotePlatform(t)
	withRollout(t, p, "")
	betaPin := p.clone.Git(t, "merge-base", "tier/beta", "tier/dev")
	old := p.clone.Head(t, "tier/beta-prod")
	api := newAPIServer(t)
	// c-1 ran the target, degraded and was rolled back a minute ago.
	api.app("c-1", "beta", old, "Healthy", time.Now().Add(-time.Minute), old, betaPin)
	cfg := kubeconfig(t, api.url)
	main := p.clone.Head(t, "main")

	r := run(t, nil, "rollout", "retry", "beta", "--repo", p.clone.Dir, "--kubeconfig", cfg, "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Retry the rollout of "+betaPin[:12]+" on beta, halted: c-1 ran "+betaPin[:12]+" and was rolled back")
	assert.Contains(t, r.stdout, "wave 1 (onprem-c: c-1) gets the target again (the first wave)")
	assert.Contains(t, r.stdout, "Shopset-Rollout-Retry: beta "+betaPin)
	assert.Equal(t, main, p.clone.Head(t, "main"), "a dry run changes nothing")

	// Nothing halted elsewhere: nothing to do, said so.
	r = run(t, nil, "rollout", "resume", "beta-prod", "--repo", p.clone.Dir, "--kubeconfig", cfg)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `tier "beta-prod" has no rollout`)

	p.clone.Git(t, "config", "user.name", "Ops Person")
	p.clone.Git(t, "config", "user.email", "ops@shop.example")
	// main is checked out here: shopctl does not move it, and says how to commit.
	r = run(t, nil, "rollout", "retry", "beta", "--repo", p.clone.Dir, "--kubeconfig", cfg, "--reason", "the migration finished")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "main is checked out in "+p.clone.Dir)
	assert.Contains(t, r.stderr, "git commit --allow-empty -F - <<'EOF'")
	assert.Equal(t, main, p.clone.Head(t, "main"))

	p.clone.Git(t, "push", "--quiet", "origin", "main")
	r = run(t, nil, "rollout", "retry", "beta", "--repo", p.clone.Dir, "--kubeconfig", cfg, "--reason", "the migration finished", "--push")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "and pushed it")
	assert.Contains(t, r.stdout, "git pull --ff-only origin main")
	msg := p.origin.Git(t, "log", "-1", "--format=%B", "main")
	assert.Contains(t, msg, "the migration finished")
	assert.Contains(t, msg, "Shopset-Rollout-Retry: beta "+betaPin)
	assert.Equal(t, main, p.origin.Git(t, "rev-parse", "main^"))

	r = run(t, nil, "rollout", "status", "beta", "--repo", p.origin.Dir, "--kubeconfig", cfg, "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep struct {
		Tiers []struct {
			Halt   *struct{ ShopSet string }
			Action *struct{ Kind, Target string }
		}
		ShopSets []struct{ Name, Revision string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	require.Len(t, rep.Tiers, 1)
	assert.Nil(t, rep.Tiers[0].Halt, "the retry ended the halt")
	require.NotNil(t, rep.Tiers[0].Action)
	assert.Equal(t, "retry", rep.Tiers[0].Action.Kind)
	require.Len(t, rep.ShopSets, 1)
	assert.Equal(t, betaPin, rep.ShopSets[0].Revision, "c-1 gets the target again")
}
