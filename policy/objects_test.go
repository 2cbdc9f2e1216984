package policy

import (
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/render"
)

// Policies see the same input whether a render's objects are read from its JSON, as
// Render does, or from its YAML stream: for every example ShopSet and a fixture with the
// values YAML and JSON spell differently.
func TestJSONObjectsAreTheYAMLObjects(t *testing.T) {
	inv, sets, err := examples.ShopSets()
	require.NoError(t, err)
	for _, s := range sets {
		m, err := render.RenderManifests(s.Tree, render.FromInventory(inv, s.ShopSet))
		require.NoError(t, err)
		assertSameObjects(t, s.Name, m)
	}

	m, err := render.RenderManifests(fstest.MapFS{
		"apps/kustomization.yaml": {Data: []byte("resources: [widget.yaml]\n")},
		"apps/widget.yaml":        {Data: []byte(widget)},
		"configurations/production/kustomization.yaml": {Data: []byte(
			"apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonAnnotations: {example.com/configuration: production}\n")},
	}, shopset)
	require.NoError(t, err)
	assertSameObjects(t, "fixture", m)
}

// widget holds values that YAML and JSON write differently.
const widget = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  annotations:
    example.com/on: "on"
    example.com/hex: "0x10"
spec:
  port: 8080
  big: 12345678901234567
  bigger: 18446744073709551615
  huge: 100000000000000000000
  half: 0.5
  whole: 1.0
  tiny: 1e-7
  large: 1.0e+21
  negative: -3
  enabled: true
  yes: yes
  nothing: ~
  quoted: ["true", "42", "1.0", "null", "~", "yes"]
  date: 2024-01-01
  text: |
    line one
    line two: with a colon
  unicode: "caf\u00e9 \u2713 \t tab"
  empty: {}
  none: []
  nested: [[1, 2.5], {a: [b, {c: -0}]}]
`

var shopset = render.ShopSet{Name: "c-2", Namespace: "shopset-c-2", Tier: "dev", Configuration: "production", Cluster: "cluster-c"}

func assertSameObjects(t *testing.T, name string, m render.Manifests) {
	t.Helper()
	fromYAML, err := Objects(m.YAML)
	require.NoError(t, err)
	fromJSON, err := jsonObjects(m.JSON)
	require.NoError(t, err)
	require.Len(t, fromJSON, len(fromYAML), name)
	for i := range fromYAML {
		y, err := ast.InterfaceToValue(fromYAML[i])
		require.NoError(t, err)
		j, err := ast.InterfaceToValue(fromJSON[i])
		require.NoError(t, err)
		assert.Equal(t, y.String(), j.String(), "%s: object %d", name, i+1)
		assert.Zero(t, y.Compare(j), "%s: object %d", name, i+1)
	}
}
