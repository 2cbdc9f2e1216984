package placement_test

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/placement"
)

// iterations is how many generated inventories each property test checks.
const iterations = 400

type inventory struct {
	shopsets []placement.ShopSet
	shops    []placement.Shop
}

// randomInventory draws a small inventory: up to 4 tiers, 2 configurations, 8 clusters on up
// to 5 failure domains (so several clusters often share one), some clusters cordoned, and
// shops that sometimes ask for more domains than exist or for a tier with no ShopSets.
func randomInventory(r *rand.Rand) inventory {
	tiers := []string{"dev", "beta", "prod", "live"}[:1+r.IntN(4)]
	configs := []string{"standard", "b2b"}[:1+r.IntN(2)]
	domains := 1 + r.IntN(5)
	type cluster struct {
		name, domain string
		active       bool
	}
	clusters := make([]cluster, 1+r.IntN(8))
	for i := range clusters {
		clusters[i] = cluster{fmt.Sprintf("c%d", i), fmt.Sprintf("d%d", r.IntN(domains)), r.IntN(4) != 0}
	}
	var inv inventory
	for i := range r.IntN(30) {
		c := clusters[r.IntN(len(clusters))]
		tier := tiers[r.IntN(len(tiers))]
		inv.shopsets = append(inv.shopsets, placement.ShopSet{
			Name:          fmt.Sprintf("%s-%s-%d", tier, c.name, i),
			Tier:          tier,
			Configuration: configs[r.IntN(len(configs))],
			Cluster:       c.name,
			FailureDomain: c.domain,
			Active:        c.active,
		})
	}
	for i := range r.IntN(80) {
		inv.shops = append(inv.shops, placement.Shop{
			Host:          fmt.Sprintf("shop-%d-%08x.example", i, r.Uint32()),
			Tier:          tiers[r.IntN(len(tiers))],
			Configuration: configs[r.IntN(len(configs))],
			Redundancy:    1 + r.IntN(4),
		})
	}
	return inv
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(20240601, 7)) }

func candidates(shopsets []placement.ShopSet, s placement.Shop) []placement.ShopSet {
	var out []placement.ShopSet
	for _, ss := range shopsets {
		if ss.Tier == s.Tier && ss.Configuration == s.Configuration {
			out = append(out, ss)
		}
	}
	return out
}

// walk is the placement rule exactly as Place documents it, with a full sort, to check the
// faster selection against.
func walk(shopsets []placement.ShopSet, s placement.Shop) []string {
	cands := candidates(shopsets, s)
	slices.SortFunc(cands, func(a, b placement.ShopSet) int {
		return cmp.Or(
			cmp.Compare(placement.Weight(s.Host, b.Name), placement.Weight(s.Host, a.Name)),
			strings.Compare(a.Name, b.Name),
		)
	})
	used := map[string]bool{}
	var out []string
	for _, c := range cands {
		if len(out) == s.Redundancy {
			break
		}
		if !c.Active || used[c.FailureDomain] {
			continue
		}
		used[c.FailureDomain] = true
		out = append(out, c.Name)
	}
	return out
}

func cordon(shopsets []placement.ShopSet, cluster string) []placement.ShopSet {
	out := slices.Clone(shopsets)
	for i := range out {
		if out[i].Cluster == cluster {
			out[i].Active = false
		}
	}
	return out
}

func clusters(shopsets []placement.ShopSet) []string {
	var out []string
	for _, s := range shopsets {
		out = append(out, s.Cluster)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func filter(names []string, keep func(string) bool) []string {
	var out []string
	for _, n := range names {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

func TestPlaceCounts(t *testing.T) {
	r := newRand()
	for range iterations {
		inv := randomInventory(r)
		res := placement.Place(inv.shopsets, inv.shops)
		require.Len(t, res.Shops, len(inv.shops))
		for i, s := range inv.shops {
			domains := map[string]bool{}
			for _, c := range candidates(inv.shopsets, s) {
				if c.Active {
					domains[c.FailureDomain] = true
				}
			}
			p := res.Shops[i]
			assert.Equal(t, s.Host, p.Host)
			assert.Equal(t, s.Redundancy, p.Want)
			assert.Len(t, p.ShopSets, min(s.Redundancy, len(domains)), s.Host)
			assert.Equal(t, len(p.ShopSets) < s.Redundancy, p.Degraded, s.Host)
		}
	}
}

func TestPlaceDomainsAndCandidates(t *testing.T) {
	r := newRand()
	for range iterations {
		inv := randomInventory(r)
		byName := map[string]placement.ShopSet{}
		for _, s := range inv.shopsets {
			byName[s.Name] = s
		}
		res := placement.Place(inv.shopsets, inv.shops)
		for i, s := range inv.shops {
			used := map[string]bool{}
			for _, name := range res.Shops[i].ShopSets {
				ss, ok := byName[name]
				require.True(t, ok, name)
				assert.True(t, ss.Active, "%s placed on inactive %s", s.Host, name)
				assert.Equal(t, s.Tier, ss.Tier, name)
				assert.Equal(t, s.Configuration, ss.Configuration, name)
				assert.False(t, used[ss.FailureDomain], "%s has two placements in %s", s.Host, ss.FailureDomain)
				used[ss.FailureDomain] = true
			}
		}
	}
}

func TestPlaceMatchesDocumentedWalk(t *testing.T) {
	r := newRand()
	for range iterations {
		inv := randomInventory(r)
		res := placement.Place(inv.shopsets, inv.shops)
		for i, s := range inv.shops {
			require.Equal(t, walk(inv.shopsets, s), res.Shops[i].ShopSets, s.Host)
		}
	}
}

func TestByShopSet(t *testing.T) {
	r := newRand()
	for range iterations {
		inv := randomInventory(r)
		r.Shuffle(len(inv.shops), func(i, j int) { inv.shops[i], inv.shops[j] = inv.shops[j], inv.shops[i] })
		res := placement.Place(inv.shopsets, inv.shops)

		want := map[string][]string{}
		for _, s := range inv.shopsets {
			want[s.Name] = []string{}
		}
		for _, p := range res.Shops {
			for _, name := range p.ShopSets {
				want[name] = append(want[name], p.Host)
			}
		}
		for _, hosts := range want {
			slices.Sort(hosts)
		}
		require.Equal(t, want, res.ByShopSet)
	}
}

func TestCordonMovesOnlyItsShops(t *testing.T) {
	r := newRand()
	for range iterations {
		inv := randomInventory(r)
		clusterOf := map[string]string{}
		for _, s := range inv.shopsets {
			clusterOf[s.Name] = s.Cluster
		}
		before := placement.Place(inv.shopsets, inv.shops)
		for _, c := range clusters(inv.shopsets) {
			after := placement.Place(cordon(inv.shopsets, c), inv.shops)
			for i, s := range inv.shops {
				from, to := before.Shops[i].ShopSets, after.Shops[i].ShopSets
				onCordoned := func(name string) bool { return clusterOf[name] == c }
				if !slices.ContainsFunc(from, onCordoned) {
					require.Equal(t, before.Shops[i], after.Shops[i], "%s was not on %s", s.Host, c)
					continue
				}
				assert.False(t, slices.ContainsFunc(to, onCordoned), s.Host)
				// The placements that survive keep their relative order: only the cordoned
				// cluster's slot is refilled.
				kept := filter(from, func(n string) bool { return !onCordoned(n) })
				got := filter(to, func(n string) bool { return slices.Contains(kept, n) })
				assert.Equal(t, kept, got, s.Host)
			}
			for name, hosts := range after.ByShopSet {
				if clusterOf[name] == c {
					assert.Empty(t, hosts, name)
				}
			}
		}
	}
}

func TestUncordonRestores(t *testing.T) {
	r := newRand()
	for range iterations {
		inv := randomInventory(r)
		before := placement.Place(inv.shopsets, inv.shops)
		for _, c := range clusters(inv.shopsets) {
			cordoned := cordon(inv.shopsets, c)
			during := placement.Place(cordoned, inv.shops)

			// Uncordon by flipping the flags back on a list rebuilt in another order.
			uncordoned := slices.Clone(cordoned)
			slices.Reverse(uncordoned)
			active := map[string]bool{}
			for _, s := range inv.shopsets {
				active[s.Name] = s.Active
			}
			for i := range uncordoned {
				uncordoned[i].Active = active[uncordoned[i].Name]
			}
			after := placement.Place(uncordoned, inv.shops)
			require.Equal(t, before, after, "uncordoning %s", c)

			// Every shop that moved away moves back, and nothing else moves.
			away := placement.Diff(before, during)
			back := placement.Diff(during, after)
			require.Len(t, back, len(away))
			for i := range away {
				assert.Equal(t, away[i].Host, back[i].Host)
				assert.Equal(t, away[i].From, back[i].To)
				assert.Equal(t, away[i].To, back[i].From)
				assert.Equal(t, away[i].Added, back[i].Removed)
			}
		}
	}
}

func TestAddShopSetMovesFewShops(t *testing.T) {
	for _, tc := range []struct {
		name               string
		redundancy         int
		minMoved, maxMoved float64
	}{
		// The new ShopSet is one of 10 in its own domain: it becomes a shop's first choice
		// with probability 1/10, and one of its first two with probability 2/10.
		{name: "redundancy 1", redundancy: 1, minMoved: 0.05, maxMoved: 0.2},
		{name: "redundancy 2", redundancy: 2, minMoved: 0.12, maxMoved: 0.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var shopsets []placement.ShopSet
			for i := range 9 {
				shopsets = append(shopsets, placement.ShopSet{
					Name: fmt.Sprintf("prod-%d", i), Tier: "prod", Configuration: "standard",
					Cluster: fmt.Sprintf("c%d", i), FailureDomain: fmt.Sprintf("d%d", i), Active: true,
				})
			}
			for i := range 4 {
				shopsets = append(shopsets, placement.ShopSet{
					Name: fmt.Sprintf("dev-%d", i), Tier: "dev", Configuration: "standard",
					Cluster: fmt.Sprintf("c%d", i), FailureDomain: fmt.Sprintf("d%d", i), Active: true,
				})
			}
			var shops []placement.Shop
			for i := range 10_000 {
				shops = append(shops, placement.Shop{Host: fmt.Sprintf("shop-%05d.example", i), Tier: "prod", Configuration: "standard", Redundancy: tc.redundancy})
			}
			for i := range 2_000 {
				shops = append(shops, placement.Shop{Host: fmt.Sprintf("dev-%05d.example", i), Tier: "dev", Configuration: "standard", Redundancy: tc.redundancy})
			}

			before := placement.Place(shopsets, shops)
			grown := append(slices.Clone(shopsets), placement.ShopSet{
				Name: "prod-new", Tier: "prod", Configuration: "standard", Cluster: "c9", FailureDomain: "d9", Active: true,
			})
			after := placement.Place(grown, shops)

			moved := 0
			for _, m := range placement.Diff(before, after) {
				require.True(t, strings.HasPrefix(m.Host, "shop-"), "%s is not in the grown tier", m.Host)
				// Shops only ever move onto the new ShopSet, giving up one other.
				assert.Equal(t, []string{"prod-new"}, m.Added, m.Host)
				assert.Len(t, m.Removed, 1, m.Host)
				moved++
			}
			fraction := float64(moved) / 10_000
			t.Logf("%.4f of the grown tier's shops moved", fraction)
			assert.GreaterOrEqual(t, fraction, tc.minMoved)
			assert.LessOrEqual(t, fraction, tc.maxMoved)
		})
	}
}

func TestWeightGolden(t *testing.T) {
	// Computed once and written down: if these change, every shop moves.
	for _, tc := range []struct {
		host, shopset string
		want          uint64
	}{
		{"", "", 0x25fc6dd36ce04b20},
		{"shop.example.com", "prod-a", 0xd88300f1bb4b91e0},
		{"www.acme.de", "prod-b", 0x1425f31be5a5a2f2},
		{"store-1.example", "dev-cluster-a-1", 0x338f96b55fa6e918},
		{"a", "b", 0xeb38c838c62d597e},
		{"b", "a", 0x75d8616d8a878837},
	} {
		assert.Equal(t, tc.want, placement.Weight(tc.host, tc.shopset), "%q %q", tc.host, tc.shopset)
	}
}

func TestWeightDefinition(t *testing.T) {
	// The documented definition, built from the standard library's FNV-1a.
	reference := func(host, shopset string) uint64 {
		h := fnv.New64a()
		h.Write([]byte(host + "\x00" + shopset))
		z := h.Sum64()
		z ^= z >> 30
		z *= 0xbf58476d1ce4e5b9
		z ^= z >> 27
		z *= 0x94d049bb133111eb
		z ^= z >> 31
		return z
	}
	r := newRand()
	randomString := func() string {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return string(b)
	}
	for range 2_000 {
		host, shopset := randomString(), randomString()
		require.Equal(t, reference(host, shopset), placement.Weight(host, shopset), "%q %q", host, shopset)
	}
}

func TestPlaceDeterministic(t *testing.T) {
	r := newRand()
	for range iterations {
		inv := randomInventory(r)
		want := placement.Place(inv.shopsets, inv.shops)
		for range 5 {
			shopsets := slices.Clone(inv.shopsets)
			r.Shuffle(len(shopsets), func(i, j int) { shopsets[i], shopsets[j] = shopsets[j], shopsets[i] })
			require.Equal(t, want, placement.Place(shopsets, inv.shops))
		}

		// Shuffling the shops only reorders Shops.
		shops := slices.Clone(inv.shops)
		r.Shuffle(len(shops), func(i, j int) { shops[i], shops[j] = shops[j], shops[i] })
		got := placement.Place(inv.shopsets, shops)
		require.Equal(t, want.ByShopSet, got.ByShopSet)
		byHost := map[string]placement.Placement{}
		for _, p := range want.Shops {
			byHost[p.Host] = p
		}
		for _, p := range got.Shops {
			require.Equal(t, byHost[p.Host], p)
		}
	}
}

func TestPlaceEdgeCases(t *testing.T) {
	east := placement.ShopSet{Name: "prod-a", Tier: "prod", Configuration: "standard", Cluster: "a", FailureDomain: "east", Active: true}
	west := placement.ShopSet{Name: "prod-b", Tier: "prod", Configuration: "standard", Cluster: "b", FailureDomain: "west", Active: true}
	eastDown := east
	eastDown.Active = false

	for _, tc := range []struct {
		name      string
		shopsets  []placement.ShopSet
		shop      placement.Shop
		want      placement.Placement
		byShopSet map[string][]string
	}{
		{
			name:      "no ShopSets at all",
			shop:      placement.Shop{Host: "x.example", Tier: "prod", Configuration: "standard", Redundancy: 2},
			want:      placement.Placement{Host: "x.example", Want: 2, Degraded: true},
			byShopSet: map[string][]string{},
		},
		{
			name:      "no ShopSet of the shop's configuration",
			shopsets:  []placement.ShopSet{east, west},
			shop:      placement.Shop{Host: "x.example", Tier: "prod", Configuration: "b2b", Redundancy: 1},
			want:      placement.Placement{Host: "x.example", Want: 1, Degraded: true},
			byShopSet: map[string][]string{"prod-a": {}, "prod-b": {}},
		},
		{
			name:      "every candidate inactive",
			shopsets:  []placement.ShopSet{eastDown},
			shop:      placement.Shop{Host: "x.example", Tier: "prod", Configuration: "standard", Redundancy: 1},
			want:      placement.Placement{Host: "x.example", Want: 1, Degraded: true},
			byShopSet: map[string][]string{"prod-a": {}},
		},
		{
			// prod-a happens to weigh more than prod-b for x.example.
			name:      "more redundancy than domains",
			shopsets:  []placement.ShopSet{east, west},
			shop:      placement.Shop{Host: "x.example", Tier: "prod", Configuration: "standard", Redundancy: 3},
			want:      placement.Placement{Host: "x.example", ShopSets: []string{"prod-a", "prod-b"}, Want: 3, Degraded: true},
			byShopSet: map[string][]string{"prod-a": {"x.example"}, "prod-b": {"x.example"}},
		},
		{
			name:      "zero redundancy places nothing and is not degraded",
			shopsets:  []placement.ShopSet{east, west},
			shop:      placement.Shop{Host: "x.example", Tier: "prod", Configuration: "standard", Redundancy: 0},
			want:      placement.Placement{Host: "x.example", Want: 0},
			byShopSet: map[string][]string{"prod-a": {}, "prod-b": {}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := placement.Place(tc.shopsets, []placement.Shop{tc.shop})
			assert.Equal(t, []placement.Placement{tc.want}, res.Shops)
			assert.Equal(t, tc.byShopSet, res.ByShopSet)
		})
	}
}

// benchInventory is 40,000 shops over 50 ShopSets on 20 clusters in 10 failure domains, in
// 4 tiers, of which prod and live run two configurations.
func benchInventory() inventory {
	r := rand.New(rand.NewPCG(1, 2))
	tiers := []string{"dev", "beta", "prod", "live"}
	configs := func(tier string) []string {
		if tier == "prod" || tier == "live" {
			return []string{"standard", "b2b"}
		}
		return []string{"standard"}
	}
	var inv inventory
	for i := range 50 {
		tier := tiers[i%len(tiers)]
		cs := configs(tier)
		cluster := r.IntN(20)
		inv.shopsets = append(inv.shopsets, placement.ShopSet{
			Name:          fmt.Sprintf("%s-%s-cluster-%02d-%d", tier, cs[(i/len(tiers))%len(cs)], cluster, i),
			Tier:          tier,
			Configuration: cs[(i/len(tiers))%len(cs)],
			Cluster:       fmt.Sprintf("cluster-%02d", cluster),
			FailureDomain: fmt.Sprintf("zone-%d", cluster%10),
			Active:        cluster != 3,
		})
	}
	for i := range 40_000 {
		tier := tiers[r.IntN(len(tiers))]
		cs := configs(tier)
		inv.shops = append(inv.shops, placement.Shop{
			Host:          fmt.Sprintf("shop-%05d.example.com", i),
			Tier:          tier,
			Configuration: cs[r.IntN(len(cs))],
			Redundancy:    1 + r.IntN(3),
		})
	}
	return inv
}

func BenchmarkPlace(b *testing.B) {
	inv := benchInventory()
	shuffled := slices.Clone(inv.shops)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })

	for _, bc := range []struct {
		name  string
		shops []placement.Shop
	}{
		{"hosts-sorted", inv.shops},
		{"hosts-shuffled", shuffled},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				placement.Place(inv.shopsets, bc.shops)
			}
		})
	}
}
