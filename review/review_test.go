package review_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/plan"
	"github.com/shopset/shopset/render"
	"github.com/shopset/shopset/review"
	"github.com/shopset/shopset/snapshot"
)

func exampleSnapshot(t *testing.T) (*gitrepo.Repo, *snapshot.Snapshot) {
	t.Helper()
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(t.TempDir(), "platform"))
	require.NoError(t, err)
	local, err := gitrepo.OpenLocal(repo.Dir)
	require.NoError(t, err)
	snap, err := snapshot.Build(context.Background(), local, repo.Dir, "main", examples.InventoryFile)
	require.NoError(t, err)
	return local, snap
}

// Against a side without ShopSets, every ShopSet is added, and its diff is exactly what
// render.Render gives for it: the concurrent renders change no byte.
func TestCompareRendersLikeRender(t *testing.T) {
	ctx := context.Background()
	repo, snap := exampleSnapshot(t)
	head := review.FromSnapshot("main", snap)
	empty := *snap.Inventory
	empty.ShopSets = nil
	base := head
	base.Label, base.Inventory = "empty", &empty

	report, err := review.Compare(ctx, repo, base, head, review.Options{})
	require.NoError(t, err)
	require.Len(t, report.ShopSets, len(snap.Inventory.ShopSets))
	assert.Equal(t, len(snap.Inventory.ShopSets), report.Rendered)
	for _, d := range report.ShopSets {
		require.NoError(t, d.Err)
		assert.Equal(t, review.Added, d.Status)
		s, _ := snap.Inventory.ShopSet(d.Name)
		tier, _ := snap.Tier(s.Tier)
		tree, err := repo.Tree(ctx, tier.Pinned)
		require.NoError(t, err)
		want, err := render.Render(tree, render.FromInventory(snap.Inventory, s))
		require.NoError(t, err)
		assert.Equal(t, string(want), addedLines(d.Diff), d.Name)
		assert.Equal(t, strings.Count(string(want), "\n"), d.Added)
		// The head side's manifests are kept, objects included, for the policy check.
		m, ok := report.HeadManifests[d.Name]
		require.True(t, ok, d.Name)
		assert.Equal(t, string(want), string(m.YAML))
		assert.Equal(t, strings.Count(string(want), "\n---\n")+1, len(m.JSON))
	}
	// Sorted by tier, lowest first, then cluster.
	assert.Equal(t, "dev", report.ShopSets[0].Tier)
	assert.Equal(t, "prod", report.ShopSets[len(report.ShopSets)-1].Tier)

	// The other way round, every ShopSet is removed.
	report, err = review.Compare(ctx, repo, head, base, review.Options{})
	require.NoError(t, err)
	for _, d := range report.ShopSets {
		assert.Equal(t, review.Removed, d.Status)
		assert.Nil(t, d.Head)
	}
}

// addedLines rebuilds the new file of a diff that only adds.
func addedLines(diff string) string {
	var b strings.Builder
	for _, l := range strings.Split(diff, "\n") {
		if strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++ ") {
			b.WriteString(l[1:] + "\n")
		}
	}
	return b.String()
}

func TestCompareSameSides(t *testing.T) {
	repo, snap := exampleSnapshot(t)
	side := review.FromSnapshot("main", snap)
	report, err := review.Compare(context.Background(), repo, side, side, review.Options{})
	require.NoError(t, err)
	assert.False(t, report.Differs())
	assert.Zero(t, report.Rendered, "identical inputs need no render")
	assert.Equal(t, len(snap.Inventory.ShopSets), report.Unchanged)
	assert.Empty(t, report.Moves)

	var text bytes.Buffer
	require.NoError(t, report.WriteText(&text))
	assert.Equal(t, "# main (inventory "+snap.InventoryCommit[:12]+") -> main (inventory "+snap.InventoryCommit[:12]+
		"): 0 changed, 0 added, 0 removed, 9 unchanged\n", text.String())
}

// The kinds the inventory allows cluster-scoped are a render input: a change to them alone
// renders every ShopSet again (here to the same manifests, the example has none).
func TestCompareAllowClusterScoped(t *testing.T) {
	repo, snap := exampleSnapshot(t)
	side := review.FromSnapshot("main", snap)
	allowing := *snap.Inventory
	allowing.AllowClusterScoped = []string{"Namespace"}
	head := side
	head.Label, head.Inventory = "allow", &allowing
	report, err := review.Compare(context.Background(), repo, side, head, review.Options{})
	require.NoError(t, err)
	assert.Equal(t, 2*len(snap.Inventory.ShopSets), report.Rendered)
	assert.False(t, report.Differs())
	assert.Equal(t, len(snap.Inventory.ShopSets), report.Unchanged)
}

func TestCompareMovedShops(t *testing.T) {
	repo, snap := exampleSnapshot(t)
	side := review.FromSnapshot("main", snap)
	// The same inventory with cluster-b cordoned: no manifest changes, five shops move.
	cordoned, err := plan.WithStates(snap.Inventory, plan.WhatIf{Cordon: []string{"cluster-b"}})
	require.NoError(t, err)
	head := side
	head.Label, head.Inventory = "cordon", cordoned
	report, err := review.Compare(context.Background(), repo, side, head, review.Options{})
	require.NoError(t, err)
	assert.True(t, report.Differs())
	assert.Empty(t, report.ShopSets)
	require.Len(t, report.Moves, 5)
	var text, md bytes.Buffer
	require.NoError(t, report.WriteText(&text))
	assert.Contains(t, text.String(), "# shops that move\n#   baz.shop.example: c-4,b-2 -> c-4,a-1\n")
	assert.Contains(t, text.String(), ", 5 shops moved\n")
	require.NoError(t, report.WriteMarkdown(&md))
	assert.Contains(t, md.String(), "| <code>foo.shop.example</code> | c-3, b-1 | c-3, a-2 |\n")
}

// A report too large for a pull request comment is cut, and says so.
func TestMarkdownFitsAComment(t *testing.T) {
	diff := "--- a/x\n+++ b/x\n@@ -1 +1 @@\n" + strings.Repeat("+a line of a large manifest\n", 200)
	r := &review.Report{Base: review.Side{Label: "main"}, Head: review.Side{Label: "x`y<z>"}}
	for i := range 40 {
		r.ShopSets = append(r.ShopSets, review.ShopSetDiff{
			Name: "s", AppName: "shopset-s", Tier: "dev", Cluster: "c", Status: review.Added, Diff: diff, Added: 200 + i,
		})
	}
	var md bytes.Buffer
	require.NoError(t, r.WriteMarkdown(&md))
	out := md.String()
	assert.LessOrEqual(t, len(out), review.MaxMarkdown)
	assert.True(t, strings.HasPrefix(out, review.MarkdownMarker+"\n"))
	assert.Contains(t, out, "*Cut to fit a comment: run `shopctl diff` for the whole diff.*")
	assert.Contains(t, out, "<code>x`y&lt;z&gt;</code>")
	assert.Equal(t, 40, strings.Count(out, "</details>"), "every section is closed")
	assert.Equal(t, 2*40, strings.Count(out, "```"), "every code block is closed")
}
