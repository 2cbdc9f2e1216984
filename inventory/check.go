package inventory

import (
	"fmt"
	"slices"
	"strings"
)

// names is the set of well-formed names a section defines, in file order.
type names struct {
	order []string
	first map[string]Position
}

func (n names) has(name string) bool {
	_, ok := n.first[name]
	return ok
}

// unique collects the values at "<section>[i].<key>" and reports every
// repeat on its second occurrence, pointing back at the first.
func (d *decoder) unique(section, key, what string, count int, value func(i int) string) names {
	set := names{first: map[string]Position{}}
	for i := range count {
		path := join(index(section, i), key)
		pos, ok := d.ok[path]
		if !ok {
			continue
		}
		v := value(i)
		if first, dup := set.first[v]; dup {
			d.errorf(loc{path: path, pos: pos}, "duplicate %s %q (first at line %d)", what, v, first.Line)
			continue
		}
		set.first[v] = pos
		set.order = append(set.order, v)
	}
	return set
}

// ref reports a reference at path that names nothing in known. A section
// that produced no names at all has already been reported as broken, and
// every reference into it would only repeat that.
func (d *decoder) ref(path, what, name string, known names) {
	pos, ok := d.ok[path]
	if !ok || len(known.order) == 0 || known.has(name) {
		return
	}
	d.errorf(loc{path: path, pos: pos}, "unknown %s %q (known: %s)", what, name, strings.Join(known.order, ", "))
}

// check runs the rules that span fields or sections, and fills in the
// defaults that depend on other sections.
func (d *decoder) check(inv *Inventory) {
	tiers := d.unique("tiers", "name", "tier name", len(inv.Tiers), func(i int) string { return inv.Tiers[i].Name })
	d.unique("tiers", "branch", "branch", len(inv.Tiers), func(i int) string { return inv.Tiers[i].Branch })
	clusters := d.unique("clusters", "name", "cluster name", len(inv.Clusters), func(i int) string { return inv.Clusters[i].Name })
	configs := d.unique("configurations", "name", "configuration name", len(inv.Configurations), func(i int) string { return inv.Configurations[i].Name })
	shopsets := d.unique("shopsets", "name", "shopset name", len(inv.ShopSets), func(i int) string { return inv.ShopSets[i].Name })
	d.unique("shops", "host", "shop host", len(inv.Shops), func(i int) string { return inv.Shops[i].Host })

	type slot struct{ cluster, namespace string }
	type owner struct {
		name string
		pos  Position
	}
	taken := map[slot]owner{}
	for i, s := range inv.ShopSets {
		base := index("shopsets", i)
		d.ref(join(base, "tier"), "tier", s.Tier, tiers)
		d.ref(join(base, "configuration"), "configuration", s.Configuration, configs)
		d.ref(join(base, "cluster"), "cluster", s.Cluster, clusters)

		if _, ok := d.ok[join(base, "cluster")]; !ok {
			continue
		}
		nsPath := join(base, "namespace")
		pos, explicit := d.ok[nsPath]
		what := "namespace"
		if explicit {
			if ValidDNSLabel(s.Namespace) != nil {
				continue
			}
		} else {
			// The default namespace comes from the name: only a valid name
			// that is not itself a duplicate gives one worth comparing.
			namePos, ok := d.ok[join(base, "name")]
			if !ok || validShopSetName(s.Name) != nil || shopsets.first[s.Name] != namePos {
				continue
			}
			pos, what = s.Pos, "default namespace"
		}
		key := slot{s.Cluster, s.Namespace}
		if first, dup := taken[key]; dup {
			d.errorf(loc{path: nsPath, pos: pos}, "%s %q on cluster %q is already used by shopset %q (first at line %d)",
				what, s.Namespace, s.Cluster, first.name, first.pos.Line)
			continue
		}
		taken[key] = owner{s.Name, pos}
	}

	for i, f := range inv.Freezes {
		for j, t := range f.Tiers {
			d.ref(index(join(index("freezes", i), "tiers"), j), "tier", t, tiers)
		}
	}

	d.checkPreviews(inv, clusters, configs)

	for i := range inv.Shops {
		s := &inv.Shops[i]
		base := index("shops", i)
		d.ref(join(base, "tier"), "tier", s.Tier, tiers)
		switch {
		case d.given[join(base, "configuration")]:
			d.ref(join(base, "configuration"), "configuration", s.Configuration, configs)
		case configs.has("production"):
			s.Configuration = "production"
		case len(configs.order) > 0 && d.isMapping[base]:
			d.errorf(loc{path: base, pos: s.Pos},
				`missing required field "configuration" (there is no "production" configuration to default to)`)
		}
		if s.Redundancy == 0 {
			s.Redundancy = inv.Placement.Redundancy
		}
	}
	// Placement is only meaningful for an otherwise valid inventory: with
	// broken names or references it would mostly repeat those errors.
	if len(d.errs) == 0 {
		d.checkPlacement(inv, tiers, configs)
	}
}

// checkPreviews checks the previews section against the rest: its cluster and
// configuration exist, its pattern takes no tier's branch, and no tier or ShopSet uses the
// names previews are given.
func (d *decoder) checkPreviews(inv *Inventory, clusters, configs names) {
	p := inv.Previews
	if p == nil {
		return
	}
	d.ref("previews.cluster", "cluster", p.Cluster, clusters)
	d.ref("previews.configuration", "configuration", p.Configuration, configs)
	if pos, ok := d.ok["previews.branches"]; ok {
		for _, t := range inv.Tiers {
			if p.Matches(t.Branch) {
				d.errorf(loc{path: "previews.branches", pos: pos}, "pattern %q matches branch %q of tier %q: a tier's branch is never a preview", p.Branches, t.Branch, t.Name)
			}
		}
	}
	for i, t := range inv.Tiers {
		path := join(index("tiers", i), "name")
		if pos, ok := d.ok[path]; ok && t.Name == PreviewTier {
			d.errorf(loc{path: path, pos: pos},
				"tier name %q is what previews are labelled with: rename the tier or remove the previews section", PreviewTier)
		}
	}
	for i, s := range inv.ShopSets {
		if strings.HasPrefix(s.Name, PreviewNamePrefix) {
			path := join(index("shopsets", i), "name")
			if pos, ok := d.ok[path]; ok {
				d.errorf(loc{path: path, pos: pos}, "shopset name %q starts with %q, which previews' names start with: rename the shopset or remove the previews section", s.Name, PreviewNamePrefix)
			}
		}
	}
}

// checkPlacement reports shops that no placement could ever serve as asked:
// no ShopSet of their tier and configuration, or fewer failure domains among
// those ShopSets than the shop's redundancy, whatever the clusters' states.
// (Too few active domains is not an error: the shop is placed degraded.)
func (d *decoder) checkPlacement(inv *Inventory, tiers, configs names) {
	domainOf := map[string]string{}
	for _, c := range inv.Clusters {
		domainOf[c.Name] = c.FailureDomain
	}
	type group struct{ tier, configuration string }
	domains := map[group]map[string]bool{}
	for _, s := range inv.ShopSets {
		dom, ok := domainOf[s.Cluster]
		if !ok {
			continue
		}
		g := group{s.Tier, s.Configuration}
		if domains[g] == nil {
			domains[g] = map[string]bool{}
		}
		domains[g][dom] = true
	}
	for i, s := range inv.Shops {
		base := index("shops", i)
		if _, ok := d.ok[join(base, "tier")]; !ok || !tiers.has(s.Tier) || !configs.has(s.Configuration) {
			continue
		}
		doms := domains[group{s.Tier, s.Configuration}]
		if len(doms) == 0 {
			d.errorf(loc{path: base, pos: s.Pos}, "no shopset of tier %q and configuration %q can serve %q",
				s.Tier, s.Configuration, s.Host)
			continue
		}
		if s.Redundancy <= len(doms) {
			continue
		}
		at, from := loc{path: base, pos: s.Pos}, " (placement.redundancy)"
		if pos, ok := d.ok[join(base, "redundancy")]; ok {
			at, from = loc{path: join(base, "redundancy"), pos: pos}, ""
		}
		list := make([]string, 0, len(doms))
		for dom := range doms {
			list = append(list, dom)
		}
		slices.Sort(list)
		d.errorf(at, "redundancy %d%s needs %d failure domains, but the shopsets of tier %q and configuration %q span %d (%s)",
			s.Redundancy, from, s.Redundancy, s.Tier, s.Configuration, len(doms), strings.Join(list, ", "))
	}
}

// Warnings are what is valid but probably not meant: a rollout on a tier whose
// ShopSets all share one failure domain has a single wave, so it protects nothing
// before the whole tier runs a revision (a halt and a rollback still work).
func (inv *Inventory) Warnings() Errors {
	domainOf := map[string]string{}
	for _, c := range inv.Clusters {
		domainOf[c.Name] = c.FailureDomain
	}
	var out Errors
	for i, t := range inv.Tiers {
		if t.Rollout == nil {
			continue
		}
		domains := map[string]bool{}
		for _, s := range inv.ShopSets {
			if s.Tier == t.Name {
				domains[domainOf[s.Cluster]] = true
			}
		}
		if len(domains) == 1 {
			out = append(out, Error{File: inv.File, Line: t.Rollout.Pos.Line, Column: t.Rollout.Pos.Column,
				Field: join(index("tiers", i), "rollout"),
				Msg:   fmt.Sprintf("tier %q has ShopSets in one failure domain only: its rollout is a single wave, so no ShopSet keeps the old revision while the new one proves itself", t.Name)})
		}
	}
	return out
}
