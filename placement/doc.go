// Package placement decides which ShopSets serve each shop: rendezvous (highest-random-weight)
// hashing over the ShopSets of the shop's tier and configuration, on distinct failure domains,
// skipping clusters that are not active.
//
// Every shop ranks the ShopSets of its tier and configuration by Weight, a hash of its host and
// the ShopSet's name, and takes the best active ones, at most one per failure domain, until it
// has its redundancy. Because each shop's ranking depends only on the shop and the candidate
// names, cordoning a cluster moves only the shops placed on it, uncordoning moves exactly those
// back, and adding a ShopSet to a tier moves only about 1/n of that tier's shops onto it:
//
//	before := placement.Place(shopsets, shops)
//	for i := range shopsets {
//		if shopsets[i].Cluster == "cluster-a" {
//			shopsets[i].Active = false // cordoned
//		}
//	}
//	after := placement.Place(shopsets, shops)
//	for _, m := range placement.Diff(before, after) {
//		fmt.Println(m.Host, m.Removed, "->", m.Added)
//	}
//
// Place is pure and deterministic: the same inventory gives the same Result in every process,
// on every platform and whatever the order of the ShopSets slice.
package placement
