package placement

import (
	"cmp"
	"slices"
	"strings"
)

// ShopSet is one copy of the stack, deployed on one cluster. Names are expected to be unique.
type ShopSet struct {
	Name, Tier, Configuration, Cluster, FailureDomain string
	Active                                            bool // false when its cluster is cordoned or down: it gets no placements
}

// Shop is a hostname and what it needs: redundancy ShopSets of its tier and configuration.
// Hosts are expected to be unique.
type Shop struct {
	Host, Tier, Configuration string
	Redundancy                int // >= 1
}

// Placement is one shop's ShopSets, best first.
type Placement struct {
	Host     string
	ShopSets []string // names, in descending weight order; len == min(Redundancy, distinct active domains among candidates)
	Want     int      // the shop's redundancy
	Degraded bool     // len(ShopSets) < Want
}

// Result is the placement of every shop, seen from both sides.
type Result struct {
	Shops     []Placement         // same order as the input shops
	ByShopSet map[string][]string // ShopSet name -> hosts placed on it (sorted); every input ShopSet has an entry, possibly empty
}

const (
	fnvOffset64 = 0xcbf29ce484222325
	fnvPrime64  = 0x100000001b3
)

// Weight is the rendezvous weight of a shop on a ShopSet. It is defined as
//
//	Weight(host, shopset) = mix(fnv1a64(host + "\x00" + shopset))
//
// where fnv1a64 is 64-bit FNV-1a over the bytes of the string (h = 0xcbf29ce484222325; for each
// byte b: h ^= b; h *= 0x100000001b3) and mix is splitmix64's finaliser:
//
//	z ^= z >> 30; z *= 0xbf58476d1ce4e5b9
//	z ^= z >> 27; z *= 0x94d049bb133111eb
//	z ^= z >> 31
//
// The definition is a compatibility contract: it is the same on every platform and Go version,
// and changing it moves shops.
func Weight(host, shopset string) uint64 {
	return mix(fnvString(fnvHost(host), shopset))
}

// fnvHost is the FNV-1a state after host + "\x00", shared by all of a shop's candidates.
func fnvHost(host string) uint64 {
	// The separator byte is 0, so its xor step is a no-op.
	return fnvString(fnvOffset64, host) * fnvPrime64
}

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}

// mix is needed because FNV-1a's top bits depend only weakly on the last bytes hashed, and
// names that differ only at the end ("prod-1", "prod-2") would otherwise rank in a biased way.
func mix(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

type groupKey struct{ tier, configuration string }

type candidate struct {
	name   string
	slot   int32 // index into the result's ShopSet names
	domain int32 // index of its failure domain within the group
	shared int32 // length of the prefix shared with the previous candidate's name
}

// group is the active ShopSets of one tier and configuration, sorted by name so that a weight
// tie goes to the lower index, whatever the input order.
type group struct {
	cands   []candidate
	domains int // distinct failure domains among cands
}

// Place places every shop. Candidates of a shop are the ShopSets with the same Tier and
// Configuration. Order the candidates by Weight descending (ties broken by name), walk them, take a
// candidate when it is Active and its FailureDomain is not yet used by this shop, stop at
// Redundancy. Inactive candidates are skipped but DO NOT consume their domain (a cordoned
// cluster's domain may still be served by another active cluster in the same domain).
//
// The first candidate the walk meets in a domain is that domain's heaviest active ShopSet, and
// every later one in the same domain is skipped, so Place computes each domain's best candidate
// in one pass and then selects the heaviest Redundancy domains, without sorting the candidates.
func Place(shopsets []ShopSet, shops []Shop) Result {
	// Slots are the distinct ShopSet names in sorted order, so nothing depends on input order.
	names := make([]string, 0, len(shopsets))
	for i := range shopsets {
		names = append(names, shopsets[i].Name)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	slotOf := make(map[string]int32, len(names))
	for i, n := range names {
		slotOf[n] = int32(i)
	}

	groups, maxDomains, maxName := buildGroups(shopsets, slotOf)

	// Every shop's picked names and slots live in one backing array each, sized here: two
	// allocations rather than one per shop. Each shop's group is looked up only here.
	shopGroups := make([]*group, len(shops))
	total := 0
	for i := range shops {
		if g := groups[groupKey{shops[i].Tier, shops[i].Configuration}]; g != nil {
			shopGroups[i] = g
			total += max(0, min(shops[i].Redundancy, g.domains))
		}
	}
	pickedNames := make([]string, total)
	pickedSlots := make([]int32, total)
	placements := make([]Placement, len(shops))
	offsets := make([]int32, len(shops)+1)

	bestW := make([]uint64, maxDomains)
	bestI := make([]int32, maxDomains)
	states := make([]uint64, maxName+1)
	off := 0
	for si := range shops {
		s := &shops[si]
		p := &placements[si]
		p.Host = s.Host
		p.Want = s.Redundancy
		offsets[si] = int32(off)

		g := shopGroups[si]
		want := 0
		if g != nil {
			want = max(0, min(s.Redundancy, g.domains))
		}
		p.Degraded = want < s.Redundancy
		if want == 0 {
			continue
		}

		// Each domain's heaviest candidate; scanning in name order with a strict > keeps the
		// lower name on a tie.
		doms := bestI[:g.domains]
		for d := range doms {
			doms[d] = -1
		}
		ws := bestW[:g.domains]
		// ShopSet names tend to share long prefixes ("prod-standard-cluster-"), and FNV is a
		// running state: states[k] is the state after host, separator and the first k bytes of
		// the previous name, so each name hashes only the bytes after what it shares with the
		// previous one. The weights are exactly Weight's.
		states[0] = fnvHost(s.Host)
		for ci := range g.cands {
			c := &g.cands[ci]
			h := states[c.shared]
			for k := int(c.shared); k < len(c.name); k++ {
				h = (h ^ uint64(c.name[k])) * fnvPrime64
				states[k+1] = h
			}
			w := mix(h)
			if doms[c.domain] < 0 || w > ws[c.domain] {
				ws[c.domain] = w
				doms[c.domain] = int32(ci)
			}
		}

		// Partial selection sort: only the first want domains are ordered.
		for r := range want {
			best := r
			for d := r + 1; d < len(doms); d++ {
				if ws[d] > ws[best] || (ws[d] == ws[best] && doms[d] < doms[best]) {
					best = d
				}
			}
			ws[r], ws[best] = ws[best], ws[r]
			doms[r], doms[best] = doms[best], doms[r]
			c := &g.cands[doms[r]]
			pickedNames[off+r] = c.name
			pickedSlots[off+r] = c.slot
		}
		p.ShopSets = pickedNames[off : off+want : off+want]
		off += want
	}
	offsets[len(shops)] = int32(off)

	return Result{Shops: placements, ByShopSet: byShopSet(names, shops, pickedSlots, offsets)}
}

func buildGroups(shopsets []ShopSet, slotOf map[string]int32) (groups map[groupKey]*group, maxDomains, maxName int) {
	active := make([]*ShopSet, 0, len(shopsets))
	for i := range shopsets {
		if shopsets[i].Active {
			active = append(active, &shopsets[i])
		}
	}
	// Every field takes part so that even duplicate names order the same way in every run.
	slices.SortFunc(active, func(a, b *ShopSet) int {
		return cmp.Or(
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Tier, b.Tier),
			strings.Compare(a.Configuration, b.Configuration),
			strings.Compare(a.FailureDomain, b.FailureDomain),
			strings.Compare(a.Cluster, b.Cluster),
		)
	})

	groups = map[groupKey]*group{}
	domainOf := map[groupKey]map[string]int32{}
	for _, s := range active {
		key := groupKey{s.Tier, s.Configuration}
		g := groups[key]
		if g == nil {
			g = &group{}
			groups[key] = g
			domainOf[key] = map[string]int32{}
		}
		d, ok := domainOf[key][s.FailureDomain]
		if !ok {
			d = int32(g.domains)
			domainOf[key][s.FailureDomain] = d
			g.domains++
			maxDomains = max(maxDomains, g.domains)
		}
		shared := 0
		if n := len(g.cands); n > 0 {
			shared = commonPrefix(g.cands[n-1].name, s.Name)
		}
		g.cands = append(g.cands, candidate{name: s.Name, slot: slotOf[s.Name], domain: d, shared: int32(shared)})
		maxName = max(maxName, len(s.Name))
	}
	return groups, maxDomains, maxName
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// byShopSet inverts the placements. Walking the shops in host order fills every list already
// sorted, which is cheaper than sorting each list.
func byShopSet(names []string, shops []Shop, slots []int32, offsets []int32) map[string][]string {
	counts := make([]int, len(names)+1)
	for _, slot := range slots {
		counts[slot+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	hosts := make([]string, len(slots))
	next := counts[:len(names)]

	fill := func(si int) {
		for _, slot := range slots[offsets[si]:offsets[si+1]] {
			hosts[next[slot]] = shops[si].Host
			next[slot]++
		}
	}
	if slices.IsSortedFunc(shops, func(a, b Shop) int { return strings.Compare(a.Host, b.Host) }) {
		for si := range shops {
			fill(si)
		}
	} else {
		for _, o := range sortedHosts(shops) {
			fill(int(o.index))
		}
	}

	// next[slot] now holds the end of each slot's range; the start is the previous end.
	out := make(map[string][]string, len(names))
	start := 0
	for slot, name := range names {
		end := next[slot]
		out[name] = hosts[start:end:end]
		start = end
	}
	return out
}

// hostIndex holds no pointers, so sorting it moves 16 bytes at a time and needs no write
// barriers.
type hostIndex struct {
	key   uint64 // the 8 bytes after the prefix all hosts share, big-endian, zero-padded
	index int32
}

// sortedHosts orders the shops by host, equal hosts by index. Hosts often share a prefix
// ("shop-", "www."), so it radix-sorts on a 64-bit key taken just after the prefix they all
// share, which settles nearly every pair without touching the strings, then orders the runs of
// equal keys by the whole host.
func sortedHosts(shops []Shop) []hostIndex {
	n := len(shops)
	if n == 0 {
		return nil
	}
	prefix := len(shops[0].Host)
	for i := 1; i < n && prefix > 0; i++ {
		prefix = commonPrefix(shops[0].Host[:prefix], shops[i].Host)
	}
	order := make([]hostIndex, n)
	for i := range shops {
		h := shops[i].Host[prefix:]
		var key uint64
		for j := range 8 {
			key <<= 8
			if j < len(h) {
				key |= uint64(h[j])
			}
		}
		order[i] = hostIndex{key, int32(i)}
	}

	// LSD radix sort, a byte per pass; it is stable, so equal keys stay in index order.
	tmp := make([]hostIndex, n)
	for shift := 0; shift < 64; shift += 8 {
		var starts [256]int
		for _, o := range order {
			starts[byte(o.key>>shift)]++
		}
		if starts[byte(order[0].key>>shift)] == n {
			continue // every key has the same byte here
		}
		sum := 0
		for d, c := range starts {
			starts[d] = sum
			sum += c
		}
		for _, o := range order {
			d := byte(o.key >> shift)
			tmp[starts[d]] = o
			starts[d]++
		}
		order, tmp = tmp, order
	}

	for i := 0; i < n; {
		j := i + 1
		for j < n && order[j].key == order[i].key {
			j++
		}
		if j-i > 1 {
			slices.SortStableFunc(order[i:j], func(a, b hostIndex) int {
				return strings.Compare(shops[a.index].Host, shops[b.index].Host)
			})
		}
		i = j
	}
	return order
}

// Degraded lists, in placement order, the shops placed on fewer failure domains than
// they ask for (unserved ones included): the one place that says which shops are degraded.
func (r Result) Degraded() []string {
	var out []string
	for _, s := range r.Shops {
		if s.Degraded {
			out = append(out, s.Host)
		}
	}
	return out
}

// Unserved lists, in placement order, the shops no ShopSet serves at all.
func (r Result) Unserved() []string {
	var out []string
	for _, s := range r.Shops {
		if len(s.ShopSets) == 0 {
			out = append(out, s.Host)
		}
	}
	return out
}
