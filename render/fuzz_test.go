package render_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"sigs.k8s.io/kustomize/api/types"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/render"
)

// FuzzRender feeds arbitrary kustomization and resource files, the outside input of a
// render: it must never panic, never succeed with nothing, and never succeed while a
// kustomization names a URL.
func FuzzRender(f *testing.F) {
	f.Add("resources: [cm.yaml]\n", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
	f.Add("resources:\n- https://example.com/x.yaml\n", "")
	f.Add("resources: [github.com/org/repo]\n", "")
	f.Add("patches:\n- path: https://example.com/p.yaml\nresources: [cm.yaml]\n", "kind: ConfigMap\n")
	f.Add("resources: [../../../etc]\n", "")
	f.Add("configMapGenerator:\n- name: c\n  files: [k=cm.yaml]\n", "a: b\n")
	f.Add("{{{", "---\n---\n")
	f.Fuzz(func(t *testing.T, kustomization, resource string) {
		fsys := fstest.MapFS{
			"apps/kustomization.yaml": {Data: []byte(kustomization)},
			"apps/cm.yaml":            {Data: []byte(resource)},
			"configurations/production/kustomization.yaml": {Data: []byte(
				"apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonAnnotations: {a: b}\n")},
		}
		out, err := render.Render(fsys, render.ShopSet{Name: "a-1", Namespace: "shopset-a-1", Tier: "prod",
			Configuration: "production", Cluster: "cluster-a"})
		if err != nil {
			return
		}
		if len(out) == 0 {
			t.Fatal("success with no output")
		}
		var k types.Kustomization
		if sigsyaml.Unmarshal([]byte(kustomization), &k) == nil {
			for _, r := range slices.Concat(k.Resources, k.Bases, k.Components) {
				if strings.Contains(r, "://") {
					t.Fatalf("rendered a kustomization with the remote resource %q", r)
				}
			}
		}
	})
}
