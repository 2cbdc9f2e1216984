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
			out, err := routing.Render(changed, "cluster-a", "")
			require.NoError(t, err)
			golden.Assert(t, "testdata/"+tc.name+".yaml", out)

			again, err := routing.Render(changed, "cluster-a", "")
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
	_, err = routing.Render(inv, "cluster-z", "")
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
