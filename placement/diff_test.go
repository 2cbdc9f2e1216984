package placement_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shopset/shopset/placement"
)

// Two failure domains; east has clusters a and c, west has b. Dev runs only on a and b, so
// cordoning a leaves dev with one domain.
var diffShopSets = []placement.ShopSet{
	{Name: "prod-a", Tier: "prod", Configuration: "standard", Cluster: "a", FailureDomain: "east", Active: true},
	{Name: "prod-b", Tier: "prod", Configuration: "standard", Cluster: "b", FailureDomain: "west", Active: true},
	{Name: "prod-c", Tier: "prod", Configuration: "standard", Cluster: "c", FailureDomain: "east", Active: true},
	{Name: "dev-a", Tier: "dev", Configuration: "standard", Cluster: "a", FailureDomain: "east", Active: true},
	{Name: "dev-b", Tier: "dev", Configuration: "standard", Cluster: "b", FailureDomain: "west", Active: true},
}

var diffShops = []placement.Shop{
	{Host: "acme.example", Tier: "prod", Configuration: "standard", Redundancy: 2},     // [prod-c prod-b]
	{Host: "cask.example", Tier: "prod", Configuration: "standard", Redundancy: 2},     // [prod-a prod-b]
	{Host: "echo.example", Tier: "prod", Configuration: "standard", Redundancy: 2},     // [prod-a prod-b]
	{Host: "r1.fern.example", Tier: "prod", Configuration: "standard", Redundancy: 1},  // [prod-c]
	{Host: "r1.cask.example", Tier: "prod", Configuration: "standard", Redundancy: 1},  // [prod-a]
	{Host: "dev.echo.example", Tier: "dev", Configuration: "standard", Redundancy: 1},  // [dev-a]
	{Host: "dev.acme.example", Tier: "dev", Configuration: "standard", Redundancy: 1},  // [dev-b]
	{Host: "dev2.acme.example", Tier: "dev", Configuration: "standard", Redundancy: 2}, // [dev-b dev-a]
}

func TestDiff(t *testing.T) {
	up := placement.Place(diffShopSets, diffShops)
	down := placement.Place(cordon(diffShopSets, "a"), diffShops)
	fewer := placement.Place(diffShopSets, diffShops[1:])
	more := placement.Place(diffShopSets, append(slices.Clone(diffShops), placement.Shop{
		Host: "new.example", Tier: "dev", Configuration: "standard", Redundancy: 1,
	}))
	single := func(shopsets []string, degraded bool) placement.Result {
		return placement.Result{Shops: []placement.Placement{{Host: "x.example", ShopSets: shopsets, Want: 2, Degraded: degraded}}}
	}

	for _, tc := range []struct {
		name          string
		before, after placement.Result
		want          []placement.Move
	}{
		{
			name:   "cordon cluster a",
			before: up,
			after:  down,
			want: []placement.Move{
				// Its east slot moves to c; prod-c weighs less than prod-b here, so the order changes.
				{Host: "cask.example", From: []string{"prod-a", "prod-b"}, To: []string{"prod-c", "prod-b"}, Added: []string{"prod-c"}, Removed: []string{"prod-a"}},
				{Host: "dev.echo.example", From: []string{"dev-a"}, To: []string{"dev-b"}, Added: []string{"dev-b"}, Removed: []string{"dev-a"}},
				// Dev has no other cluster in east.
				{Host: "dev2.acme.example", From: []string{"dev-b", "dev-a"}, To: []string{"dev-b"}, Removed: []string{"dev-a"}, DegradedAfter: true},
				{Host: "echo.example", From: []string{"prod-a", "prod-b"}, To: []string{"prod-b", "prod-c"}, Added: []string{"prod-c"}, Removed: []string{"prod-a"}},
				{Host: "r1.cask.example", From: []string{"prod-a"}, To: []string{"prod-c"}, Added: []string{"prod-c"}, Removed: []string{"prod-a"}},
			},
		},
		{
			name:   "uncordon cluster a",
			before: down,
			after:  up,
			want: []placement.Move{
				{Host: "cask.example", From: []string{"prod-c", "prod-b"}, To: []string{"prod-a", "prod-b"}, Added: []string{"prod-a"}, Removed: []string{"prod-c"}},
				{Host: "dev.echo.example", From: []string{"dev-b"}, To: []string{"dev-a"}, Added: []string{"dev-a"}, Removed: []string{"dev-b"}},
				{Host: "dev2.acme.example", From: []string{"dev-b"}, To: []string{"dev-b", "dev-a"}, Added: []string{"dev-a"}, DegradedBefore: true},
				{Host: "echo.example", From: []string{"prod-b", "prod-c"}, To: []string{"prod-a", "prod-b"}, Added: []string{"prod-a"}, Removed: []string{"prod-c"}},
				{Host: "r1.cask.example", From: []string{"prod-c"}, To: []string{"prod-a"}, Added: []string{"prod-a"}, Removed: []string{"prod-c"}},
			},
		},
		{
			name:   "nothing changes",
			before: up,
			after:  placement.Place(diffShopSets, diffShops),
		},
		{
			name:   "shops added and removed",
			before: fewer,
			after:  more,
			want: []placement.Move{
				{Host: "acme.example", To: []string{"prod-c", "prod-b"}, Added: []string{"prod-b", "prod-c"}},
				{Host: "new.example", To: []string{"dev-b"}, Added: []string{"dev-b"}},
			},
		},
		{
			name:   "shop removed while degraded",
			before: down,
			after:  placement.Place(cordon(diffShopSets, "a"), diffShops[:7]),
			want: []placement.Move{
				{Host: "dev2.acme.example", From: []string{"dev-b"}, Removed: []string{"dev-b"}, DegradedBefore: true},
			},
		},
		{
			name:   "same set in another order is not a move",
			before: single([]string{"prod-a", "prod-b"}, false),
			after:  single([]string{"prod-b", "prod-a"}, false),
		},
		{
			name:   "degradedness alone is a move",
			before: single([]string{"prod-a", "prod-b"}, false),
			after:  single([]string{"prod-a", "prod-b"}, true),
			want: []placement.Move{
				{Host: "x.example", From: []string{"prod-a", "prod-b"}, To: []string{"prod-a", "prod-b"}, DegradedAfter: true},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, placement.Diff(tc.before, tc.after))
		})
	}
}
