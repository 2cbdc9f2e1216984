package plugin_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v2/reposerver/repository"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/plugin"
)

// imageCase is one ShopSet e2e/image.sh hands TestImageCMPServer: its parameter set as the
// generator serves it, a checkout of its tier at its pinned revision, and what `shopctl
// render` printed for it outside the image.
type imageCase struct {
	Params struct {
		Name                  string `json:"name"`
		Tier                  string `json:"tier"`
		Configuration         string `json:"configuration"`
		Namespace             string `json:"namespace"`
		ComponentsCSV         string `json:"componentsCSV"`
		MaxMemoryLimit        string `json:"maxMemoryLimit"`
		AllowClusterScopedCSV string `json:"allowClusterScopedCSV"`
		Cluster               struct {
			Name string `json:"name"`
		} `json:"cluster"`
	} `json:"params"`
	Checkout string `json:"checkout"`
	Render   string `json:"render"`
}

// TestImageCMPServer renders ShopSets through Argo CD's argocd-cmp-server running in the
// image, as the sidecar runs it, called by the repo-server's own client code with the
// plugin env of examples/applicationset.yaml, and compares each with `shopctl render`.
// e2e/image.sh runs it, naming the cmp-server's socket directory in
// SHOPSET_IMAGE_CMP_PLUGINS and its cases in SHOPSET_IMAGE_CMP_CASES; without them there is
// no such server to call, and it is skipped.
func TestImageCMPServer(t *testing.T) {
	plugins, cases := os.Getenv("SHOPSET_IMAGE_CMP_PLUGINS"), os.Getenv("SHOPSET_IMAGE_CMP_CASES")
	if plugins == "" || cases == "" {
		t.Skip("no cmp-server in the image to call: e2e/image.sh runs this test")
	}
	t.Setenv("ARGOCD_PLUGINSOCKFILEPATH", plugins)
	b, err := os.ReadFile(cases)
	require.NoError(t, err)
	var all []imageCase
	require.NoError(t, json.Unmarshal(b, &all))
	require.NotEmpty(t, all)
	for _, c := range all {
		t.Run(c.Params.Name, func(t *testing.T) {
			rendered, err := os.ReadFile(c.Render)
			require.NoError(t, err)
			want := asJSON(t, rendered)
			require.NotEmpty(t, want)
			p := c.Params
			resp, err := generate(t, c.Checkout, &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(
				"SHOPSET_NAME", p.Name, "SHOPSET_TIER", p.Tier, "SHOPSET_CONFIGURATION", p.Configuration,
				"SHOPSET_CLUSTER", p.Cluster.Name, "SHOPSET_NAMESPACE", p.Namespace,
				"SHOPSET_COMPONENTS", p.ComponentsCSV, "SHOPSET_MAX_MEMORY_LIMIT", p.MaxMemoryLimit,
				"SHOPSET_ALLOW_CLUSTER_SCOPED", p.AllowClusterScopedCSV,
			)}, repository.WithCMPTarExcludedGlobs([]string{".git"}))
			require.NoError(t, err)
			require.Len(t, resp.Manifests, len(want))
			for i := range want {
				assert.JSONEq(t, want[i], resp.Manifests[i])
			}
		})
	}
}
