package render_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/internal/loopback"
	"github.com/shopset/shopset/render"
)

// TestRenderRefusesRemoteReferences covers every place Kustomize loads a path from:
// each case names a URL of a loopback server, and no case may reach it.
func TestRenderRefusesRemoteReferences(t *testing.T) {
	srv := loopback.Counting(t)
	url := "http://" + srv.Addr + "/patch.yaml"
	const component = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
	patchTransformer := "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: " + url + "\n"
	for _, tc := range []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{
			name: "PatchTransformer file under transformers (the reported case)",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ntransformers: [patch.yaml]\n",
				"apps/patch.yaml":         patchTransformer,
			},
			wantErr: `apps/patch.yaml: PatchTransformer "p": path "` + url + `": remote URLs are not allowed`,
		},
		{
			name: "PatchTransformer inline under transformers",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ntransformers:\n- |\n  " +
					strings.ReplaceAll(strings.TrimSpace(patchTransformer), "\n", "\n  ") + "\n",
			},
			wantErr: `apps/kustomization.yaml: transformers (inline): PatchTransformer "p": path "` + url + `"`,
		},
		{
			name: "inline on one line, in flow style",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ntransformers:\n- '{apiVersion: builtin, kind: PatchTransformer, metadata: {name: p}, path: \"" + url + "\"}'\n",
			},
			wantErr: `apps/kustomization.yaml: transformers (inline): PatchTransformer "p": path "` + url + `"`,
		},
		{
			name: "a Component's transformers",
			files: map[string]string{
				"configurations/production/kustomization.yaml": component + "transformers: [patch.yaml]\n",
				"configurations/production/patch.yaml":         patchTransformer,
			},
			wantErr: `configurations/production/patch.yaml: PatchTransformer "p": path "` + url + `"`,
		},
		{
			name: "ConfigMapGenerator config with a URL in files",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ngenerators: [gen.yaml]\n",
				"apps/gen.yaml":           "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: g\nfiles:\n- key=" + url + "\n",
			},
			wantErr: `apps/gen.yaml: ConfigMapGenerator "g": files "key=` + url + `"`,
		},
		{
			name: "SecretGenerator config with a URL in envs",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ngenerators: [gen.yaml]\n",
				"apps/gen.yaml":           "apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: g\nenvs:\n- " + url + "\n",
			},
			wantErr: `apps/gen.yaml: SecretGenerator "g": envs "` + url + `"`,
		},
		{
			name: "ReplacementTransformer with a nested path",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ntransformers: [r.yaml]\n",
				"apps/r.yaml":             "apiVersion: builtin\nkind: ReplacementTransformer\nmetadata:\n  name: r\nreplacements:\n- path: " + url + "\n",
			},
			wantErr: `apps/r.yaml: ReplacementTransformer "r": replacements[0].path "` + url + `"`,
		},
		{
			name: "second document of a transformers file",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ntransformers: [t.yaml]\n",
				"apps/t.yaml": "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels: {a: b}\nfieldSpecs: [{path: metadata/labels, create: true}]\n---\n" +
					patchTransformer,
			},
			wantErr: `apps/t.yaml: PatchTransformer "p": path "` + url + `"`,
		},
		{
			name: "a directory under transformers, its resources are configurations",
			files: map[string]string{
				"apps/kustomization.yaml":      "resources: [cm.yaml]\ntransformers: [tdir]\n",
				"apps/tdir/kustomization.yaml": "resources: [patch.yaml]\n",
				"apps/tdir/patch.yaml":         patchTransformer,
			},
			wantErr: `apps/tdir/patch.yaml: PatchTransformer "p": path "` + url + `"`,
		},
		{
			name: "transformers entry that is itself a URL",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ntransformers: [" + url + "]\n",
			},
			wantErr: `apps/kustomization.yaml: transformers "` + url + `"`,
		},
		{
			name: "URL with an upper-case scheme",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml, " + strings.Replace(url, "http", "HTTP", 1) + "]\n",
			},
			wantErr: `remote URLs are not allowed`,
		},
		{
			name: "Git address with a user, not a URL",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml, 'me@127.0.0.1/org/repo']\n",
			},
			wantErr: `apps/kustomization.yaml: resources "me@127.0.0.1/org/repo": remote URLs are not allowed`,
		},
		{
			name: "GitHub address in another case that exists as a local directory",
			files: map[string]string{
				"apps/kustomization.yaml":                     "resources: [cm.yaml, GitHub.com/org/repo]\n",
				"apps/GitHub.com/org/repo/kustomization.yaml": "resources: []\n",
			},
			wantErr: `apps/kustomization.yaml: resources "GitHub.com/org/repo": remote URLs are not allowed`,
		},
		{
			name: "helm values file",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\nhelmCharts:\n- name: c\n  valuesFile: " + url + "\n",
			},
			wantErr: `apps/kustomization.yaml: helmCharts "` + url + `"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := render.Render(with(tc.files), shopset("production"))
			require.Error(t, err)
			assert.Nil(t, out)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Contains(t, err.Error(), `shopset "a-1": `)
			assert.Zero(t, srv.Conns(), "the render opened a network connection")
		})
	}
}

// TestRenderAllowsLocalPluginConfigs keeps the check from refusing what is fine: builtin
// plugin configurations that name files of the checkout, and URLs in values that are
// data, not files to load.
func TestRenderAllowsLocalPluginConfigs(t *testing.T) {
	out, err := render.Render(with(map[string]string{
		"apps/kustomization.yaml": "resources: [cm.yaml]\ntransformers: [patch.yaml]\ngenerators: [gen.yaml]\n",
		"apps/patch.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: p.yaml\n" +
			"target: {kind: ConfigMap}\n",
		"apps/p.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\ndata:\n  patched: \"yes\"\n",
		"apps/gen.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: urls\nliterals:\n- API=https://api.shop.example/v1\n",
	}), shopset("production"))
	require.NoError(t, err)
	assert.Contains(t, string(out), "patched: \"yes\"")
	assert.Contains(t, string(out), "API: https://api.shop.example/v1")
}

// Bounds on what a checkout can make a render do: each is a clear error naming the file,
// within seconds.
func TestRenderBounds(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n" +
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n" +
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
	for _, tc := range []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{
			name: "alias bomb in a resource",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\n",
				"apps/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\ndata:\n  x: y\n---\n" + bomb,
			},
			wantErr: "apps/cm.yaml:13:8: YAML aliases expand to more than 100000 nodes",
		},
		{
			name:    "alias bomb in the kustomization",
			files:   map[string]string{"apps/kustomization.yaml": "resources: [cm.yaml]\n" + bomb},
			wantErr: "apps/kustomization.yaml:7:8: YAML aliases expand to more than 100000 nodes",
		},
		{
			name: "a 50 MB ConfigMap",
			files: map[string]string{
				"apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\ndata:\n  x: " +
					strings.Repeat("x", 50<<20) + "\n",
			},
			wantErr: "apps/cm.yaml is 50 MiB, more than the 4 MiB a manifest file may be",
		},
		{
			name: "alias bomb in a file that is not listed",
			files: map[string]string{
				"apps/unused.yml": bomb,
			},
			wantErr: "apps/unused.yml:6:8: YAML aliases expand to more than 100000 nodes",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render.Render(with(tc.files), shopset("production"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}

	// A fan-out of directory links that all stay inside the checkout, with no loop: each
	// of 8 levels links 8 times to the next, 8^8 paths; the entry bound stops the copy.
	dir := filepath.Join(t.TempDir(), "checkout")
	require.NoError(t, os.CopyFS(dir, base()))
	for level := range 9 {
		d := filepath.Join(dir, "fan", fmt.Sprintf("d%d", level))
		require.NoError(t, os.MkdirAll(d, 0o755))
		if level == 8 {
			require.NoError(t, os.WriteFile(filepath.Join(d, "x.txt"), []byte("x"), 0o644))
			continue
		}
		for i := range 8 {
			require.NoError(t, os.Symlink(fmt.Sprintf("../d%d", level+1), filepath.Join(d, fmt.Sprintf("l%d", i))))
		}
	}
	root, err := os.OpenRoot(dir)
	require.NoError(t, err)
	defer root.Close()
	_, err = render.Render(root.FS(), shopset("production"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 100000 files, directories and links")
}
