package cli_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// render's arguments and flags that do not go together are clear errors that say what to
// type instead.
func TestRenderArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "-f", exampleInventory}, "error: a ShopSet name is required: shopctl render NAME\n"},
		{[]string{"render", "--routing", "-f", exampleInventory},
			"error: --routing needs --cluster: the routing table is per cluster (shopctl render --routing --cluster C)\n"},
		{[]string{"render", "a-1", "--routing", "--cluster", "cluster-a", "-f", exampleInventory},
			"error: --routing renders a cluster's routing table, not a ShopSet: drop \"a-1\" (shopctl render --routing --cluster C)\n"},
		{[]string{"render", "a-1", "--cluster", "cluster-a", "-f", exampleInventory},
			"error: --cluster goes with --routing; a ShopSet's cluster comes from the inventory\n"},
		{[]string{"render", "a-1", "b-1"}, "error: one ShopSet name, not 2 (a-1 b-1): shopctl render NAME\n"},
		{[]string{"render", "--routing", "--overlay", "--cluster", "c"},
			"error: if any flags in the group [routing overlay] are set none of the others can be; [overlay routing] were all set\n"},
	} {
		r := run(t, nil, tc.args...)
		assert.Equal(t, 1, r.code, tc.args)
		assert.Equal(t, tc.want, r.stderr, tc.args)
		assert.Empty(t, r.stdout)
	}
}
