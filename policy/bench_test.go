package policy_test

import (
	"context"
	"testing"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/policy"
	"github.com/shopset/shopset/render"
)

// BenchmarkRender is render.BenchmarkRender's example ShopSet (c-2 on tier/dev) rendered
// without policies: the reference for BenchmarkRenderWithPolicies in the same run.
func BenchmarkRender(b *testing.B) {
	tree, err := examples.Tree("tier/dev")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := render.Render(tree, shopset); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderWithPolicies is what the plugin does: the render, then loading and
// compiling the tier's default policy pack and checking every object.
func BenchmarkRenderWithPolicies(b *testing.B) {
	tree, err := examples.Tree("tier/dev")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := policy.Render(ctx, tree, shopset); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck is the policy part alone: load, compile and check a rendered ShopSet,
// as policy.Render does.
func BenchmarkCheck(b *testing.B) {
	tree, err := examples.Tree("tier/dev")
	if err != nil {
		b.Fatal(err)
	}
	m, err := render.RenderManifests(tree, shopset)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		p, err := policy.LoadCheckout(tree)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.CheckRendered(ctx, m, shopset); err != nil {
			b.Fatal(err)
		}
	}
}
