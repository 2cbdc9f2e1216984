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
	inv, err := examples.Inventory()
	require.NoError(t, err)
	for _, s := range inv.ShopSets {
		tier, _, _ := inv.Tier(s.Tier)
		tree, err := examples.Tree(tier.Branch)
		require.NoError(t, err)
		p := FromInventory(inv, s)
		full, err := render(tree, p, false)
		require.NoError(t, err)
		subset, err := render(tree, p, true)
		require.NoError(t, err)
		assert.Equal(t, string(full.YAML), string(subset.YAML), s.Name)
	}
}
