package inventory_test

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestLoadValid(t *testing.T) {
	inv, err := inventory.Load("testdata/valid.yaml")
	require.NoError(t, err)
	want := &inventory.Inventory{
		File:       "testdata/valid.yaml",
		APIVersion: inventory.APIVersion,
		Kind:       inventory.Kind,
		Tiers: []inventory.Tier{
			{Name: "dev", Branch: "tier/dev", SyncPolicy: inventory.SyncAutomated, Pos: pos(6, 5)},
			{Name: "beta-prod", Branch: "tier/beta-prod", SyncPolicy: inventory.SyncAutomated, Pos: pos(8, 5)},
			{Name: "prod", Branch: "tier/prod", SyncPolicy: inventory.SyncManual, Pos: pos(11, 5)},
		},
		Clusters: []inventory.Cluster{
			{Name: "cluster-a", Server: "https://a.k8s.example", FailureDomain: "onprem-a", State: inventory.StateActive, Pos: pos(16, 5)},
			{Name: "cluster-b", Server: "https://b.k8s.example:6443", FailureDomain: "cluster-b", State: inventory.StateCordoned, Pos: pos(19, 5)},
			{Name: "cluster-c", Server: "http://c.k8s.example/k8s/clusters/c-1", FailureDomain: "cluster-c", State: inventory.StateDown, Pos: pos(22, 5)},
		},
		Configurations: []inventory.Configuration{
			{Name: "production", Description: "Settings every real shop runs with.", MaxMemoryLimit: "10Gi", Pos: pos(27, 5)},
			{Name: "staging", MaxMemoryLimit: "2147483648", Pos: pos(30, 5)},
		},
		ShopSets: []inventory.ShopSet{
			{Name: "p-2", Tier: "prod", Configuration: "production", Cluster: "cluster-b", Namespace: "shopset-p-2", Pos: pos(34, 5)},
			{Name: "a-1", Tier: "beta-prod", Configuration: "production", Cluster: "cluster-a", Namespace: "shopset-a-1",
				Components: []string{"maintenance"}, Pos: pos(38, 5)},
			{Name: "d-1", Tier: "dev", Configuration: "staging", Cluster: "cluster-a", Namespace: "shopset-d-1",
				Components: []string{"maintenance", "debug"}, Pos: pos(44, 5)},
			{Name: "p-1", Tier: "prod", Configuration: "production", Cluster: "cluster-c", Namespace: "custom-ns", Pos: pos(51, 5)},
		},
		Placement: inventory.Placement{Redundancy: 2},
		Shops: []inventory.Shop{
			{Host: "hoge.shop.example", Tier: "prod", Configuration: "production", Redundancy: 2, Pos: pos(61, 5)},
			{Host: "fuga.shop.example", Tier: "dev", Configuration: "staging", Redundancy: 1, Pos: pos(63, 5)},
		},
		AllowClusterScoped: []string{"Namespace", "ClusterRole"},
	}
	assert.Equal(t, want, inv)
	for _, tc := range []struct{ shopset, want string }{
		{"p-2", "10Gi"},       // production
		{"d-1", "2147483648"}, // staging
	} {
		s, ok := inv.ShopSet(tc.shopset)
		require.True(t, ok, tc.shopset)
		assert.Equal(t, tc.want, inv.MaxMemoryLimit(s), tc.shopset)
	}
	assert.Empty(t, inv.MaxMemoryLimit(inventory.ShopSet{Name: "x", Configuration: "unknown"}))
}

func TestLoadMinimalAppliesDefaults(t *testing.T) {
	inv, err := inventory.Load("testdata/valid-minimal.yaml")
	require.NoError(t, err)
	assert.Equal(t, []inventory.Tier{{Name: "prod", Branch: "main", SyncPolicy: inventory.SyncAutomated, Pos: pos(5, 5)}}, inv.Tiers)
	assert.Equal(t, []inventory.Cluster{{Name: "cluster-a", Server: "https://a.k8s.example",
		FailureDomain: "cluster-a", State: inventory.StateActive, Pos: pos(8, 5)}}, inv.Clusters)
	assert.Equal(t, inventory.Placement{Redundancy: 2}, inv.Placement)
	assert.Empty(t, inv.ShopSets)
	assert.Empty(t, inv.Shops)
}

func TestLoadFollowsAliases(t *testing.T) {
	inv, err := inventory.Load("testdata/valid-anchors.yaml")
	require.NoError(t, err)
	require.Len(t, inv.ShopSets, 2)
	for _, s := range inv.ShopSets {
		assert.Equal(t, "prod", s.Tier)
		assert.Equal(t, "production", s.Configuration)
		assert.Equal(t, "cluster-a", s.Cluster)
		assert.Equal(t, []string{"maintenance", "debug"}, s.Components)
	}
	assert.Equal(t, []inventory.Shop{{Host: "hoge.shop.example", Tier: "prod", Configuration: "production",
		Redundancy: 1, Pos: pos(26, 5)}}, inv.Shops)
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shopsets.yaml")
	inv, err := inventory.Load(path)
	assert.Nil(t, inv)
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), path)
}

// TestGolden checks every sample under testdata/: valid*.yaml must load, and
// invalid-*.yaml must fail with exactly the text of the matching .err file.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			inv, err := inventory.Load(file)
			if strings.HasPrefix(filepath.Base(file), "valid") {
				require.NoError(t, err)
				assert.NotNil(t, inv)
				return
			}
			assert.Nil(t, inv)
			var errs inventory.Errors
			require.ErrorAs(t, err, &errs)
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".err"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run the test with -update to create %s", golden)
			assert.Equal(t, string(want), got)
		})
	}
}

// base is a minimal valid inventory. Cases that append to it start at line 13.
const base = `apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers:
  - name: dev
    branch: tier/dev
  - name: prod
    branch: tier/prod
clusters:
  - name: cluster-a
    server: https://a.k8s.example
configurations:
  - name: production
`

// shopset is a valid ShopSet entry for base, five lines long.
func shopset(name string) string {
	return "  - name: " + name + `
    tier: dev
    configuration: production
    cluster: cluster-a
    namespace: ` + inventory.DefaultNamespace(name) + "\n"
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "unknown top-level field",
			in:   base + "colour: blue\n",
			want: `shopsets.yaml:13:1: unknown field "colour"`,
		},
		{
			name: "unknown nested field",
			in:   base + "shopsets:\n" + shopset("a-1") + "    replicas: 2\n",
			want: `shopsets.yaml:19:5: shopsets[0]: unknown field "replicas"`,
		},
		{
			name: "field names are case sensitive",
			in:   base + "shopsets:\n  - Name: a-1\n    tier: dev\n    configuration: production\n    cluster: cluster-a\n",
			want: `shopsets.yaml:14:5: shopsets[0]: unknown field "Name"
shopsets.yaml:14:5: shopsets[0]: missing required field "name"`,
		},
		{
			name: "duplicate shopset name",
			in:   base + "shopsets:\n" + shopset("a-1") + shopset("a-1"),
			want: `shopsets.yaml:19:11: shopsets[1].name: duplicate shopset name "a-1" (first at line 14)
shopsets.yaml:23:16: shopsets[1].namespace: namespace "shopset-a-1" on cluster "cluster-a" is already used by shopset "a-1" (first at line 18)`,
		},
		{
			name: "duplicate shopset name with default namespaces",
			in:   base + "shopsets:\n  - {name: a-1, tier: dev, configuration: production, cluster: cluster-a}\n  - {name: a-1, tier: dev, configuration: production, cluster: cluster-a}\n",
			want: `shopsets.yaml:15:12: shopsets[1].name: duplicate shopset name "a-1" (first at line 14)`,
		},
		{
			name: "default namespace taken by an explicit one",
			in: base + "shopsets:\n" +
				"  - {name: a-1, tier: dev, configuration: production, cluster: cluster-a, namespace: shopset-b-1}\n" +
				"  - {name: b-1, tier: dev, configuration: production, cluster: cluster-a}\n",
			want: `shopsets.yaml:15:5: shopsets[1].namespace: default namespace "shopset-b-1" on cluster "cluster-a" is already used by shopset "a-1" (first at line 14)`,
		},
		{
			name: "unknown references",
			in:   base + "shopsets:\n  - name: a-1\n    tier: qa\n    configuration: prodution\n    cluster: cluster-z\n",
			want: `shopsets.yaml:15:11: shopsets[0].tier: unknown tier "qa" (known: dev, prod)
shopsets.yaml:16:20: shopsets[0].configuration: unknown configuration "prodution" (known: production)
shopsets.yaml:17:14: shopsets[0].cluster: unknown cluster "cluster-z" (known: cluster-a)`,
		},
		{
			name: "missing references",
			in:   base + "shopsets:\n  - name: a-1\n",
			want: `shopsets.yaml:14:5: shopsets[0]: missing required field "tier"
shopsets.yaml:14:5: shopsets[0]: missing required field "configuration"
shopsets.yaml:14:5: shopsets[0]: missing required field "cluster"`,
		},
		{
			name: "null counts as missing",
			in:   base + "shopsets:\n  - name: a-1\n    tier: null\n    configuration: ~\n    cluster:\n",
			want: `shopsets.yaml:14:5: shopsets[0]: missing required field "tier"
shopsets.yaml:14:5: shopsets[0]: missing required field "configuration"
shopsets.yaml:14:5: shopsets[0]: missing required field "cluster"`,
		},
		{
			name: "path traversal in a name",
			in:   base + "shopsets:\n" + strings.Replace(shopset("a-1"), "a-1", "../x", 1),
			want: `shopsets.yaml:14:11: shopsets[0].name: invalid DNS label "../x": invalid character '.' (only lowercase letters, digits and '-' are allowed)`,
		},
		{
			name: "upper case and underscore in a name",
			in:   base + "shopsets:\n" + strings.Replace(shopset("a-1"), "a-1", "A_1", 1),
			want: `shopsets.yaml:14:11: shopsets[0].name: invalid DNS label "A_1": invalid character 'A' (only lowercase letters, digits and '-' are allowed)`,
		},
		{
			name: "empty name",
			in:   base + "shopsets:\n" + strings.Replace(shopset("a-1"), "a-1", `""`, 1),
			want: `shopsets.yaml:14:11: shopsets[0].name: invalid DNS label "": must not be empty`,
		},
		{
			name: "shopset name longer than 55",
			in:   base + "shopsets:\n  - {name: " + strings.Repeat("a", 56) + ", tier: dev, configuration: production, cluster: cluster-a}\n",
			want: `shopsets.yaml:14:12: shopsets[0].name: shopset name "` + strings.Repeat("a", 56) +
				`" is too long: 56 characters, at most 55 (the default namespace "shopset-<name>" must fit in 63)`,
		},
		{
			name: "cluster name longer than 63",
			in:   strings.Replace(base, "name: cluster-a", "name: "+strings.Repeat("c", 64), 1),
			want: `shopsets.yaml:9:11: clusters[0].name: invalid DNS label "` + strings.Repeat("c", 64) +
				`": must be at most 63 characters, got 64`,
		},
		{
			name: "duplicate tier name and branch",
			in:   strings.Replace(base, "name: prod\n    branch: tier/prod", "name: dev\n    branch: tier/dev", 1),
			want: `shopsets.yaml:6:11: tiers[1].name: duplicate tier name "dev" (first at line 4)
shopsets.yaml:7:13: tiers[1].branch: duplicate branch "tier/dev" (first at line 5)`,
		},
		{
			name: "bad sync policy",
			in:   strings.Replace(base, "branch: tier/dev\n", "branch: tier/dev\n    syncPolicy: Automatic\n", 1),
			want: `shopsets.yaml:6:17: tiers[0].syncPolicy: invalid sync policy "Automatic" (valid: automated, manual)`,
		},
		{
			name: "bad cluster state",
			in:   strings.Replace(base, "configurations:", "  - {name: cluster-b, server: 'https://b.k8s.example', state: drained}\nconfigurations:", 1),
			want: `shopsets.yaml:11:63: clusters[1].state: invalid cluster state "drained" (valid: active, cordoned, down)`,
		},
		{
			name: "server without scheme",
			in:   strings.Replace(base, "https://a.k8s.example", "a.k8s.example:6443", 1),
			want: `shopsets.yaml:10:13: clusters[0].server: invalid server URL "a.k8s.example:6443": must be an absolute URL starting with https:// or http://`,
		},
		{
			name: "server with another scheme",
			in:   strings.Replace(base, "https://a.k8s.example", "ssh://a.k8s.example", 1),
			want: `shopsets.yaml:10:13: clusters[0].server: invalid server URL "ssh://a.k8s.example": scheme must be https or http, not "ssh"`,
		},
		{
			name: "server without host",
			in:   strings.Replace(base, "https://a.k8s.example", "https:///api", 1),
			want: `shopsets.yaml:10:13: clusters[0].server: invalid server URL "https:///api": missing host`,
		},
		{
			name: "relative server",
			in:   strings.Replace(base, "https://a.k8s.example", "/api", 1),
			want: `shopsets.yaml:10:13: clusters[0].server: invalid server URL "/api": must be an absolute URL starting with https:// or http://`,
		},
		{
			name: "bad memory limits",
			in: base + "    maxMemoryLimit: 10GB\n" +
				"  - name: staging\n    maxMemoryLimit: -1Gi\n" +
				"  - name: test\n    maxMemoryLimit: [1Gi]\n" +
				"  - name: empty\n    maxMemoryLimit: 0\n" +
				"  - name: flag\n    maxMemoryLimit: true\n" +
				"  - name: spaced\n    maxMemoryLimit: 10 Gi\n",
			want: `shopsets.yaml:13:21: configurations[0].maxMemoryLimit: invalid memory limit "10GB": not a Kubernetes quantity (such as 512Mi or 10Gi)
shopsets.yaml:15:21: configurations[1].maxMemoryLimit: invalid memory limit "-1Gi": must be greater than zero
shopsets.yaml:17:21: configurations[2].maxMemoryLimit: expected a quantity such as 10Gi, got a list
shopsets.yaml:19:21: configurations[3].maxMemoryLimit: invalid memory limit "0": must be greater than zero
shopsets.yaml:21:21: configurations[4].maxMemoryLimit: expected a quantity such as 10Gi, got a boolean
shopsets.yaml:23:21: configurations[5].maxMemoryLimit: invalid memory limit "10 Gi": not a Kubernetes quantity (such as 512Mi or 10Gi)`,
		},
		{
			name: "bad cluster-scoped kinds",
			in: base + "allowClusterScoped:\n  - Namespace\n  - clusterRole\n  - Cluster-Role\n  - Namespace\n  - 42\n  - ''\n" +
				"  - " + strings.Repeat("K", 64) + "\n",
			want: `shopsets.yaml:15:5: allowClusterScoped[1]: invalid kind "clusterRole": must be an UpperCamel name of letters and digits, such as ClusterRole
shopsets.yaml:16:5: allowClusterScoped[2]: invalid kind "Cluster-Role": must be an UpperCamel name of letters and digits, such as ClusterRole
shopsets.yaml:17:5: allowClusterScoped[3]: duplicate kind "Namespace" (first at line 14)
shopsets.yaml:18:5: allowClusterScoped[4]: expected a string, got an integer
shopsets.yaml:19:5: allowClusterScoped[5]: invalid kind "": must not be empty
shopsets.yaml:20:5: allowClusterScoped[6]: invalid kind "` + strings.Repeat("K", 64) + `": must be at most 63 characters, got 64`,
		},
		{
			name: "cluster-scoped kinds not a list",
			in:   base + "allowClusterScoped: Namespace\n",
			want: `shopsets.yaml:13:21: allowClusterScoped: expected a list, got a string`,
		},
		{
			name: "malformed YAML",
			in:   base + "shopsets:\n  - name: a-1\n    tier: dev: x\n",
			want: `shopsets.yaml:15: invalid YAML: mapping values are not allowed in this context`,
		},
		{
			name: "malformed YAML is reported where the YAML parser reports it",
			in:   base + "shopsets:\n  - name: a-1\n   tier: dev\n",
			want: `shopsets.yaml:13: invalid YAML: did not find expected '-' indicator`,
		},
		{
			name: "two documents",
			in:   base + "---\n" + base,
			want: `shopsets.yaml:13:1: unexpected second YAML document (the inventory must be a single document)`,
		},
		{
			name: "second document is malformed",
			in:   base + "---\nkind: [\n",
			want: `shopsets.yaml:14: invalid YAML: did not find expected node content`,
		},
		{
			name: "empty file",
			in:   "",
			want: `shopsets.yaml: empty inventory`,
		},
		{
			name: "only comments",
			in:   "# nothing yet\n",
			want: `shopsets.yaml: empty inventory`,
		},
		{
			name: "empty document",
			in:   "---\n",
			want: `shopsets.yaml:1:1: empty inventory`,
		},
		{
			name: "not a mapping",
			in:   "- tiers\n",
			want: `shopsets.yaml:1:1: expected a mapping, got a list`,
		},
		{
			name: "a string where a list is expected",
			in:   strings.Replace(base, "tiers:\n  - name: dev\n    branch: tier/dev\n  - name: prod\n    branch: tier/prod\n", "tiers: dev\n", 1) + "shopsets:\n" + shopset("a-1"),
			want: `shopsets.yaml:3:8: tiers: expected a list, got a string`,
		},
		{
			name: "wrong kinds",
			in: base + "shopsets:\n  - name: 123\n    tier: [dev]\n    configuration: {name: production}\n    cluster: true\n" +
				"    components: maintenance\n  - a-2\nplacement:\n  redundancy: two\n",
			want: `shopsets.yaml:14:11: shopsets[0].name: expected a string, got an integer
shopsets.yaml:15:11: shopsets[0].tier: expected a string, got a list
shopsets.yaml:16:20: shopsets[0].configuration: expected a string, got a mapping
shopsets.yaml:17:14: shopsets[0].cluster: expected a string, got a boolean
shopsets.yaml:18:17: shopsets[0].components: expected a list, got a string
shopsets.yaml:19:5: shopsets[1]: expected a mapping, got a string
shopsets.yaml:21:15: placement.redundancy: expected an integer, got a string`,
		},
		{
			name: "duplicate key",
			in:   base + "shopsets:\n" + shopset("a-1") + "    tier: prod\n",
			want: `shopsets.yaml:19:5: shopsets[0]: duplicate key "tier" (first at line 15)`,
		},
		{
			name: "duplicate top-level key",
			in:   base + "tiers: []\n",
			want: `shopsets.yaml:13:1: duplicate key "tiers" (first at line 3)`,
		},
		{
			name: "merge keys",
			in:   base + "x-defaults: &d {tier: dev}\nshopsets:\n  - <<: *d\n    name: a-1\n    configuration: production\n    cluster: cluster-a\n",
			want: `shopsets.yaml:13:1: unknown field "x-defaults"
shopsets.yaml:15:5: shopsets[0]: merge keys ("<<") are not supported
shopsets.yaml:15:5: shopsets[0]: missing required field "tier"`,
		},
		{
			name: "non-string key",
			in:   base + "? [a]\n: b\n1: c\n",
			want: `shopsets.yaml:13:3: expected a field name, got a list
shopsets.yaml:15:1: unknown field "1"`,
		},
		{
			name: "wrong header",
			in:   strings.Replace(strings.Replace(base, "shopset.io/v1alpha1", "shopset.io/v1", 1), "kind: Inventory", "kind: inventory", 1),
			want: `shopsets.yaml:1:13: apiVersion: unsupported apiVersion "shopset.io/v1" (want "shopset.io/v1alpha1")
shopsets.yaml:2:7: kind: unsupported kind "inventory" (want "Inventory")`,
		},
		{
			name: "missing sections",
			in:   "apiVersion: shopset.io/v1alpha1\nkind: Inventory\ntiers: []\nclusters: null\n",
			want: `shopsets.yaml:1:1: missing required field "clusters"
shopsets.yaml:1:1: missing required field "configurations"
shopsets.yaml:3:8: tiers: at least one tier is required`,
		},
		{
			name: "bad branches",
			in: strings.Replace(base, "clusters:", `  - {name: t1, branch: "tier dev"}
  - {name: t2, branch: "tier/"}
  - {name: t3, branch: "tier//dev"}
  - {name: t4, branch: "tier/.dev"}
  - {name: t5, branch: "tier/dev.lock"}
  - {name: t6, branch: "tier@{1}"}
  - {name: t7, branch: "@"}
  - {name: t8, branch: "tier~1"}
  - {name: t9, branch: "/tier"}
  - {name: t10, branch: "tier."}
  - {name: t11, branch: "HEAD"}
  - {name: t12, branch: "tier\\dev"}
clusters:`, 1),
			want: `shopsets.yaml:8:24: tiers[2].branch: invalid branch name "tier dev": invalid character ' '
shopsets.yaml:9:24: tiers[3].branch: invalid branch name "tier/": must not start or end with '/'
shopsets.yaml:10:24: tiers[4].branch: invalid branch name "tier//dev": must not contain "//"
shopsets.yaml:11:24: tiers[5].branch: invalid branch name "tier/.dev": component ".dev" must not start with '.'
shopsets.yaml:12:24: tiers[6].branch: invalid branch name "tier/dev.lock": component "dev.lock" must not end with ".lock"
shopsets.yaml:13:24: tiers[7].branch: invalid branch name "tier@{1}": must not contain "@{"
shopsets.yaml:14:24: tiers[8].branch: invalid branch name "@": must not be "@"
shopsets.yaml:15:24: tiers[9].branch: invalid branch name "tier~1": invalid character '~'
shopsets.yaml:16:24: tiers[10].branch: invalid branch name "/tier": must not start or end with '/'
shopsets.yaml:17:25: tiers[11].branch: invalid branch name "tier.": must not end with '.'
shopsets.yaml:18:25: tiers[12].branch: invalid branch name "HEAD": must not be "HEAD"
shopsets.yaml:19:25: tiers[13].branch: invalid branch name "tier\\dev": invalid character '\\'`,
		},
		{
			name: "components",
			in:   base + "shopsets:\n" + shopset("a-1") + "    components: [maintenance, -debug, maintenance, 7]\n",
			want: `shopsets.yaml:19:31: shopsets[0].components[1]: invalid DNS label "-debug": must start and end with a lowercase letter or digit
shopsets.yaml:19:39: shopsets[0].components[2]: duplicate component "maintenance" (first at line 19)
shopsets.yaml:19:52: shopsets[0].components[3]: expected a string, got an integer`,
		},
		{
			name: "shops",
			in: base + `placement:
  redundancy: 0
shops:
  - host: hoge.shop.example.
    tier: dev
  - host: fuga.shop.example
    tier: staging
    configuration: production
    redundancy: -2
  - host: fuga.shop.example
    tier: dev
`,
			want: `shopsets.yaml:14:15: placement.redundancy: invalid redundancy 0: must be at least 1
shopsets.yaml:16:11: shops[0].host: invalid DNS subdomain "hoge.shop.example.": must not start or end with '.' or contain ".."
shopsets.yaml:19:11: shops[1].tier: unknown tier "staging" (known: dev, prod)
shopsets.yaml:21:17: shops[1].redundancy: invalid redundancy -2: must be at least 1 (or 0 to use placement.redundancy)
shopsets.yaml:22:11: shops[2].host: duplicate shop host "fuga.shop.example" (first at line 18)`,
		},
		{
			name: "shop without a production configuration to default to",
			in:   strings.Replace(base, "name: production", "name: staging", 1) + "shops:\n  - host: hoge.shop.example\n    tier: dev\n",
			want: `shopsets.yaml:14:5: shops[0]: missing required field "configuration" (there is no "production" configuration to default to)`,
		},
		{
			name: "errors about an aliased value point at the alias",
			in:   base + "x-tier: &qa qa\nshopsets:\n  - {name: a-1, tier: *qa, configuration: production, cluster: cluster-a}\n",
			want: `shopsets.yaml:13:1: unknown field "x-tier"
shopsets.yaml:15:23: shopsets[0].tier: unknown tier "qa" (known: dev, prod)`,
		},
		{
			name: "self-referencing alias",
			in:   base + "shopsets: &s [*s]\n",
			want: `shopsets.yaml:13:15: document contains excessive aliasing`,
		},
		{
			name: "every error at once, in file order",
			in: `apiVersion: shopset.io/v1alpha1
kind: Inventory
shopsets:
  - name: a-1
    tier: qa
    configuration: production
    cluster: cluster-a
    zone: z1
tiers:
  - name: Dev
    branch: tier/dev
clusters:
  - name: cluster-a
    server: https://a.k8s.example
    state: up
configurations:
  - name: production
    description: 42
`,
			want: `shopsets.yaml:5:11: shopsets[0].tier: unknown tier "qa" (known: Dev)
shopsets.yaml:8:5: shopsets[0]: unknown field "zone"
shopsets.yaml:10:11: tiers[0].name: invalid DNS label "Dev": invalid character 'D' (only lowercase letters, digits and '-' are allowed)
shopsets.yaml:15:12: clusters[0].state: invalid cluster state "up" (valid: active, cordoned, down)
shopsets.yaml:18:18: configurations[0].description: expected a string, got an integer`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := inventory.Parse("shopsets.yaml", []byte(tt.in))
			assert.Nil(t, inv)
			require.Error(t, err)
			var errs inventory.Errors
			require.ErrorAs(t, err, &errs)
			assert.Equal(t, tt.want, err.Error())
			for _, e := range errs {
				assert.Equal(t, "shopsets.yaml", e.File)
			}
		})
	}
}

func TestParseValidCases(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, inv *inventory.Inventory)
	}{
		{
			name: "null optional sections are absent",
			in:   base + "shopsets:\nplacement: ~\nshops: null\n",
			check: func(t *testing.T, inv *inventory.Inventory) {
				assert.Empty(t, inv.ShopSets)
				assert.Empty(t, inv.Shops)
				assert.Equal(t, 2, inv.Placement.Redundancy)
			},
		},
		{
			name: "shop redundancy 0 means placement.redundancy",
			in: base + "shopsets:\n  - {name: d-1, tier: dev, configuration: production, cluster: cluster-a}\n" +
				"placement: {redundancy: 1}\nshops:\n  - {host: a.example, tier: dev, redundancy: 0}\n  - {host: b.example, tier: dev, redundancy: 1}\n",
			check: func(t *testing.T, inv *inventory.Inventory) {
				assert.Equal(t, 1, inv.Shops[0].Redundancy)
				assert.Equal(t, 1, inv.Shops[1].Redundancy)
			},
		},
		{
			name: "quoted numbers are strings",
			in:   base + "shopsets:\n  - {name: '123', tier: dev, configuration: production, cluster: cluster-a}\n",
			check: func(t *testing.T, inv *inventory.Inventory) {
				s, ok := inv.ShopSet("123")
				require.True(t, ok)
				assert.Equal(t, "shopset-123", s.Namespace)
			},
		},
		{
			name: "a shopset name of exactly 55 characters",
			in:   base + "shopsets:\n  - {name: " + strings.Repeat("a", 55) + ", tier: dev, configuration: production, cluster: cluster-a}\n",
			check: func(t *testing.T, inv *inventory.Inventory) {
				require.Len(t, inv.ShopSets, 1)
				assert.Len(t, inv.ShopSets[0].Namespace, 63)
			},
		},
		{
			name: "no cluster-scoped kinds unless listed",
			in:   base + "allowClusterScoped: []\n",
			check: func(t *testing.T, inv *inventory.Inventory) {
				assert.Empty(t, inv.AllowClusterScoped)
				other, err := inventory.Parse("shopsets.yaml", []byte(base))
				require.NoError(t, err)
				assert.Empty(t, other.AllowClusterScoped)
			},
		},
		{
			name: "explicit document markers",
			in:   "---\n" + base + "...\n",
			check: func(t *testing.T, inv *inventory.Inventory) {
				assert.Len(t, inv.Tiers, 2)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := inventory.Parse("shopsets.yaml", []byte(tt.in))
			require.NoError(t, err)
			require.NotNil(t, inv)
			tt.check(t, inv)
		})
	}
}

func TestParseAliasBombIsRejectedQuickly(t *testing.T) {
	data, err := os.ReadFile("testdata/invalid-alias-bomb.yaml")
	require.NoError(t, err)
	// A bomb that the schema itself would walk: a million components.
	wide := base + "x-c: &c [" + strings.Repeat("c,", 999) + "c]\nx-s: &s {name: s, tier: dev, configuration: production, cluster: cluster-a, components: *c}\nshopsets: [" +
		strings.Repeat("*s,", 999) + "*s]\n"
	for name, in := range map[string][]byte{"billion laughs": data, "wide": []byte(wide)} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			inv, err := inventory.Parse("shopsets.yaml", in)
			assert.Less(t, time.Since(start), time.Second)
			assert.Nil(t, inv)
			var errs inventory.Errors
			require.ErrorAs(t, err, &errs)
			require.Len(t, errs, 1)
			assert.Equal(t, "document contains excessive aliasing", errs[0].Msg)
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	data := make([]byte, 64<<20+1)
	inv, err := inventory.Parse("shopsets.yaml", data)
	assert.Nil(t, inv)
	assert.EqualError(t, err, "shopsets.yaml: inventory is larger than the 64 MiB limit")
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  inventory.Error
		want string
	}{
		{inventory.Error{File: "shopsets.yaml", Line: 12, Column: 11, Field: "shopsets[2].tier", Msg: "boom"},
			"shopsets.yaml:12:11: shopsets[2].tier: boom"},
		{inventory.Error{File: "shopsets.yaml", Line: 12, Msg: "boom"}, "shopsets.yaml:12: boom"},
		{inventory.Error{File: "shopsets.yaml", Field: "tiers", Msg: "boom"}, "shopsets.yaml: tiers: boom"},
		{inventory.Error{File: "shopsets.yaml", Msg: "boom"}, "shopsets.yaml: boom"},
		{inventory.Error{Msg: "boom"}, "boom"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
	}
	errs := inventory.Errors{tests[0].err, tests[1].err}
	assert.Equal(t, tests[0].want+"\n"+tests[1].want, errs.Error())
	var target inventory.Errors
	assert.True(t, errors.As(error(errs), &target))
}

func TestValidDNSLabel(t *testing.T) {
	for _, ok := range []string{"a", "0", "a-1", "1-a", strings.Repeat("x", 63)} {
		assert.NoError(t, inventory.ValidDNSLabel(ok), ok)
	}
	tests := map[string]string{
		"":                      `invalid DNS label "": must not be empty`,
		"A":                     `invalid DNS label "A": invalid character 'A' (only lowercase letters, digits and '-' are allowed)`,
		"a.b":                   `invalid DNS label "a.b": invalid character '.' (only lowercase letters, digits and '-' are allowed)`,
		"ä":                     `invalid DNS label "ä": invalid character 'ä' (only lowercase letters, digits and '-' are allowed)`,
		"a\x00":                 `invalid DNS label "a\x00": invalid character '\x00' (only lowercase letters, digits and '-' are allowed)`,
		"-a":                    `invalid DNS label "-a": must start and end with a lowercase letter or digit`,
		"a-":                    `invalid DNS label "a-": must start and end with a lowercase letter or digit`,
		strings.Repeat("x", 64): `invalid DNS label "` + strings.Repeat("x", 64) + `": must be at most 63 characters, got 64`,
	}
	for in, want := range tests {
		assert.EqualError(t, inventory.ValidDNSLabel(in), want, "%q", in)
	}
}

func TestLookups(t *testing.T) {
	inv, err := inventory.Load("testdata/valid.yaml")
	require.NoError(t, err)

	s, ok := inv.ShopSet("a-1")
	require.True(t, ok)
	assert.Equal(t, "cluster-a", s.Cluster)
	_, ok = inv.ShopSet("nope")
	assert.False(t, ok)

	tier, i, ok := inv.Tier("prod")
	require.True(t, ok)
	assert.Equal(t, 2, i)
	assert.Equal(t, inventory.SyncManual, tier.SyncPolicy)
	_, i, ok = inv.Tier("qa")
	assert.False(t, ok)
	assert.Equal(t, -1, i)

	c, ok := inv.Cluster("cluster-b")
	require.True(t, ok)
	assert.Equal(t, inventory.StateCordoned, c.State)
	_, ok = inv.Cluster("cluster-z")
	assert.False(t, ok)

	conf, ok := inv.Configuration("staging")
	require.True(t, ok)
	assert.Equal(t, "staging", conf.Name)
	_, ok = inv.Configuration("canary")
	assert.False(t, ok)
}

func TestSorted(t *testing.T) {
	inv, err := inventory.Load("testdata/valid.yaml")
	require.NoError(t, err)
	before := names(inv.ShopSets)

	// dev < beta-prod < prod; within prod, cluster-b before cluster-c.
	assert.Equal(t, []string{"d-1", "a-1", "p-2", "p-1"}, names(inv.Sorted()))
	assert.Equal(t, before, names(inv.ShopSets), "Sorted must not reorder the inventory")

	inv.ShopSets = append(inv.ShopSets,
		inventory.ShopSet{Name: "x", Tier: "unknown", Cluster: "cluster-a"},
		inventory.ShopSet{Name: "b", Tier: "prod", Cluster: "cluster-a"},
		inventory.ShopSet{Name: "a", Tier: "prod", Cluster: "cluster-c"})
	// Within one tier and cluster, by name; unknown tiers last.
	assert.Equal(t, []string{"d-1", "a-1", "b", "p-2", "a", "p-1", "x"}, names(inv.Sorted()))
}

func TestDefaultNamespace(t *testing.T) {
	assert.Equal(t, "shopset-a-1", inventory.DefaultNamespace("a-1"))
}

func names(ss []inventory.ShopSet) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}

func pos(line, col int) inventory.Position {
	return inventory.Position{Line: line, Column: col}
}

func TestShopSetNames(t *testing.T) {
	data, err := os.ReadFile("../examples/shopsets.yaml")
	require.NoError(t, err)
	inv, err := inventory.Parse("shopsets.yaml", data)
	require.NoError(t, err)
	names, err := inventory.ShopSetNames("shopsets.yaml", data)
	require.NoError(t, err)
	var want []string
	for _, s := range inv.ShopSets {
		want = append(want, s.Name)
	}
	assert.Equal(t, want, names)

	for _, bad := range []string{"", "{{{", "shopsets: [{tier: dev}]", "shopsets: 3",
		"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
			"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e]\n"} {
		_, err := inventory.ShopSetNames("shopsets.yaml", []byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func TestSimilarShopSets(t *testing.T) {
	inv, err := inventory.Load("../examples/shopsets.yaml")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"a-3", []string{"a-1", "a-2", "c-3"}},
		{"c2", []string{"c-2"}},
		{"zzzzzz", nil},
	} {
		assert.Equal(t, tc.want, inv.SimilarShopSets(tc.name), tc.name)
	}
}
