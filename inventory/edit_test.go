package inventory_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/inventory"
)

func TestSetClusterState(t *testing.T) {
	for _, tc := range []struct {
		name, in, cluster string
		state             inventory.ClusterState
		want, wantErr     string
	}{
		{
			name:    "block mapping without a state gets a line, comments kept",
			in:      "clusters:\n  - name: cluster-a   # on-prem\n    server: https://a  # api\n  - name: cluster-b\n    server: https://b\n# end\n",
			cluster: "cluster-a", state: inventory.StateCordoned,
			want: "clusters:\n  - name: cluster-a   # on-prem\n    server: https://a  # api\n    state: cordoned\n  - name: cluster-b\n    server: https://b\n# end\n",
		},
		{
			name:    "last cluster at the end of the file without a newline",
			in:      "clusters:\n  - name: cluster-b\n    server: https://b",
			cluster: "cluster-b", state: inventory.StateDown,
			want: "clusters:\n  - name: cluster-b\n    server: https://b\n    state: down\n",
		},
		{
			name:    "an existing state is replaced in place",
			in:      "clusters:\n  - name: cluster-a\n    state: cordoned # upgrade to 1.32\n    server: https://a\n",
			cluster: "cluster-a", state: inventory.StateActive,
			want: "clusters:\n  - name: cluster-a\n    state: active # upgrade to 1.32\n    server: https://a\n",
		},
		{
			name:    "a quoted state",
			in:      "clusters:\n  - {name: cluster-a, state: \"down\", server: https://a}\n",
			cluster: "cluster-a", state: inventory.StateCordoned,
			want: "clusters:\n  - {name: cluster-a, state: cordoned, server: https://a}\n",
		},
		{
			name:    "flow mapping without a state",
			in:      "clusters:\n  - {name: cluster-a, server: https://a.k8s.example, failureDomain: onprem}  # main DC\n",
			cluster: "cluster-a", state: inventory.StateCordoned,
			want: "clusters:\n  - {name: cluster-a, server: https://a.k8s.example, failureDomain: onprem, state: cordoned}  # main DC\n",
		},
		{
			name:    "uncordon takes a state line out",
			in:      "clusters:\n  - name: cluster-a\n    state: cordoned\n    server: https://a\n",
			cluster: "cluster-a", state: inventory.StateActive,
			want: "clusters:\n  - name: cluster-a\n    server: https://a\n",
		},
		{
			name:    "uncordon takes a flow state out",
			in:      "clusters:\n  - {name: cluster-a, server: https://a, state: down}\n",
			cluster: "cluster-a", state: inventory.StateActive,
			want: "clusters:\n  - {name: cluster-a, server: https://a}\n",
		},
		{
			name:    "uncordon a cluster without a state changes nothing",
			in:      "clusters:\n  - name: cluster-a\n    server: https://a\n",
			cluster: "cluster-a", state: inventory.StateActive,
			want: "clusters:\n  - name: cluster-a\n    server: https://a\n",
		},
		{
			name:    "unknown cluster",
			in:      "clusters:\n  - name: cluster-a\n  - name: cluster-b\n",
			cluster: "cluster-z", state: inventory.StateCordoned,
			wantErr: `shopsets.yaml: cluster "cluster-z" not found (known: cluster-a, cluster-b)`,
		},
		{
			name:    "unknown state",
			in:      "clusters:\n  - name: cluster-a\n",
			cluster: "cluster-a", state: "drained",
			wantErr: `invalid cluster state "drained" (valid: active, cordoned, down)`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := inventory.SetClusterState("shopsets.yaml", []byte(tc.in), tc.cluster, tc.state)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(out))
		})
	}
}

// Cordoning and uncordoning the example inventory leaves it valid, and uncordon after
// cordon gives back the same cluster states.
func TestSetClusterStateRoundTrip(t *testing.T) {
	inv, err := inventory.Load("../examples/shopsets.yaml")
	require.NoError(t, err)
	data := mustRead(t, "../examples/shopsets.yaml")
	cordoned, err := inventory.SetClusterState("shopsets.yaml", data, "cluster-b", inventory.StateCordoned)
	require.NoError(t, err)
	after, err := inventory.Parse("shopsets.yaml", cordoned)
	require.NoError(t, err)
	c, _ := after.Cluster("cluster-b")
	assert.Equal(t, inventory.StateCordoned, c.State)
	restored, err := inventory.SetClusterState("shopsets.yaml", cordoned, "cluster-b", inventory.StateActive)
	require.NoError(t, err)
	back, err := inventory.Parse("shopsets.yaml", restored)
	require.NoError(t, err)
	for i := range inv.Clusters {
		assert.Equal(t, inv.Clusters[i].State, back.Clusters[i].State)
	}
	assert.Equal(t, string(data), string(restored), "cordon then uncordon gives the file back byte for byte")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
