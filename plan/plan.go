// Package plan reports what an inventory does before it is merged: the order in which
// its tiers update, where its shops are placed, and which shops move, and where to, if
// clusters are cordoned or go down.
//
//	p, err := plan.Make(inv, plan.WhatIf{Cordon: []string{"cluster-b"}})
//	for _, m := range p.Moves { fmt.Println(m.Host, m.Removed, "->", m.Added) }
package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/placement"
	"github.com/shopset/shopset/routing"
)

// WhatIf names clusters to treat as cordoned or down.
type WhatIf struct {
	Cordon []string `json:"cordon,omitempty"`
	Down   []string `json:"down,omitempty"`
}

// Plan is the report.
type Plan struct {
	// Tiers is the update order: lowest tier first, then its clusters and ShopSets.
	Tiers    []Tier    `json:"tiers"`
	ShopSets []ShopSet `json:"shopsets"`
	// Degraded lists the shops placed on fewer failure domains than they ask for, and
	// Unserved those no ShopSet serves at all (not listed as degraded).
	Degraded []string `json:"degraded"`
	Unserved []string `json:"unserved"`
	WhatIf   *WhatIf  `json:"whatIf,omitempty"`
	// Moves and NewlyDegraded compare the what-if placement with the inventory's own.
	Moves         []Move   `json:"moves,omitempty"`
	NewlyDegraded []string `json:"newlyDegraded,omitempty"`
}

// Tier is one step of the update order.
type Tier struct {
	Index      int       `json:"index"`
	Name       string    `json:"name"`
	Branch     string    `json:"branch"`
	SyncPolicy string    `json:"syncPolicy"`
	Clusters   []Cluster `json:"clusters"`
}

// Cluster lists a tier's ShopSets on one cluster.
type Cluster struct {
	Name     string   `json:"name"`
	State    string   `json:"state"`
	ShopSets []string `json:"shopsets"`
}

// ShopSet is one ShopSet's placement summary.
type ShopSet struct {
	Name          string `json:"name"`
	Tier          string `json:"tier"`
	Configuration string `json:"configuration"`
	Cluster       string `json:"cluster"`
	FailureDomain string `json:"failureDomain"`
	State         string `json:"state"`
	Shops         int    `json:"shops"`
	// DegradedShops counts the shops on this ShopSet that are degraded.
	DegradedShops int `json:"degradedShops"`
}

// Move is how one shop's ShopSets change (placement's type; a plan's lists are never
// null in JSON).
type Move = placement.Move

// Make reports on inv; with a non-empty what-if it reports on inv with those clusters
// cordoned or down, and lists what moves compared with inv as it is.
func Make(inv *inventory.Inventory, whatIf WhatIf) (*Plan, error) {
	current := routing.Place(inv)
	if len(whatIf.Cordon) == 0 && len(whatIf.Down) == 0 {
		return report(inv, current), nil
	}
	changed, err := WithStates(inv, whatIf)
	if err != nil {
		return nil, err
	}
	after := routing.Place(changed)
	p := report(changed, after)
	p.WhatIf = &whatIf
	p.Moves = Moves(current, after)
	wasDegraded := map[string]bool{}
	for _, h := range current.Degraded() {
		wasDegraded[h] = true
	}
	for _, h := range p.Degraded {
		if !wasDegraded[h] {
			p.NewlyDegraded = append(p.NewlyDegraded, h)
		}
	}
	return p, nil
}

// WithStates returns a copy of inv with the what-if clusters' states set.
func WithStates(inv *inventory.Inventory, whatIf WhatIf) (*inventory.Inventory, error) {
	out := *inv
	out.Clusters = slices.Clone(inv.Clusters)
	set := func(names []string, state inventory.ClusterState) error {
		for _, name := range names {
			i := slices.IndexFunc(out.Clusters, func(c inventory.Cluster) bool { return c.Name == name })
			if i < 0 {
				known := make([]string, len(inv.Clusters))
				for j, c := range inv.Clusters {
					known[j] = c.Name
				}
				return fmt.Errorf("cluster %q not found in %s (known: %s)", name, inv.File, strings.Join(known, ", "))
			}
			out.Clusters[i].State = state
		}
		return nil
	}
	if err := set(whatIf.Cordon, inventory.StateCordoned); err != nil {
		return nil, err
	}
	if err := set(whatIf.Down, inventory.StateDown); err != nil {
		return nil, err
	}
	return &out, nil
}

// Moves lists the shops whose ShopSets differ between two placements.
func Moves(before, after placement.Result) []Move {
	var out []Move
	for _, m := range placement.Diff(before, after) {
		out = append(out, Move{Host: m.Host, From: nonNil(m.From), To: nonNil(m.To), Added: nonNil(m.Added),
			Removed: nonNil(m.Removed), DegradedBefore: m.DegradedBefore, DegradedAfter: m.DegradedAfter})
	}
	return out
}

func report(inv *inventory.Inventory, placed placement.Result) *Plan {
	clusters := map[string]inventory.Cluster{}
	for _, c := range inv.Clusters {
		clusters[c.Name] = c
	}
	unserved := placed.Unserved()
	p := &Plan{Unserved: nonNil(unserved), Degraded: []string{}}
	for _, h := range placed.Degraded() {
		if !slices.Contains(unserved, h) {
			p.Degraded = append(p.Degraded, h)
		}
	}
	sorted := inv.Sorted()
	for i, t := range inv.Tiers {
		tier := Tier{Index: i, Name: t.Name, Branch: t.Branch, SyncPolicy: string(t.SyncPolicy), Clusters: []Cluster{}}
		for _, s := range sorted {
			if s.Tier != t.Name {
				continue
			}
			if n := len(tier.Clusters); n == 0 || tier.Clusters[n-1].Name != s.Cluster {
				tier.Clusters = append(tier.Clusters, Cluster{Name: s.Cluster, State: string(clusters[s.Cluster].State)})
			}
			c := &tier.Clusters[len(tier.Clusters)-1]
			c.ShopSets = append(c.ShopSets, s.Name)
		}
		p.Tiers = append(p.Tiers, tier)
	}
	isDegraded := map[string]bool{}
	for _, h := range p.Degraded {
		isDegraded[h] = true
	}
	for _, s := range sorted {
		c := clusters[s.Cluster]
		hosts := placed.ByShopSet[s.Name]
		d := 0
		for _, h := range hosts {
			if isDegraded[h] {
				d++
			}
		}
		p.ShopSets = append(p.ShopSets, ShopSet{Name: s.Name, Tier: s.Tier, Configuration: s.Configuration,
			Cluster: s.Cluster, FailureDomain: c.FailureDomain, State: string(c.State), Shops: len(hosts), DegradedShops: d})
	}
	return p
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
