package render_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"sigs.k8s.io/kustomize/api/types"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/internal/loopback"
	"github.com/shopset/shopset/render"
)

// FuzzRender feeds arbitrary kustomization, resource and plugin configuration files, the
// outside input of a render: it must never panic, never succeed with nothing, never
// succeed while a kustomization names a URL, and never open a network connection. HOST
// in an input stands for a loopback server that counts connections; the process is not
// taken offline here, so the render's own checks are what keeps it unreached.
func FuzzRender(f *testing.F) {
	f.Add("resources: [cm.yaml]\n", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", "")
	f.Add("resources:\n- https://example.com/x.yaml\n", "", "")
	f.Add("resources: [github.com/org/repo]\n", "", "")
	f.Add("patches:\n- path: https://example.com/p.yaml\nresources: [cm.yaml]\n", "kind: ConfigMap\n", "")
	f.Add("resources: [../../../etc]\n", "", "")
	f.Add("configMapGenerator:\n- name: c\n  files: [k=cm.yaml]\n", "a: b\n", "")
	f.Add("{{{", "---\n---\n", "")
	f.Add("resources: [http://HOST/x.yaml]\n", "", "")
	f.Add("resources: [cm.yaml]\ntransformers: [t.yaml]\n", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
		"apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: http://HOST/p.yaml\n")
	f.Add("resources: [cm.yaml]\ngenerators: [t.yaml]\n", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
		"apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: g\nfiles: [k=http://HOST/f]\n")
	f.Add("resources: [cm.yaml]\ntransformers:\n- '{apiVersion: builtin, kind: PatchJson6902Transformer, metadata: {name: j}, target: {kind: ConfigMap, name: x}, path: \"http://HOST/j\"}'\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", "")
	f.Add("resources: [cm.yaml]\ntransformers: [t.yaml]\n", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
		"apiVersion: builtin\nkind: PatchStrategicMergeTransformer\nmetadata:\n  name: s\npaths: [HTTP://HOST/s]\n")
	srv := loopback.Counting(f)
	f.Fuzz(func(t *testing.T, kustomization, resource, plugin string) {
		host := func(s string) []byte { return []byte(strings.ReplaceAll(s, "HOST", srv.Addr)) }
		fsys := fstest.MapFS{
			"apps/kustomization.yaml": {Data: host(kustomization)},
			"apps/cm.yaml":            {Data: host(resource)},
			"apps/t.yaml":             {Data: host(plugin)},
			"configurations/production/kustomization.yaml": {Data: []byte(
				"apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonAnnotations: {a: b}\n")},
		}
		out, err := render.Render(fsys, render.ShopSet{Name: "a-1", Namespace: "shopset-a-1", Tier: "prod",
			Configuration: "production", Cluster: "cluster-a"})
		if n := srv.Conns(); n > 0 {
			t.Fatalf("the render opened %d network connection(s) (error: %v)", n, err)
		}
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
