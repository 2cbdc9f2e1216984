package render

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
)

// The schema subset is an optimisation only: every example ShopSet, and the fixture,
// render to the same bytes as with Kustomize's whole built-in schema.
func TestSchemaSubsetChangesNothing(t *testing.T) {
	inv, sets, err := examples.ShopSets()
	require.NoError(t, err)
	for _, s := range sets {
		p := FromInventory(inv, s.ShopSet)
		full, err := render(s.Tree, p, false)
		require.NoError(t, err)
		subset, err := render(s.Tree, p, true)
		require.NoError(t, err)
		assert.Equal(t, string(full.YAML), string(subset.YAML), s.Name)
	}
}
