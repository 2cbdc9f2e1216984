package render

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	kyamlopenapi "sigs.k8s.io/kustomize/kyaml/openapi"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/examples"
)

// encode writes exactly what Kustomize's own AsYaml writes, and its JSON holds the same
// objects as that YAML, for every example ShopSet.
func TestEncodeIsAsYaml(t *testing.T) {
	inv, sets, err := examples.ShopSets()
	require.NoError(t, err)
	for _, s := range sets {
		t.Run(s.Name, func(t *testing.T) {
			p := FromInventory(inv, s.ShopSet)
			prep, err := prepare(s.Tree, p)
			require.NoError(t, err)
			require.NoError(t, prep.useSchemaSubset(p))
			m, err := guarded(func() (resmap.ResMap, error) {
				kyamlopenapi.ResetOpenAPI()
				opts := krusty.MakeDefaultOptions()
				opts.Reorder = krusty.ReorderOptionUnspecified
				return krusty.MakeKustomizer(opts).Run(prep.mem, "/"+overlayDir)
			})
			require.NoError(t, err)
			want, err := m.AsYaml()
			require.NoError(t, err)

			got, err := encode(m)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got.YAML))
			docs := strings.Split(strings.TrimPrefix(string(got.YAML), "---\n"), "\n---\n")
			require.Len(t, got.JSON, len(docs))
			for i, doc := range docs {
				js, err := sigsyaml.YAMLToJSON([]byte(doc))
				require.NoError(t, err)
				assert.JSONEq(t, string(js), string(got.JSON[i]))
			}

			rendered, err := RenderManifests(s.Tree, p)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(rendered.YAML), "RenderManifests gives what Render gives")
		})
	}
}
