package bigrepo_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/internal/bigrepo"
	"github.com/shopset/shopset/internal/gittest"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/snapshot"
)

func TestInventoryParses(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		shopsets, clusters, shops int
	}{
		{"small", 40, 5, 100},
		{"one of each", 1, 1, 1},
		{"fewer ShopSets than tiers", 3, 2, 12},
		{"one ShopSet per tier", 4, 3, 12},
		{"staging at a small scale", 200, 2, 500},
		{"no shops", 8, 2, 0},
		{"sizes below the minimum", 0, 0, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := bigrepo.Inventory(tc.shopsets, tc.clusters, tc.shops)
			inv, err := inventory.Parse(bigrepo.InventoryFile, data)
			require.NoError(t, err)
			assert.Len(t, inv.ShopSets, max(tc.shopsets, 1))
			assert.Len(t, inv.Clusters, max(tc.clusters, 1))
			assert.Len(t, inv.Shops, max(tc.shops, 0))
			require.Len(t, inv.Tiers, 4)
			assert.Equal(t, bigrepo.Tiers, []string{inv.Tiers[0].Name, inv.Tiers[1].Name, inv.Tiers[2].Name, inv.Tiers[3].Name})
			assert.Equal(t, inventory.SyncManual, inv.Tiers[3].SyncPolicy)
			assert.Equal(t, data, bigrepo.Inventory(tc.shopsets, tc.clusters, tc.shops), "the output is deterministic")
		})
	}
}

// The measured scale parses, and every tier has the same number of ShopSets on every
// cluster: a per-cluster ApplicationSet's request selects the same amount wherever it runs.
func TestInventorySpread(t *testing.T) {
	data := bigrepo.Inventory(bigrepo.ShopSets, bigrepo.Clusters, bigrepo.Shops)
	inv, err := inventory.Parse(bigrepo.InventoryFile, data)
	require.NoError(t, err)
	require.Len(t, inv.ShopSets, bigrepo.ShopSets)
	require.Len(t, inv.Shops, bigrepo.Shops)
	assert.Equal(t, data, bigrepo.Inventory(bigrepo.ShopSets, bigrepo.Clusters, bigrepo.Shops), "the output is deterministic")
	perPair := map[string]int{}
	configs := map[string]int{}
	withComponents := 0
	for _, s := range inv.ShopSets {
		perPair[s.Tier+"/"+s.Cluster]++
		configs[s.Configuration]++
		if len(s.Components) > 0 {
			withComponents++
		}
	}
	require.Len(t, perPair, len(bigrepo.Tiers)*bigrepo.Clusters)
	for pair, n := range perPair {
		assert.Equal(t, bigrepo.ShopSets/(len(bigrepo.Tiers)*bigrepo.Clusters), n, pair)
	}
	assert.Equal(t, map[string]int{bigrepo.Production: 8000, bigrepo.Staging: 2000}, configs)
	assert.Equal(t, 500, withComponents)
	domains := map[string]bool{}
	for _, c := range inv.Clusters {
		domains[c.FailureDomain] = true
	}
	assert.Len(t, domains, bigrepo.FailureDomains)
	shopTiers, shopConfigs := map[string]int{}, map[string]int{}
	for _, s := range inv.Shops {
		shopTiers[s.Tier]++
		shopConfigs[s.Configuration]++
		assert.Equal(t, 2, s.Redundancy, s.Host)
	}
	assert.Equal(t, map[string]int{"dev": 10000, "beta": 10000, "beta-prod": 10000, "prod": 10000}, shopTiers)
	assert.Equal(t, map[string]int{bigrepo.Production: 32000, bigrepo.Staging: 8000}, shopConfigs)
}

func TestSetComponents(t *testing.T) {
	base := bigrepo.Inventory(40, 5, 10)
	for _, tc := range []struct {
		name       string
		shopset    string
		components []string
		want       []string
	}{
		{"add", "s-00001", []string{"maintenance"}, []string{"maintenance"}},
		{"replace", "s-00004", []string{"a", "b"}, []string{"a", "b"}},
		{"remove", "s-00004", nil, nil},
		{"last ShopSet", "s-00040", []string{"maintenance"}, []string{"maintenance"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := bigrepo.SetComponents(base, tc.shopset, tc.components...)
			require.NoError(t, err)
			inv, err := inventory.Parse(bigrepo.InventoryFile, out)
			require.NoError(t, err, "%s", out)
			s, ok := inv.ShopSet(tc.shopset)
			require.True(t, ok)
			assert.Equal(t, tc.want, s.Components)
			require.Len(t, inv.ShopSets, 40)

			orig, err := inventory.Parse(bigrepo.InventoryFile, base)
			require.NoError(t, err)
			for i, o := range orig.ShopSets {
				if o.Name != tc.shopset {
					assert.Equal(t, o.Components, inv.ShopSets[i].Components, o.Name)
				}
			}
		})
	}
	_, err := bigrepo.SetComponents(base, "s-99999", "maintenance")
	assert.ErrorContains(t, err, `no ShopSet "s-99999"`)
}

func TestBuild(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "platform")
	repo, err := bigrepo.Build(ctx, dir, 40, 5, 100)
	require.NoError(t, err)
	g := gittest.Open(t, repo.Dir)

	assert.Equal(t, string(bigrepo.Inventory(40, 5, 100)), g.Git(t, "show", "main:shopsets.yaml")+"\n")
	for i := 0; i+1 < len(bigrepo.Tiers); i++ {
		lower, higher := "tier/"+bigrepo.Tiers[i], "tier/"+bigrepo.Tiers[i+1]
		assert.Equal(t, repo.Branches[higher], g.Git(t, "rev-parse", repo.Branches[lower]+"^"),
			"%s is one commit ahead of %s", lower, higher)
	}
	for branch, commit := range repo.Branches {
		assert.Equal(t, commit, g.Head(t, branch))
	}

	again, err := bigrepo.Build(ctx, filepath.Join(t.TempDir(), "again"), 40, 5, 100)
	require.NoError(t, err)
	assert.Equal(t, repo.Branches, again.Branches, "commit IDs are reproducible")
	_, err = bigrepo.Build(ctx, dir, 40, 5, 100)
	assert.ErrorContains(t, err, "already holds one")

	// The generator's own snapshot reads it: every tier pinned to its branch head.
	local, err := gitrepo.OpenLocal(repo.Dir)
	require.NoError(t, err)
	snap, err := snapshot.Build(ctx, local, "file://"+repo.Dir, "main", bigrepo.InventoryFile)
	require.NoError(t, err)
	require.Len(t, snap.Params, 40)
	for _, tier := range snap.Tiers {
		assert.Equal(t, repo.Branches[tier.Branch], tier.Pinned, tier.Name)
		assert.Empty(t, tier.Held, tier.Name)
	}

	changed, err := bigrepo.SetComponents(bigrepo.Inventory(40, 5, 100), "s-00002", "maintenance")
	require.NoError(t, err)
	commit, err := repo.Commit(ctx, "main", map[string]string{bigrepo.InventoryFile: string(changed)}, "Maintenance for s-00002")
	require.NoError(t, err)
	assert.Equal(t, repo.Branches["main"], g.Git(t, "rev-parse", commit+"^"))
	got, err := repo.ReadFile(ctx, "main", bigrepo.InventoryFile)
	require.NoError(t, err)
	assert.Equal(t, string(changed), string(got))
}
