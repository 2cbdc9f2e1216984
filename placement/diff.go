package placement

import (
	"slices"
)

// Move is how one shop's placement changes between two results: the one type for a
// shop's move, in plans, what-ifs and reviews alike.
type Move struct {
	Host           string   `json:"host"`
	From           []string `json:"from"` // ShopSets before, best first
	To             []string `json:"to"`   // and after
	Added          []string `json:"added"`
	Removed        []string `json:"removed"` // To minus From, From minus To (sorted)
	DegradedBefore bool     `json:"degradedBefore"`
	DegradedAfter  bool     `json:"degradedAfter"`
}

// Diff lists the shops whose placement differs (as sets, or in degradedness) between before
// and after, sorted by host. Shops present in only one side are included with an empty From or To
// (and DegradedBefore or DegradedAfter false). Empty lists in a Move are nil. If a host appears
// more than once in a Result, its first placement counts.
func Diff(before, after Result) []Move {
	b := byHost(before.Shops)
	a := byHost(after.Shops)
	hosts := make([]string, 0, max(len(b), len(a)))
	for h := range b {
		hosts = append(hosts, h)
	}
	for h := range a {
		if _, ok := b[h]; !ok {
			hosts = append(hosts, h)
		}
	}
	slices.Sort(hosts)

	var moves []Move
	for _, h := range hosts {
		pb, inBefore := b[h]
		pa, inAfter := a[h]
		var from, to []string
		var degradedBefore, degradedAfter bool
		if inBefore {
			from, degradedBefore = pb.ShopSets, pb.Degraded
		}
		if inAfter {
			to, degradedAfter = pa.ShopSets, pa.Degraded
		}
		added, removed := minus(to, from), minus(from, to)
		if inBefore && inAfter && added == nil && removed == nil && degradedBefore == degradedAfter {
			continue
		}
		moves = append(moves, Move{
			Host:           h,
			From:           clone(from),
			To:             clone(to),
			Added:          added,
			Removed:        removed,
			DegradedBefore: degradedBefore,
			DegradedAfter:  degradedAfter,
		})
	}
	return moves
}

func byHost(ps []Placement) map[string]*Placement {
	m := make(map[string]*Placement, len(ps))
	for i := range ps {
		if _, dup := m[ps[i].Host]; !dup {
			m[ps[i].Host] = &ps[i]
		}
	}
	return m
}

// minus is the sorted names in x but not in y; placements are a few names long, so a linear
// scan beats building a set.
func minus(x, y []string) []string {
	var out []string
	for _, s := range x {
		if !slices.Contains(y, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// clone copies so a Move never aliases a Result, and makes an empty list nil.
func clone(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
