package placement_test

import (
	"fmt"

	"github.com/shopset/shopset/placement"
)

func ExamplePlace() {
	shopsets := []placement.ShopSet{
		{Name: "prod-a", Tier: "prod", Configuration: "standard", Cluster: "a", FailureDomain: "east", Active: true},
		{Name: "prod-b", Tier: "prod", Configuration: "standard", Cluster: "b", FailureDomain: "west", Active: true},
		{Name: "prod-c", Tier: "prod", Configuration: "standard", Cluster: "c", FailureDomain: "east", Active: true},
	}
	shops := []placement.Shop{
		{Host: "cask.example", Tier: "prod", Configuration: "standard", Redundancy: 2},
		{Host: "fern.example", Tier: "prod", Configuration: "standard", Redundancy: 2},
		{Host: "gale.example", Tier: "prod", Configuration: "standard", Redundancy: 3},
	}
	before := placement.Place(shopsets, shops)
	for _, p := range before.Shops {
		fmt.Println(p.Host, p.ShopSets, "degraded:", p.Degraded)
	}

	// Cordon cluster a: only the shops placed on prod-a move, to prod-c in the same domain.
	shopsets[0].Active = false
	after := placement.Place(shopsets, shops)
	for _, m := range placement.Diff(before, after) {
		fmt.Println("moved", m.Host, m.Removed, "->", m.Added)
	}
	fmt.Println("on prod-a:", after.ByShopSet["prod-a"])
	fmt.Println("on prod-c:", after.ByShopSet["prod-c"])
	// Output:
	// cask.example [prod-a prod-b] degraded: false
	// fern.example [prod-b prod-c] degraded: false
	// gale.example [prod-c prod-b] degraded: true
	// moved cask.example [prod-a] -> [prod-c]
	// on prod-a: []
	// on prod-c: [cask.example fern.example gale.example]
}
