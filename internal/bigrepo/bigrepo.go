// Package bigrepo generates a platform at production scale for benchmarks and load tests:
// an inventory of thousands of ShopSets, clusters and shops, and a real Git repository
// holding it on main next to the four tier branches.
//
//	inv := bigrepo.Inventory(bigrepo.ShopSets, bigrepo.Clusters, bigrepo.Shops)
//	repo, err := bigrepo.Build(ctx, dir, bigrepo.ShopSets, bigrepo.Clusters, bigrepo.Shops)
//	// serve "file://" + repo.Dir; repo.Branches["tier/dev"] is tier/dev's commit
//
// The output is deterministic: the same sizes give the same bytes and the same commit IDs.
package bigrepo

import (
	"bytes"
	"fmt"
	"strings"
)

// The scale the generator is measured at.
const (
	ShopSets = 10000
	Clusters = 50
	Shops    = 40000
)

// Tiers are the inventory's tiers, lowest first; tier T lives on branch tier/T.
var Tiers = []string{"dev", "beta", "beta-prod", "prod"}

// FailureDomains is how many failure domains the clusters are spread over.
const FailureDomains = 5

// Configuration names.
const (
	Production = "production"
	Staging    = "staging"
)

// ShopSetName is the name of the i-th ShopSet (0-based): s-00001, s-00002, ...
func ShopSetName(i int) string { return fmt.Sprintf("s-%05d", i+1) }

// ClusterName is the name of the i-th cluster (0-based): cluster-00, cluster-01, ...
func ClusterName(i int) string { return fmt.Sprintf("cluster-%02d", i) }

// ShopHost is the host of the i-th shop (0-based): host-00001.shop.example, ...
func ShopHost(i int) string { return fmt.Sprintf("host-%05d.shop.example", i+1) }

// Inventory returns a valid shopsets.yaml with the given numbers of ShopSets, clusters and
// shops. ShopSet i runs tier i%4 on cluster (i/4)%clusters, so every tier has the same
// number of ShopSets on every cluster. They are dealt in rounds of one per (tier, cluster)
// pair; every fifth round runs staging, the others production (at 10,000 ShopSets on 50
// clusters a fifth of each pair), and one ShopSet in twenty has the maintenance component. Shops are
// spread over the tiers the same way, a fifth of them on staging, each where ShopSets of its
// tier and configuration can place it: a shop falls back to production, to the tiers that
// have ShopSets, and to the redundancy their failure domains allow. shopsets and clusters
// below 1 are taken as 1, shops below 0 as 0.
func Inventory(shopsets, clusters, shops int) []byte {
	shopsets, clusters, shops = max(shopsets, 1), max(clusters, 1), max(shops, 0)
	domains := min(FailureDomains, clusters)
	var b bytes.Buffer
	b.Grow(shopsets*110 + shops*50 + clusters*120 + 1024)

	fmt.Fprintf(&b, "# A generated platform: %d ShopSets on %d clusters, %d shops.\n", shopsets, clusters, shops)
	b.WriteString("apiVersion: shopset.io/v1alpha1\nkind: Inventory\n\ntiers:\n")
	for i, t := range Tiers {
		fmt.Fprintf(&b, "  - name: %s\n    branch: tier/%s\n", t, t)
		if i == len(Tiers)-1 {
			b.WriteString("    syncPolicy: manual\n")
		}
	}

	b.WriteString("\nclusters:\n")
	for c := range clusters {
		name := ClusterName(c)
		fmt.Fprintf(&b, "  - name: %s\n    server: https://%s.k8s.shop.example\n    failureDomain: zone-%d\n", name, name, c%domains)
	}

	b.WriteString("\nconfigurations:\n")
	fmt.Fprintf(&b, "  - name: %s\n    description: Production backends.\n", Production)
	fmt.Fprintf(&b, "  - name: %s\n    description: Sandbox backends.\n", Staging)

	// The failure domains each (tier, configuration) spans, for placing the shops.
	type group struct{ tier, configuration string }
	spans := map[group]map[int]bool{}
	b.WriteString("\nshopsets:\n")
	for i := range shopsets {
		tier, cluster := Tiers[i%len(Tiers)], (i/len(Tiers))%clusters
		config := Production
		if (i/(len(Tiers)*clusters))%5 == 4 {
			config = Staging
		}
		fmt.Fprintf(&b, "  - name: %s\n    tier: %s\n    configuration: %s\n    cluster: %s\n",
			ShopSetName(i), tier, config, ClusterName(cluster))
		if i%20 == 3 {
			b.WriteString("    components: [maintenance]\n")
		}
		g := group{tier, config}
		if spans[g] == nil {
			spans[g] = map[int]bool{}
		}
		spans[g][cluster%domains] = true
	}

	redundancy := min(2, domains)
	fmt.Fprintf(&b, "\nplacement:\n  redundancy: %d\n", redundancy)

	b.WriteString("\nshops:")
	if shops == 0 {
		b.WriteString(" []")
	}
	b.WriteString("\n")
	// With fewer ShopSets than tiers only the lowest tiers have any; every tier that has
	// ShopSets has production ones (the first round of ShopSets is production).
	tiers := Tiers[:min(len(Tiers), shopsets)]
	for i := range shops {
		tier := tiers[i%len(tiers)]
		config := Production
		if (i/len(Tiers))%5 == 4 && len(spans[group{tier, Staging}]) >= redundancy {
			config = Staging
		}
		fmt.Fprintf(&b, "  - host: %s\n    tier: %s\n", ShopHost(i), tier)
		if config != Production {
			fmt.Fprintf(&b, "    configuration: %s\n", config)
		}
		if n := len(spans[group{tier, config}]); n < redundancy {
			fmt.Fprintf(&b, "    redundancy: %d\n", n)
		}
	}
	return b.Bytes()
}

// SetComponents returns inv with the components of ShopSet name replaced by components
// (none removes the field). It edits the layout Inventory writes, nothing else: a change a
// person would make in a pull request, which a load test commits while the generator serves.
func SetComponents(inv []byte, name string, components ...string) ([]byte, error) {
	header := "\n  - name: " + name + "\n"
	start := bytes.Index(inv, []byte(header))
	if start < 0 {
		return nil, fmt.Errorf("setting components: no ShopSet %q in the generated layout", name)
	}
	bodyStart := start + len(header)
	// The entry ends at the next list item or the blank line closing the section.
	end := len(inv)
	for _, sep := range []string{"\n  - ", "\n\n"} {
		if i := bytes.Index(inv[bodyStart-1:], []byte(sep)); i >= 0 {
			end = min(end, bodyStart-1+i+1)
		}
	}
	var body []string
	for _, line := range strings.SplitAfter(string(inv[bodyStart:end]), "\n") {
		if line != "" && !strings.HasPrefix(line, "    components:") {
			body = append(body, line)
		}
	}
	if len(components) > 0 {
		body = append(body, "    components: ["+strings.Join(components, ", ")+"]\n")
	}
	out := make([]byte, 0, len(inv)+64)
	out = append(out, inv[:bodyStart]...)
	out = append(out, strings.Join(body, "")...)
	out = append(out, inv[end:]...)
	return out, nil
}
