package inventory

import (
	"cmp"
	"slices"
)

// SimilarShopSets lists up to three of the inventory's ShopSet names closest to name (by
// edit distance, at most a third of its length and never more than 3 edits), closest
// first: what an error about an unknown ShopSet suggests.
func (inv *Inventory) SimilarShopSets(name string) []string {
	limit := min(max(len(name)/3, 1), 3)
	type scored struct {
		name string
		d    int
	}
	var found []scored
	for _, s := range inv.ShopSets {
		if d := editDistance(name, s.Name); d <= limit {
			found = append(found, scored{s.Name, d})
		}
	}
	slices.SortFunc(found, func(a, b scored) int { return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.name, b.name)) })
	var out []string
	for _, f := range found[:min(len(found), 3)] {
		out = append(out, f.name)
	}
	return out
}

// editDistance is the Levenshtein distance of two short strings, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
