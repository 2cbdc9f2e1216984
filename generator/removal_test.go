package generator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noShopSets is the inventory with an empty shopsets list and no shops (which would have
// no ShopSet left to serve them).
func noShopSets(t *testing.T, inv string) string {
	t.Helper()
	start := strings.Index(inv, "shopsets:")
	end := strings.Index(inv, "# How shops are placed")
	require.True(t, start >= 0 && end > start, "the example inventory changed shape")
	out := inv[:start] + "shopsets: []\n\n" + inv[end:]
	if i := strings.Index(out, "shops:"); i >= 0 {
		out = out[:i] + "shops: []\n"
	}
	return out
}

// A refused removal stays refused across restarts of the generator, with its mirror kept
// or lost, and across later commits that do not put the ShopSets back: the baseline is
// the inventory's history in Git, not the memory of a process.
func TestRemovalGuardSurvivesRestart(t *testing.T) {
	for _, emptyCache := range []bool{false, true} {
		name := map[bool]string{false: "same cache", true: "empty cache"}[emptyCache]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, "file")
			a := f.argo(t)
			before, err := a.applications()
			require.NoError(t, err)
			require.Len(t, before, 9)

			empty := noShopSets(t, f.inventory(t))
			f.commitInventory(t, empty, "Drop every ShopSet")
			apps, err := a.applications()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "removes 9 of the 9 ShopSets of ")
			assert.Empty(t, apps)

			f.restart(t, emptyCache)
			apps, err = a.applications()
			require.Error(t, err, "a restart must not turn a refused removal into an empty list")
			assert.Contains(t, err.Error(), "removes 9 of the 9 ShopSets of ")
			assert.Empty(t, apps)

			// A later change that lists nothing either is still measured against the last
			// version accepted.
			f.commitInventory(t, empty+"# a comment\n", "Touch the inventory")
			f.restart(t, emptyCache)
			_, err = a.applications()
			require.Error(t, err)
			assert.Contains(t, err.Error(), `"Shopset-Confirm-Removal: 9"`)

			f.commitInventory(t, empty+"# confirmed\n", "Retire the fleet\n\nShopset-Confirm-Removal: 9\n")
			apps, err = a.applications()
			require.NoError(t, err)
			assert.Empty(t, apps, "a confirmed removal is served")
			f.restart(t, emptyCache)
			apps, err = a.applications()
			require.NoError(t, err, "and stays served after a restart")
			assert.Empty(t, apps)
		})
	}
}

// Two generators on the same repository answer alike, whatever each saw before: the one
// that served the full list and a new one refuse the same removal.
func TestRemovalGuardSameOnEveryReplica(t *testing.T) {
	f := newFixture(t, "file")
	a := f.argo(t)
	_, err := a.applications()
	require.NoError(t, err)
	inv := f.inventory(t)
	kept := inv[:strings.Index(inv, "  - name: a-2")]
	f.commitInventory(t, kept, "Drop most ShopSets")
	_, first := a.applications()
	require.Error(t, first)

	f.restart(t, true)
	_, second := a.applications()
	require.Error(t, second)
	assert.Equal(t, first.Error(), second.Error())
}

// With no earlier version to compare with (the inventory's first version lists nothing),
// a fresh generator refuses and says how to confirm.
func TestRemovalGuardFreshEmptyInventory(t *testing.T) {
	f := newFixture(t, "file")
	f.gitRepo.Commit(t, "main", map[string]string{"fresh/shopsets.yaml": noShopSets(t, f.inventory(t))}, "A second inventory, empty")
	a := f.argo(t)
	a.params = map[string]string{"path": `"fresh/shopsets.yaml"`}
	apps, err := a.applications()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fresh/shopsets.yaml at main (")
	assert.Contains(t, err.Error(), "lists no ShopSets and no earlier version of it was served to compare with")
	assert.Contains(t, err.Error(), `"Shopset-Confirm-Removal: 0"`)
	assert.Empty(t, apps)

	f.gitRepo.Commit(t, "main", map[string]string{"README.md": "empty on purpose\n"}, "Serve the empty inventory\n\nShopset-Confirm-Removal: 0\n")
	apps, err = a.applications()
	require.NoError(t, err)
	assert.Empty(t, apps)
}

// --max-removal-share 0 means what it says: no unconfirmed removal at all.
func TestRemovalShareZero(t *testing.T) {
	f := newFixtureWith(t, "file", func(f *fixture) { f.cfg.MaxRemovalShare = 0 })
	a := f.argo(t)
	_, err := a.applications()
	require.NoError(t, err)
	inv := f.inventory(t)
	d1 := "  - name: d-1\n    tier: dev\n    configuration: production\n    cluster: cluster-b\n\n"
	f.commitInventory(t, strings.Replace(inv, "# How shops are placed", d1+"# How shops are placed", 1), "Add d-1")
	_, err = a.applications()
	require.NoError(t, err, "adding is no removal")
	f.commitInventory(t, inv, "Drop d-1")
	apps, err := a.applications()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "removes 1 of the 10 ShopSets of ")
	assert.Empty(t, apps)
}

// A request that names no revision or path reads the server's --default-revision and
// --default-path, the same the warm-up and /readyz use.
func TestDefaultsFromOnePlace(t *testing.T) {
	f := newFixtureWith(t, "file", func(f *fixture) {
		inv := f.inventory(t)
		alt := strings.Replace(inv, "# How shops are placed", shopSetEntry("alt-1")+"# How shops are placed", 1)
		f.gitRepo.Branch(t, "inventory", f.repo.Branches["main"])
		f.gitRepo.Commit(t, "inventory", map[string]string{"platform/inventory.yaml": alt}, "The inventory elsewhere")
		f.cfg.DefaultRevision, f.cfg.DefaultPath = "inventory", "platform/inventory.yaml"
	})
	code, body := post(t, f.http.URL+"/api/v1/getparams.execute", testToken,
		`{"input":{"parameters":{"repoURL":"`+f.url+`"}}}`)
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"name":"alt-1"`)
	views := f.status(t).Repositories[0].Views
	require.Len(t, views, 1, "the request and the warm-up share one view")
	assert.Equal(t, "inventory", views[0].Revision)
	assert.Equal(t, "platform/inventory.yaml", views[0].Path)
}
