package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/cli"
	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/internal/golden"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Execute(context.Background(), args, cli.Env{
		Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] },
	})
	return result{code, stdout.String(), stderr.String()}
}

const exampleInventory = "../examples/shopsets.yaml"

func TestList(t *testing.T) {
	for _, format := range []string{"table", "wide", "json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			r := run(t, nil, "list", "-f", exampleInventory, "-o", format)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			golden.Assert(t, filepath.Join("testdata", "list."+format), []byte(r.stdout))
		})
	}
}

func TestValidate(t *testing.T) {
	r := run(t, nil, "validate", "-f", exampleInventory)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "../examples/shopsets.yaml: valid: 4 tiers, 3 clusters, 2 configurations, 9 shopsets, 10 shops\n", r.stdout)
}

// checkout writes a small tier checkout and returns its directory.
func checkout(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "checkout")
	base := map[string]string{
		"apps/kustomization.yaml": "resources: [cm.yaml]\n",
		"apps/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\n",
		"configurations/production/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n" +
			"commonAnnotations:\n  shop.example/env: production\n",
	}
	for k, v := range files {
		base[k] = v
	}
	for name, data := range base {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		if data != "" {
			require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
		}
	}
	return dir
}

const inventoryHead = `apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers:
  - {name: prod, branch: tier/prod}
clusters:
  - {name: cluster-a, server: https://a.k8s.example}
configurations:
  - {name: production}
  - {name: staging}
`

func inventoryFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "shopsets.yaml")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

const okShopSet = inventoryHead + "shopsets:\n  - {name: a-1, tier: prod, configuration: production, cluster: cluster-a}\n"

// Each bad input: exit status 1, nothing on stdout, and one clear error line on stderr.
func TestBadInput(t *testing.T) {
	aliasBomb := inventoryHead + `x: &a ["x","x","x","x","x","x","x","x","x"]
y: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
z: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
w: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
v: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
u: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
shopsets: [*f]
`
	for _, tc := range []struct {
		name      string
		inventory string            // inventory content; okShopSet if empty
		files     map[string]string // checkout changes; "" creates an empty directory
		vars      map[string]string // for plugin generate
		args      []string          // default: render a-1
		want      string            // the stderr line, or its start when it ends in "…"
	}{
		{name: "unknown field", inventory: okShopSet + "extra: 1\n",
			want: "error: shopsets.yaml:12:1: unknown field \"extra\""},
		{name: "duplicate ShopSet name", inventory: okShopSet + "  - {name: a-1, tier: prod, configuration: production, cluster: cluster-a}\n",
			want: "error: shopsets.yaml:12:12: shopsets[1].name: duplicate shopset name \"a-1\" (first at line 11)"},
		{name: "missing tier reference", inventory: inventoryHead + "shopsets:\n  - {name: a-1, tier: qa, configuration: production, cluster: cluster-a}\n",
			want: "error: shopsets.yaml:11:23: shopsets[0].tier: unknown tier \"qa\" (known: prod)"},
		{name: "missing cluster reference", inventory: inventoryHead + "shopsets:\n  - {name: a-1, tier: prod, configuration: production, cluster: z}\n",
			want: "error: shopsets.yaml:11:65: shopsets[0].cluster: unknown cluster \"z\" (known: cluster-a)"},
		{name: "missing configuration reference", inventory: inventoryHead + "shopsets:\n  - {name: a-1, tier: prod, configuration: qa, cluster: cluster-a}\n",
			want: "error: shopsets.yaml:11:44: shopsets[0].configuration: unknown configuration \"qa\" (known: production, staging)"},
		{name: "name ../x", inventory: inventoryHead + "shopsets:\n  - {name: ../x, tier: prod, configuration: production, cluster: cluster-a}\n",
			want: "error: shopsets.yaml:11:12: shopsets[0].name: invalid DNS label \"../x\": …"},
		{name: "name A_1", inventory: inventoryHead + "shopsets:\n  - {name: A_1, tier: prod, configuration: production, cluster: cluster-a}\n",
			want: "error: shopsets.yaml:11:12: shopsets[0].name: invalid DNS label \"A_1\": …"},
		{name: "empty name", inventory: inventoryHead + "shopsets:\n  - {name: \"\", tier: prod, configuration: production, cluster: cluster-a}\n",
			want: "error: shopsets.yaml:11:12: shopsets[0].name: invalid DNS label \"\": must not be empty"},
		{name: "malformed YAML", inventory: inventoryHead + "shopsets: [\n",
			want: "error: shopsets.yaml:…"},
		{name: "alias bomb", inventory: aliasBomb,
			want: "error: shopsets.yaml:…document contains excessive aliasing"},
		{name: "unknown ShopSet", args: []string{"render", "b-9"},
			want: "error: shopset \"b-9\" not found in shopsets.yaml"},
		{name: "configuration directory absent on the tier branch",
			inventory: inventoryHead + "shopsets:\n  - {name: a-1, tier: prod, configuration: staging, cluster: cluster-a}\n",
			want:      "error: shopset \"a-1\": configuration \"staging\": directory configurations/staging/ not found in the checkout"},
		{name: "kustomization with a remote URL",
			files: map[string]string{"apps/kustomization.yaml": "resources:\n- cm.yaml\n- https://raw.example.com/x.yaml\n"},
			want:  "error: shopset \"a-1\": apps/kustomization.yaml: resources \"https://raw.example.com/x.yaml\": remote URLs are not allowed, everything must come from the checkout"},
		{name: "symlink out of the checkout", files: map[string]string{"apps/kustomization.yaml": "resources: [cm.yaml, passwd]\n"},
			want: "error: shopset \"a-1\": symlink apps/passwd -> /etc/passwd leaves the checkout"},
		{name: "exec plugin",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ngenerators: [gen.yaml]\n",
				"apps/gen.yaml": "apiVersion: example.com/v1\nkind: Gen\nmetadata:\n  name: g\n  annotations:\n" +
					"    config.kubernetes.io/function: |\n      exec:\n        path: ./gen.sh\n",
			},
			want: "error: shopset \"a-1\": kustomize build: …"},
		{name: "KRM function plugin",
			files: map[string]string{
				"apps/kustomization.yaml": "resources: [cm.yaml]\ntransformers: [fn.yaml]\n",
				"apps/fn.yaml": "apiVersion: example.com/v1\nkind: Fn\nmetadata:\n  name: f\n  annotations:\n" +
					"    config.kubernetes.io/function: |\n      container:\n        image: example.com/fn:1\n",
			},
			want: "error: shopset \"a-1\": kustomize build: …"},
		{name: "render yields no objects", files: map[string]string{"apps/kustomization.yaml": "resources: []\n", "apps/cm.yaml": "# nothing\n"},
			want: "error: shopset \"a-1\": the render produced no objects"},
		{name: "missing ShopSet parameter in the CMP environment", args: []string{"plugin", "generate"},
			vars: map[string]string{"ARGOCD_ENV_SHOPSET_NAME": "a-1", "ARGOCD_ENV_SHOPSET_TIER": "prod", "ARGOCD_ENV_SHOPSET_CLUSTER": "cluster-a"},
			want: "error: shopset \"a-1\": configuration: missing (plugin env SHOPSET_CONFIGURATION or plugin parameter \"configuration\")"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := tc.inventory
			if inv == "" {
				inv = okShopSet
			}
			dir := checkout(t, tc.files)
			if tc.name == "symlink out of the checkout" {
				require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "apps", "passwd")))
			}
			// Errors name the inventory as given on the command line.
			t.Chdir(filepath.Dir(inventoryFile(t, inv)))
			args := tc.args
			if args == nil {
				args = []string{"render", "a-1", "--dir", dir}
			} else if args[0] == "render" {
				args = append(args, "--dir", dir)
			} else {
				t.Chdir(dir)
			}
			r := run(t, tc.vars, args...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout, "nothing may reach stdout on failure")
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			require.Len(t, lines, 1, "want one error line, got:\n%s", r.stderr)
			if prefix, rest, ok := strings.Cut(tc.want, "…"); ok {
				assert.True(t, strings.HasPrefix(lines[0], prefix), "%q does not start with %q", lines[0], prefix)
				assert.Contains(t, lines[0], rest)
			} else {
				assert.Equal(t, tc.want, lines[0])
			}
		})
	}
}

// render --repo reads Git the way the generator and the plugin do; render --dir reads a
// checkout. Both give the example's reviewed manifests.
func TestRenderFromRepoAndFromCheckout(t *testing.T) {
	ctx := context.Background()
	repo, err := examples.BuildRepo(ctx, filepath.Join(t.TempDir(), "repo"))
	require.NoError(t, err)
	fromRepo := run(t, nil, "render", "a-1", "--repo", repo.Dir)
	require.Equal(t, 0, fromRepo.code, fromRepo.stderr)
	golden.Assert(t, filepath.Join("..", "examples", "testdata", "render", "a-1.yaml"), []byte(fromRepo.stdout))

	checkoutDir := filepath.Join(t.TempDir(), "checkout")
	require.NoError(t, repo.Checkout(ctx, "tier/beta-prod", checkoutDir))
	fromDir := run(t, nil, "render", "a-1", "-f", filepath.Join(repo.Dir, "shopsets.yaml"), "--dir", checkoutDir)
	require.Equal(t, 0, fromDir.code, fromDir.stderr)
	assert.Equal(t, fromRepo.stdout, fromDir.stdout)

	// list --repo -o json is the generator's parameter sets, pinned revisions included.
	list := run(t, nil, "list", "--repo", repo.Dir, "-o", "json")
	require.Equal(t, 0, list.code, list.stderr)
	assert.Contains(t, list.stdout, `"revision": "`+repo.Branches["tier/beta-prod"]+`"`)
}

func TestDemo(t *testing.T) {
	r := run(t, nil, "demo", "--shopset", "a-1")
	require.Equal(t, 0, r.code, r.stderr)
	want, err := os.ReadFile(filepath.Join("..", "examples", "testdata", "render", "a-1.yaml"))
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(r.stdout, string(want)), "demo ends with the ShopSet's manifests")
	assert.Contains(t, r.stdout, "TIER        CLUSTER     NAME   CONFIGURATION   NAMESPACE     COMPONENTS    BRANCH           REVISION")
}

// demo --keep refuses a directory with anything in it, before it writes there.
func TestDemoKeepRefusesNonEmpty(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("keep me\n"), 0o644))
	r := run(t, nil, "demo", "--keep", dir)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "error: --keep "+dir+": the directory is not empty; give a new or empty one\n", r.stderr)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing was written")
}
