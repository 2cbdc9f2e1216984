package render_test

import (
	"io/fs"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/render"
)

// exampleShopSet is c-2 of the example platform: dev, production, the maintenance component.
var exampleShopSet = render.ShopSet{
	Name: "c-2", Namespace: "shopset-c-2", Tier: "dev", Configuration: "production",
	Cluster: "cluster-c", Components: []string{"maintenance"},
}

func exampleTree(b *testing.B) fs.FS {
	tree, err := examples.Tree("tier/dev")
	if err != nil {
		b.Fatal(err)
	}
	return tree
}

// BenchmarkRender renders an example ShopSet: copy of the checkout, safety checks and the
// Kustomize build.
func BenchmarkRender(b *testing.B) {
	tree := exampleTree(b)
	for b.Loop() {
		if _, err := render.Render(tree, exampleShopSet); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKustomizeOnly is the reference for BenchmarkRender in the same run: krusty alone
// building the same overlay from a ready in-memory filesystem. The ratio between the two is
// what Render adds; absolute times vary with the machine.
func BenchmarkKustomizeOnly(b *testing.B) {
	tree := exampleTree(b)
	mem := filesys.MakeFsInMemory()
	err := fs.WalkDir(tree, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(tree, p)
		if err != nil {
			return err
		}
		return mem.WriteFile("/"+p, data)
	})
	if err != nil {
		b.Fatal(err)
	}
	overlay, err := render.Overlay(exampleShopSet)
	if err != nil {
		b.Fatal(err)
	}
	if err := mem.WriteFile("/"+render.OverlayDir+"/kustomization.yaml", overlay); err != nil {
		b.Fatal(err)
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	for b.Loop() {
		m, err := k.Run(mem, "/"+render.OverlayDir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.AsYaml(); err != nil {
			b.Fatal(err)
		}
	}
}
