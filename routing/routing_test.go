package routing_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/internal/golden"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/plan"
	"github.com/shopset/shopset/routing"
)

// The example's routing table, reviewed in testdata/, and again with cluster-b cordoned:
// every shop keeps two failure domains, none on cluster-b.
func TestExampleRoutingTable(t *testing.T) {
	inv, err := examples.Inventory()
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		whatIf plan.WhatIf
	}{
		{"example", plan.WhatIf{}},
		{"example-cordon-cluster-b", plan.WhatIf{Cordon: []string{"cluster-b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed, err := plan.WithStates(inv, tc.whatIf)
			require.NoError(t, err)
			out, err := routing.Render(changed, "cluster-a", "", nil)
			require.NoError(t, err)
			golden.Assert(t, "testdata/"+tc.name+".yaml", out)

			again, err := routing.Render(changed, "cluster-a", "", nil)
			require.NoError(t, err)
			assert.Equal(t, string(out), string(again))

			table := decode(t, out)
			assert.Empty(t, table.Degraded)
			for host, entries := range table.Shops {
				shop := shopOf(t, changed, host)
				assert.Len(t, entries, shop, host)
				for _, e := range entries {
					for _, c := range tc.whatIf.Cordon {
						assert.NotEqual(t, c, e.Cluster, "%s still routed to cordoned %s", host, c)
					}
				}
			}
		})
	}
}

func TestRenderUnknownCluster(t *testing.T) {
	inv, err := examples.Inventory()
	require.NoError(t, err)
	_, err = routing.Render(inv, "cluster-z", "", nil)
	require.EqualError(t, err, `routing table: cluster "cluster-z" is not in shopsets.yaml`)
}

func decode(t *testing.T, cm []byte) routing.Table {
	t.Helper()
	var obj struct {
		Data map[string]string `json:"data"`
	}
	require.NoError(t, yaml.Unmarshal(cm, &obj))
	var table routing.Table
	dec := json.NewDecoder(strings.NewReader(obj.Data[routing.DataKey]))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&table))
	assert.Equal(t, routing.Kind, table.Kind)
	return table
}

// shopOf is the redundancy the inventory asks for host.
func shopOf(t *testing.T, inv *inventory.Inventory, host string) int {
	t.Helper()
	for _, s := range inv.Shops {
		if s.Host == host {
			return s.Redundancy
		}
	}
	t.Fatalf("%s is not in the inventory", host)
	return 0
}

func TestPreviewHosts(t *testing.T) {
	base := `apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers: [{name: dev, branch: tier/dev}]
clusters: [{name: cluster-a, server: https://a.k8s.example}, {name: cluster-c, server: https://c.k8s.example}]
configurations: [{name: staging}]
`
	withDomain, err := inventory.Parse("shopsets.yaml", []byte(base+"previews: {branches: preview/*, cluster: cluster-c, configuration: staging, domain: preview.shop.example}\n"))
	require.NoError(t, err)
	noDomain, err := inventory.Parse("shopsets.yaml", []byte(base+"previews: {branches: preview/*, cluster: cluster-c, configuration: staging}\n"))
	require.NoError(t, err)
	none, err := inventory.Parse("shopsets.yaml", []byte(base))
	require.NoError(t, err)

	var tbl routing.Table
	require.NoError(t, routing.AddPreviews(&tbl, withDomain, []string{"pr-a", "pr-b-1234abcd"}))
	assert.Equal(t, map[string]routing.Entry{
		"pr-a.preview.shop.example":          {ShopSet: "pr-a", Cluster: "cluster-c", Namespace: "shopset-pr-a"},
		"pr-b-1234abcd.preview.shop.example": {ShopSet: "pr-b-1234abcd", Cluster: "cluster-c", Namespace: "shopset-pr-b-1234abcd"},
	}, tbl.Previews)

	out, err := routing.Render(withDomain, "cluster-a", "", []string{"pr-a"})
	require.NoError(t, err)
	assert.Contains(t, string(out), `"previews": {`)
	assert.Contains(t, string(out), `"pr-a.preview.shop.example": {`)
	out, err = routing.Render(withDomain, "cluster-a", "", nil)
	require.NoError(t, err)
	assert.NotContains(t, string(out), "previews", "no previews, no section: the table reads as before")

	tbl = routing.Table{}
	require.NoError(t, routing.AddPreviews(&tbl, noDomain, []string{"pr-a"}))
	assert.Nil(t, tbl.Previews, "without a domain previews have no hosts")

	for _, tc := range []struct {
		inv   *inventory.Inventory
		names []string
		want  string
	}{
		{none, []string{"pr-a"}, "routing table: previews pr-a named, but shopsets.yaml has no previews section"},
		{withDomain, []string{"a-1"}, `routing table: "a-1" is not a preview's name (pr-<DNS label>)`},
		{withDomain, []string{"pr-A"}, `routing table: "pr-A" is not a preview's name (pr-<DNS label>)`},
		{withDomain, []string{"pr-" + strings.Repeat("x", 60)}, `is not a preview's name`},
		{withDomain, make([]string, inventory.MaxPreviewMax+1), "201 previews named, more than the 200 any inventory serves"},
	} {
		err := routing.AddPreviews(&routing.Table{}, tc.inv, tc.names)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
}
