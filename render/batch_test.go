package render_test

import (
	"context"
	"fmt"
	"io/fs"
	"runtime"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/render"
)

// RenderAll gives, job by job, exactly what Render gives: the same bytes, the same errors.
func TestRenderAllMatchesRender(t *testing.T) {
	inv, err := examples.Inventory()
	require.NoError(t, err)
	var jobs []render.Job
	// Every example ShopSet on every tier's content, so each configuration and component
	// meets each version of the manifests.
	for _, tier := range inv.Tiers {
		tree, err := examples.Tree(tier.Branch)
		require.NoError(t, err)
		for _, s := range inv.ShopSets {
			jobs = append(jobs, render.Job{Checkout: tree, ShopSet: render.FromInventory(inv, s)})
		}
	}
	for _, c := range []string{"production", "staging"} {
		jobs = append(jobs, render.Job{Checkout: fixture(t).FS(), ShopSet: shopset(c)})
	}
	jobs = append(jobs, render.Job{Checkout: fixture(t).FS(), ShopSet: shopset("production", "maintenance")})
	// Failures, before and during the build.
	for _, j := range []struct {
		fsys fstest.MapFS
		s    render.ShopSet
	}{
		{base(), shopset("staging")},
		{with(map[string]string{"apps/kustomization.yaml": "resources:\n- https://example.com/evil.yaml\n"}), shopset("production")},
		{with(map[string]string{"apps/kustomization.yaml": "resources: []\n", "apps/cm.yaml": ""}), shopset("production")},
		{with(map[string]string{"apps/kustomization.yaml": "resources: [cm.yaml]\npatches:\n- patch: '{{{'\n"}), shopset("production")},
		{with(map[string]string{".shopset-overlay/x": "x"}), shopset("production")},
		{base(), render.ShopSet{Name: "a-1", Configuration: "production"}},
	} {
		jobs = append(jobs, render.Job{Checkout: j.fsys, ShopSet: j.s})
	}

	// More jobs than one batch holds.
	jobs = append(jobs, jobs...)
	got := render.RenderAll(context.Background(), jobs, 4)
	require.Len(t, got, len(jobs))
	failures := 0
	for i, j := range jobs {
		want, wantErr := render.Render(j.Checkout, j.ShopSet)
		name := fmt.Sprintf("job %d (%s)", i, j.ShopSet.Name)
		if wantErr != nil {
			failures++
			require.Error(t, got[i].Err, name)
			assert.Equal(t, wantErr.Error(), got[i].Err.Error(), name)
			assert.Nil(t, got[i].Out, name)
			continue
		}
		require.NoError(t, got[i].Err, name)
		assert.Equal(t, string(want), string(got[i].Out), name)
	}
	assert.Equal(t, 12, failures)
}

// A checkout whose kustomization names its own schema renders alone, through Render, and
// a batch that mixes it with others still gives each job Render's answer.
func TestRenderAllOwnSchema(t *testing.T) {
	own := with(map[string]string{
		"apps/kustomization.yaml": "resources: [cm.yaml]\nopenapi:\n  version: v1.21.2\n",
	})
	unreadable := with(map[string]string{
		"components/odd/kustomization.yaml": "{{{ not yaml",
	})
	jobs := []render.Job{
		{Checkout: own, ShopSet: shopset("production")},
		{Checkout: base(), ShopSet: shopset("production")},
		{Checkout: unreadable, ShopSet: shopset("production")},
	}
	got := render.RenderAll(context.Background(), jobs, 2)
	for i, j := range jobs {
		want, err := render.Render(j.Checkout, j.ShopSet)
		require.NoError(t, err)
		require.NoError(t, got[i].Err)
		assert.Equal(t, string(want), string(got[i].Out), "job %d", i)
	}
}

func TestRenderAllCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := render.RenderAll(ctx, []render.Job{{Checkout: base(), ShopSet: shopset("production")}}, 1)
	require.Len(t, got, 1)
	assert.ErrorIs(t, got[0].Err, context.Canceled)
}

// A batch and Render calls running at the same time do not disturb each other.
func TestRenderAllBesideRender(t *testing.T) {
	want, err := render.Render(fixture(t).FS(), shopset("production"))
	require.NoError(t, err)
	var checkout fs.FS = fixture(t).FS()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			out, err := render.Render(checkout, shopset("production"))
			assert.NoError(t, err)
			assert.Equal(t, string(want), string(out))
		}
	}()
	jobs := make([]render.Job, 8)
	for i := range jobs {
		jobs[i] = render.Job{Checkout: checkout, ShopSet: shopset("production")}
	}
	for _, r := range render.RenderAll(context.Background(), jobs, 4) {
		require.NoError(t, r.Err)
		assert.Equal(t, string(want), string(r.Out))
	}
	<-done
}

// exampleJobs is every example ShopSet on every tier's content.
func exampleJobs(b *testing.B) []render.Job {
	inv, err := examples.Inventory()
	if err != nil {
		b.Fatal(err)
	}
	var jobs []render.Job
	for _, tier := range inv.Tiers {
		tree, err := examples.Tree(tier.Branch)
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range inv.ShopSets {
			jobs = append(jobs, render.Job{Checkout: tree, ShopSet: render.FromInventory(inv, s)})
		}
	}
	return jobs
}

// BenchmarkRenderAll renders the 28 example jobs as one batch, one build per CPU;
// BenchmarkRenderEach is its reference in the same run: the same jobs, one Render each.
func BenchmarkRenderAll(b *testing.B) {
	jobs := exampleJobs(b)
	for b.Loop() {
		for _, r := range render.RenderAll(context.Background(), jobs, runtime.GOMAXPROCS(0)) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
}

func BenchmarkRenderEach(b *testing.B) {
	jobs := exampleJobs(b)
	for b.Loop() {
		for _, j := range jobs {
			if _, err := render.Render(j.Checkout, j.ShopSet); err != nil {
				b.Fatal(err)
			}
		}
	}
}
