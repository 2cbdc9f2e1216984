package examples_test

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/internal/golden"
	"github.com/shopset/shopset/render"
)

// Every example ShopSet renders, and its manifests are reviewed in testdata/render/.
func TestExampleShopSetsRender(t *testing.T) {
	inv, sets, err := examples.ShopSets()
	require.NoError(t, err)
	require.NotEmpty(t, sets)
	for _, s := range sets {
		t.Run(s.Name, func(t *testing.T) {
			out, err := render.Render(s.Tree, render.FromInventory(inv, s.ShopSet))
			require.NoError(t, err)
			golden.Assert(t, filepath.Join("testdata", "render", s.Name+".yaml"), out)
		})
	}
}

func TestBuildRepo(t *testing.T) {
	ctx := context.Background()
	inv, err := examples.Inventory()
	require.NoError(t, err)
	repo, err := examples.BuildRepo(ctx, filepath.Join(t.TempDir(), "repo"))
	require.NoError(t, err)

	again, err := examples.BuildRepo(ctx, filepath.Join(t.TempDir(), "repo"))
	require.NoError(t, err)
	assert.Equal(t, repo.Branches, again.Branches, "commit IDs must be reproducible")

	// Promotion order: each tier branch is an ancestor of the branch of the tier below,
	// and never the other way round.
	for i := 1; i < len(inv.Tiers); i++ {
		lower, higher := inv.Tiers[i-1].Branch, inv.Tiers[i].Branch
		assert.NotEqual(t, repo.Branches[lower], repo.Branches[higher])
		assert.NoError(t, exec.Command("git", "-C", repo.Dir, "merge-base", "--is-ancestor", higher, lower).Run(),
			"%s must be an ancestor of %s", higher, lower)
		assert.Error(t, exec.Command("git", "-C", repo.Dir, "merge-base", "--is-ancestor", lower, higher).Run())
	}

	// main holds the inventory only.
	out, err := exec.Command("git", "-C", repo.Dir, "ls-tree", "--name-only", "main").Output()
	require.NoError(t, err)
	assert.Equal(t, examples.InventoryFile+"\n", string(out))

	// Tree gives exactly what a checkout of the branch holds.
	for _, tier := range inv.Tiers {
		dir := filepath.Join(t.TempDir(), "checkout")
		require.NoError(t, repo.Checkout(ctx, tier.Branch, dir))
		tree, err := examples.Tree(tier.Branch)
		require.NoError(t, err)
		assert.Equal(t, files(t, tree), files(t, os.DirFS(dir)), tier.Branch)
	}
}

func files(t *testing.T, fsys fs.FS) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		out[p] = string(b)
		return err
	}))
	return out
}
