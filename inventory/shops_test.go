package inventory_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/inventory"
)

const twoDomains = `apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers:
  - {name: prod, branch: tier/prod}
clusters:
  - {name: cluster-a, server: https://a.k8s.example, failureDomain: onprem}
  - {name: cluster-b, server: https://b.k8s.example, failureDomain: cloud, state: down}
configurations:
  - {name: production}
  - {name: staging}
shopsets:
  - {name: a-1, tier: prod, configuration: production, cluster: cluster-a}
  - {name: b-1, tier: prod, configuration: production, cluster: cluster-b}
`

func TestPlacementValidation(t *testing.T) {
	for _, tc := range []struct {
		name, shops, want string
	}{
		{
			name:  "enough domains, counting a cluster that is down",
			shops: "shops:\n  - {host: a.shop.example, tier: prod}\n",
		},
		{
			name:  "no shopset of the shop's configuration",
			shops: "shops:\n  - {host: a.shop.example, tier: prod, configuration: staging}\n",
			want:  `shopsets.yaml:15:5: shops[0]: no shopset of tier "prod" and configuration "staging" can serve "a.shop.example"`,
		},
		{
			name:  "redundancy above the domains",
			shops: "shops:\n  - {host: a.shop.example, tier: prod, redundancy: 3}\n",
			want: `shopsets.yaml:15:52: shops[0].redundancy: redundancy 3 needs 3 failure domains, ` +
				`but the shopsets of tier "prod" and configuration "production" span 2 (cloud, onprem)`,
		},
		{
			name:  "default redundancy above the domains",
			shops: "placement: {redundancy: 3}\nshops:\n  - {host: a.shop.example, tier: prod}\n",
			want: `shopsets.yaml:16:5: shops[0]: redundancy 3 (placement.redundancy) needs 3 failure domains, ` +
				`but the shopsets of tier "prod" and configuration "production" span 2 (cloud, onprem)`,
		},
		{
			name:  "redundancy 0 in placement",
			shops: "placement: {redundancy: 0}\n",
			want:  `shopsets.yaml:14:25: placement.redundancy: invalid redundancy 0: must be at least 1`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := inventory.Parse("shopsets.yaml", []byte(twoDomains+tc.shops))
			if tc.want == "" {
				require.NoError(t, err)
				require.NotNil(t, inv)
				return
			}
			require.Error(t, err)
			assert.Nil(t, inv)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestShopsFile(t *testing.T) {
	write := func(t *testing.T, files map[string]string) string {
		dir := t.TempDir()
		for name, content := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
		}
		return filepath.Join(dir, "shopsets.yaml")
	}
	t.Run("shops next to the inventory", func(t *testing.T) {
		path := write(t, map[string]string{
			"shopsets.yaml": twoDomains + "shopsFile: shops.yaml\n",
			"shops.yaml":    "# thousands of shops\nshops:\n  - {host: a.shop.example, tier: prod}\n  - {host: b.shop.example, tier: prod, redundancy: 1}\n",
		})
		inv, err := inventory.Load(path)
		require.NoError(t, err)
		assert.Equal(t, "shops.yaml", inv.ShopsFile)
		require.Len(t, inv.Shops, 2)
		assert.Equal(t, inventory.Shop{Host: "a.shop.example", Tier: "prod", Configuration: "production", Redundancy: 2,
			Pos: inventory.Position{Line: 3, Column: 5}}, inv.Shops[0])
	})
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			name: "errors name the shops file",
			files: map[string]string{
				"shopsets.yaml": twoDomains + "shopsFile: shops.yaml\n",
				"shops.yaml":    "shops:\n  - {host: a.shop.example, tier: qa}\n  - {host: a.shop.example, tier: prod, extra: 1}\n",
			},
			want: "shops.yaml:2:34: shops[0].tier: unknown tier \"qa\" (known: prod)\n" +
				"shops.yaml:3:12: shops[1].host: duplicate shop host \"a.shop.example\" (first at line 2)\n" +
				"shops.yaml:3:40: shops[1]: unknown field \"extra\"",
		},
		{
			name:  "missing shops file",
			files: map[string]string{"shopsets.yaml": twoDomains + "shopsFile: shops.yaml\n"},
			want:  "shopsets.yaml:14:12: shopsFile: reading \"shops.yaml\": open ",
		},
		{
			name:  "shops file outside the inventory's directory",
			files: map[string]string{"shopsets.yaml": twoDomains + "shopsFile: ../shops.yaml\n"},
			want:  `shopsets.yaml:14:12: shopsFile: invalid shops file "../shops.yaml": must be a file name next to the inventory`,
		},
		{
			name: "shops inline and in a file",
			files: map[string]string{
				"shopsets.yaml": twoDomains + "shops: []\nshopsFile: shops.yaml\n",
				"shops.yaml":    "shops: []\n",
			},
			want: `shopsets.yaml:15:12: shopsFile: shops are listed inline and in "shops.yaml": keep one list`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(t, tc.files)
			inv, err := inventory.Load(path)
			require.Error(t, err)
			assert.Nil(t, inv)
			msg := err.Error()
			// Errors name the files by the path given to Load.
			dir := filepath.Dir(path) + "/"
			if want := tc.want; want[len(want)-1] == ' ' {
				assert.Contains(t, msg, dir+want)
			} else {
				assert.Equal(t, replaceFirst(tc.want, dir), msg)
			}
		})
	}
}

// replaceFirst prefixes each line's file name with dir, as Load reports it.
func replaceFirst(want, dir string) string {
	out := ""
	for i, line := range splitLines(want) {
		if i > 0 {
			out += "\n"
		}
		line = dir + line
		out += line
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := range s {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
