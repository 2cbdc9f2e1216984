package cli_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/internal/gittest"
	"github.com/shopset/shopset/snapshot"
)

// A preview renders from its branch's head with the previews' settings: render --preview
// prints byte for byte what the plugin gives the Application made from list --previews'
// parameter set, in a checkout of the branch.
func TestPreviewRenderEqualsPlugin(t *testing.T) {
	ctx := context.Background()
	repo, err := examples.BuildRepo(ctx, filepath.Join(t.TempDir(), "repo"))
	require.NoError(t, err)
	g := gittest.Open(t, repo.Dir)
	g.Branch(t, "preview/new-storefront", repo.Branches["tier/dev"])
	deploy := g.Git(t, "show", "tier/dev:apps/storefront/deployment.yaml")
	require.Contains(t, deploy, "storefront:2.4.0")
	g.CommitAt(t, "preview/new-storefront", map[string]string{"apps/storefront/deployment.yaml": strings.Replace(deploy, "storefront:2.4.0", "storefront:2.5.0-rc.1", 1) + "\n"},
		"Storefront 2.5.0-rc.1", time.Now())
	g.Branch(t, "preview/weaker", repo.Branches["tier/dev"])
	g.CommitAt(t, "preview/weaker", map[string]string{"policies/extra.rego": "package shopset.extra\n"}, "Weaker rules", time.Now())

	list := run(t, nil, "list", "--repo", repo.Dir, "--previews", "-o", "json")
	require.Equal(t, 0, list.code, list.stderr)
	assert.Equal(t, "not previewed: preview/weaker (policies-differ): policies/ differs from the lowest tier's pinned revision: land policy changes on the tier first\n", list.stderr)
	var params []snapshot.Params
	require.NoError(t, json.Unmarshal([]byte(list.stdout), &params))
	require.Len(t, params, 1)
	p := params[0]
	assert.Equal(t, "pr-new-storefront", p.Name)
	assert.Equal(t, g.Head(t, "preview/new-storefront"), p.Revision)

	rendered := run(t, nil, "render", "--preview", "preview/new-storefront", "--repo", repo.Dir)
	require.Equal(t, 0, rendered.code, rendered.stderr)
	assert.Contains(t, rendered.stdout, "storefront:2.5.0-rc.1")
	assert.Contains(t, rendered.stdout, "namespace: shopset-pr-new-storefront")
	assert.Contains(t, rendered.stdout, "shopset.io/tier: preview")

	checkout := filepath.Join(t.TempDir(), "checkout")
	require.NoError(t, repo.Checkout(ctx, "preview/new-storefront", checkout))
	t.Chdir(checkout)
	// As examples/preview-applicationset.yaml fills the plugin env from the parameter set.
	plugin := run(t, map[string]string{
		"ARGOCD_ENV_SHOPSET_NAME": p.Name, "ARGOCD_ENV_SHOPSET_TIER": p.Tier, "ARGOCD_ENV_SHOPSET_CONFIGURATION": p.Configuration,
		"ARGOCD_ENV_SHOPSET_CLUSTER": p.Cluster.Name, "ARGOCD_ENV_SHOPSET_NAMESPACE": p.Namespace,
		"ARGOCD_ENV_SHOPSET_COMPONENTS": p.ComponentsCSV, "ARGOCD_ENV_SHOPSET_MAX_MEMORY_LIMIT": p.MaxMemoryLimit,
		"ARGOCD_ENV_SHOPSET_ALLOW_CLUSTER_SCOPED": p.AllowClusterScopedCSV,
	}, "plugin", "generate")
	require.Equal(t, 0, plugin.code, plugin.stderr)
	assert.Equal(t, rendered.stdout, plugin.stdout)
}

func TestPreviewErrors(t *testing.T) {
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(t.TempDir(), "repo"))
	require.NoError(t, err)
	g := gittest.Open(t, repo.Dir)
	g.Branch(t, "preview/weaker", repo.Branches["tier/dev"])
	g.CommitAt(t, "preview/weaker", map[string]string{"policies/extra.rego": "package shopset.extra\n"}, "Weaker rules", time.Now())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "--preview", "preview/x"}, "error: --preview needs --repo: a preview is rendered from its branch in Git (shopctl render --preview BRANCH --repo R)\n"},
		{[]string{"render", "a-1", "--preview", "preview/x", "--repo", repo.Dir}, `error: --preview renders a topic branch's preview, not a ShopSet: drop "a-1" (shopctl render --preview BRANCH --repo R)` + "\n"},
		{[]string{"render", "--preview", "tier/dev", "--repo", repo.Dir}, `error: branch "tier/dev" does not match previews.branches "preview/*"` + "\n"},
		{[]string{"render", "--preview", "preview/gone", "--repo", repo.Dir}, `error: branch "preview/gone" not found in ` + repo.Dir + "\n"},
		{[]string{"render", "--preview", "preview/weaker", "--repo", repo.Dir}, `error: branch "preview/weaker" is not previewed (policies-differ): policies/ differs from the lowest tier's pinned revision: land policy changes on the tier first` + "\n"},
		{[]string{"list", "--previews"}, "error: --previews needs --repo: previews are topic branches in Git (shopctl list --previews --repo R)\n"},
		{[]string{"list", "--previews", "--repo", repo.Dir, "--tier", "dev"}, "error: --previews takes no --tier, --cluster or --configuration: previews run on the inventory's previews cluster with its configuration\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, nil, tc.args...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.Equal(t, tc.want, r.stderr)
		})
	}
}

// render --routing --repo lists the hosts of the previews the generator serves now, as the
// routing Application's parameter set names them.
func TestRoutingListsPreviewHosts(t *testing.T) {
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(t.TempDir(), "repo"))
	require.NoError(t, err)
	g := gittest.Open(t, repo.Dir)
	before := run(t, nil, "render", "--routing", "--cluster", "cluster-a", "--repo", repo.Dir)
	require.Equal(t, 0, before.code, before.stderr)
	assert.NotContains(t, before.stdout, "previews")

	g.Branch(t, "preview/checkout", repo.Branches["tier/dev"])
	g.CommitAt(t, "preview/checkout", map[string]string{"apps/NOTES": "x\n"}, "Checkout", time.Now())
	after := run(t, nil, "render", "--routing", "--cluster", "cluster-a", "--repo", repo.Dir)
	require.Equal(t, 0, after.code, after.stderr)
	assert.Contains(t, after.stdout, `"pr-checkout.preview.shop.example": {`)
	assert.Contains(t, after.stdout, `"namespace": "shopset-pr-checkout"`)

	// From a file there are no branches, so no previews.
	file := run(t, nil, "render", "--routing", "--cluster", "cluster-a", "-f", filepath.Join(repo.Dir, "shopsets.yaml"))
	require.Equal(t, 0, file.code, file.stderr)
	assert.Equal(t, before.stdout, file.stdout)
}
