package render_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/internal/golden"
	"github.com/shopset/shopset/render"
)

func shopset(configuration string, components ...string) render.ShopSet {
	return render.ShopSet{
		Name: "a-1", Namespace: "shopset-a-1", Tier: "prod",
		Configuration: configuration, Cluster: "cluster-a", Components: components,
	}
}

func fixture(t *testing.T) *os.Root {
	t.Helper()
	root, err := os.OpenRoot("testdata/checkout")
	require.NoError(t, err)
	t.Cleanup(func() { root.Close() })
	return root
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    render.ShopSet
	}{
		{"production", shopset("production")},
		{"staging", shopset("staging")},
		{"production-maintenance", shopset("production", "maintenance")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := render.Render(fixture(t).FS(), tc.s)
			require.NoError(t, err)
			golden.Assert(t, filepath.Join("testdata", "golden", tc.name+".yaml"), out)

			again, err := render.Render(fixture(t).FS(), tc.s)
			require.NoError(t, err)
			assert.Equal(t, string(out), string(again), "render is not deterministic")
		})
	}
}

func TestRenderConcurrent(t *testing.T) {
	want, err := render.Render(fixture(t).FS(), shopset("production"))
	require.NoError(t, err)
	fsys := fixture(t).FS()
	var wg sync.WaitGroup
	outs := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range outs {
		wg.Go(func() { outs[i], errs[i] = render.Render(fsys, shopset("production")) })
	}
	wg.Wait()
	for i := range outs {
		require.NoError(t, errs[i])
		assert.Equal(t, string(want), string(outs[i]))
	}
}

// base is a minimal valid checkout that the error cases below modify.
func base() fstest.MapFS {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"apps/kustomization.yaml":                      f("resources: [cm.yaml]\n"),
		"apps/cm.yaml":                                 f("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\n"),
		"configurations/production/kustomization.yaml": f("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonAnnotations:\n  shop.example/env: production\n"),
	}
}

func with(files map[string]string) fstest.MapFS {
	m := base()
	for name, data := range files {
		if data == "" {
			delete(m, name)
			continue
		}
		m[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return m
}

func TestRenderErrors(t *testing.T) {
	const component = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
	for _, tc := range []struct {
		name    string
		fsys    fstest.MapFS
		s       render.ShopSet
		wantErr string
	}{
		{
			name:    "configuration absent on the tier branch",
			fsys:    base(),
			s:       shopset("staging"),
			wantErr: `shopset "a-1": configuration "staging": directory configurations/staging/ not found in the checkout`,
		},
		{
			name:    "component absent",
			fsys:    base(),
			s:       shopset("production", "maintenance"),
			wantErr: `shopset "a-1": component "maintenance": directory components/maintenance/ not found in the checkout`,
		},
		{
			name:    "no apps",
			fsys:    with(map[string]string{"apps/kustomization.yaml": "", "apps/cm.yaml": ""}),
			s:       shopset("production"),
			wantErr: `shopset "a-1": base: directory apps/ not found in the checkout`,
		},
		{
			name:    "remote resource URL",
			fsys:    with(map[string]string{"apps/kustomization.yaml": "resources:\n- cm.yaml\n- https://example.com/evil.yaml\n"}),
			s:       shopset("production"),
			wantErr: `shopset "a-1": apps/kustomization.yaml: resources "https://example.com/evil.yaml": remote URLs are not allowed, everything must come from the checkout`,
		},
		{
			name:    "remote git base without scheme",
			fsys:    with(map[string]string{"apps/kustomization.yaml": "resources:\n- github.com/kubernetes-sigs/kustomize/examples/multibases\n"}),
			s:       shopset("production"),
			wantErr: `shopset "a-1": apps/kustomization.yaml: resources "github.com/kubernetes-sigs/kustomize/examples/multibases": remote URLs are not allowed, everything must come from the checkout`,
		},
		{
			name: "remote patch in a configuration",
			fsys: with(map[string]string{"configurations/production/kustomization.yaml": component +
				"patches:\n- path: https://example.com/patch.yaml\n"}),
			s:       shopset("production"),
			wantErr: `shopset "a-1": configurations/production/kustomization.yaml: patches "https://example.com/patch.yaml": remote URLs are not allowed, everything must come from the checkout`,
		},
		{
			name: "remote generator file source",
			fsys: with(map[string]string{"apps/kustomization.yaml": "resources: [cm.yaml]\n" +
				"configMapGenerator:\n- name: x\n  files:\n  - key=https://example.com/secret\n"}),
			s:       shopset("production"),
			wantErr: `shopset "a-1": apps/kustomization.yaml: configMapGenerator "https://example.com/secret": remote URLs are not allowed, everything must come from the checkout`,
		},
		{
			name:    "missing local resource",
			fsys:    with(map[string]string{"apps/kustomization.yaml": "resources: [nope.yaml]\n"}),
			s:       shopset("production"),
			wantErr: `shopset "a-1": apps/kustomization.yaml: "nope.yaml" not found in the checkout`,
		},
		{
			name: "exec plugin",
			fsys: with(map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ngenerators: [gen.yaml]\n",
				"apps/gen.yaml": "apiVersion: example.com/v1\nkind: Gen\nmetadata:\n  name: g\n" +
					"  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./gen.sh\n",
			}),
			s:       shopset("production"),
			wantErr: `shopset "a-1": kustomize build: `,
		},
		{
			name: "KRM function plugin",
			fsys: with(map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ntransformers: [fn.yaml]\n",
				"apps/fn.yaml": "apiVersion: example.com/v1\nkind: Fn\nmetadata:\n  name: f\n" +
					"  annotations:\n    config.kubernetes.io/function: |\n      container:\n        image: example.com/fn:1\n",
			}),
			s:       shopset("production"),
			wantErr: `shopset "a-1": kustomize build: `,
		},
		{
			name:    "render yields no objects",
			fsys:    with(map[string]string{"apps/kustomization.yaml": "resources: []\n", "apps/cm.yaml": ""}),
			s:       shopset("production"),
			wantErr: `shopset "a-1": the render produced no objects`,
		},
		{
			name:    "reserved overlay directory",
			fsys:    with(map[string]string{".shopset-overlay/x": "x"}),
			s:       shopset("production"),
			wantErr: `shopset "a-1": the checkout has a .shopset-overlay entry, a name reserved for the rendered overlay`,
		},
		{
			name:    "missing parameters",
			fsys:    base(),
			s:       render.ShopSet{Name: "a-1", Configuration: "production"},
			wantErr: `shopset "a-1": missing parameter(s): namespace, tier, cluster`,
		},
		{
			name:    "configuration as a path",
			fsys:    base(),
			s:       shopset("../../etc"),
			wantErr: `shopset "a-1": invalid configuration or component name "../../etc"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := render.Render(tc.fsys, tc.s)
			require.Error(t, err)
			assert.Nil(t, out)
			if tc.wantErr[len(tc.wantErr)-2:] == ": " {
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Contains(t, err.Error(), "plugin")
			} else {
				assert.Equal(t, tc.wantErr, err.Error())
			}
		})
	}
}

func TestRenderSymlinks(t *testing.T) {
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.yaml"),
		[]byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n"), 0o644))

	for _, tc := range []struct {
		name    string
		link    string // target of apps/extra.yaml
		wantErr string
	}{
		{"inside the checkout", "cm.yaml", ""},
		{"relative, leaving the checkout", "../../" + filepath.Base(outside) + "/secret.yaml", "symlink apps/extra.yaml -> ../../"},
		{"absolute", filepath.Join(outside, "secret.yaml"), "symlink apps/extra.yaml -> /"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "checkout")
			require.NoError(t, os.CopyFS(dir, base()))
			require.NoError(t, os.Symlink(tc.link, filepath.Join(dir, "apps", "extra.yaml")))
			root, err := os.OpenRoot(dir)
			require.NoError(t, err)
			defer root.Close()

			out, err := render.Render(root.FS(), shopset("production"))
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.Contains(t, string(out), "name: shop-config")
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Contains(t, err.Error(), "leaves the checkout")
		})
	}
}

func TestRenderSkipsGitDir(t *testing.T) {
	m := base()
	// A .git that would break the render if it were copied and read as a kustomization.
	m[".git/kustomization.yaml"] = &fstest.MapFile{Data: []byte("{{{ not yaml")}
	_, err := render.Render(m, shopset("production"))
	require.NoError(t, err)
}
