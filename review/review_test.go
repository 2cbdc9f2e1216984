package review_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
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
		want, err := render.Render(tree, render.FromInventory(s))
		require.NoError(t, err)
		assert.Equal(t, string(want), addedLines(d.Diff), d.Name)
		assert.Equal(t, strings.Count(string(want), "\n"), d.Added)
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
	called := false
	report, err := review.Compare(context.Background(), repo, side, side, review.Options{
		MovedShops: func(base, head *inventory.Inventory) ([]review.ShopMove, error) {
			called = true
			assert.Same(t, base, head)
			return nil, nil
		},
	})
	require.NoError(t, err)
	assert.False(t, report.Differs())
	assert.Zero(t, report.Rendered, "identical inputs need no render")
	assert.Equal(t, len(snap.Inventory.ShopSets), report.Unchanged)
	assert.True(t, called, "the moved-shops hook runs")

	var text bytes.Buffer
	require.NoError(t, report.WriteText(&text))
	assert.Equal(t, "# main (inventory "+snap.InventoryCommit[:12]+") -> main (inventory "+snap.InventoryCommit[:12]+
		"): 0 changed, 0 added, 0 removed, 9 unchanged\n", text.String())

	_, err = review.Compare(context.Background(), repo, side, side, review.Options{
		MovedShops: func(_, _ *inventory.Inventory) ([]review.ShopMove, error) { return nil, errors.New("no placement") },
	})
	require.EqualError(t, err, "placing shops: no placement")
}

func TestCompareMovedShops(t *testing.T) {
	repo, snap := exampleSnapshot(t)
	side := review.FromSnapshot("main", snap)
	report, err := review.Compare(context.Background(), repo, side, side, review.Options{
		MovedShops: func(_, _ *inventory.Inventory) ([]review.ShopMove, error) {
			return []review.ShopMove{{Host: "hoge.shop.example", From: []string{"a-2", "b-1"}, To: []string{"b-1", "c-3"}}}, nil
		},
	})
	require.NoError(t, err)
	assert.True(t, report.Differs())
	var text, md bytes.Buffer
	require.NoError(t, report.WriteText(&text))
	assert.Contains(t, text.String(), "# shops that move\n#   hoge.shop.example: a-2,b-1 -> b-1,c-3\n")
	assert.Contains(t, text.String(), ", 1 shops moved\n")
	require.NoError(t, report.WriteMarkdown(&md))
	assert.Contains(t, md.String(), "| <code>hoge.shop.example</code> | a-2, b-1 | b-1, c-3 |\n")
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
