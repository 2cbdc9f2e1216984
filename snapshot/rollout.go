package snapshot

import (
	"time"

	"github.com/shopset/shopset/rollout"
)

// HasRollouts reports whether a tier has a rollout or a freeze: whether what Argo CD
// reports can change a ShopSet's revision. Without either, every ShopSet takes its
// tier's pin, as Pin gave it.
func (m *Model) HasRollouts() bool {
	if len(m.Inventory.Freezes) > 0 {
		return true
	}
	for _, t := range m.Inventory.Tiers {
		if t.Rollout != nil {
			return true
		}
	}
	return false
}

// RolloutTiers is what rollout.Plan reads of the snapshot: each tier's pin, rollout
// policy, the freeze that holds it at now, and its ShopSets with their failure domains
// and the shops placed on them.
func (s *Snapshot) RolloutTiers(now time.Time) []rollout.TierInput {
	out := make([]rollout.TierInput, len(s.Tiers))
	byTier := map[string]int{}
	for i, t := range s.Tiers {
		out[i] = rollout.TierInput{Name: t.Name, Pinned: t.Pinned}
		inv := s.Inventory.Tiers[i]
		if r := inv.Rollout; r != nil {
			out[i].Policy = &rollout.Policy{Soak: r.Soak, HealthTimeout: r.HealthTimeout, Rollback: r.Rollback}
		}
		if f, ok := s.Inventory.FreezeOf(t.Name, now); ok {
			out[i].Frozen = f.Reason
		}
		byTier[t.Name] = i
	}
	for _, p := range s.Params {
		i := byTier[p.Tier]
		out[i].ShopSets = append(out[i].ShopSets, rollout.ShopSet{Name: p.Name, FailureDomain: p.Cluster.FailureDomain, Shops: p.Shops})
	}
	return out
}

// Rolled is the snapshot's parameter sets, and their JSON, with each ShopSet's revision
// as plans decided it; only a set whose revision changed is encoded again. A ShopSet the
// plans do not name keeps its tier's pin.
func (s *Snapshot) Rolled(plans []rollout.TierPlan) ([]Params, [][]byte, error) {
	revisions := map[string]string{}
	for _, p := range plans {
		for name, rev := range p.Revisions {
			revisions[name] = rev
		}
	}
	params := s.Params
	encoded := s.Encoded
	copied := false
	for i, p := range s.Params {
		rev, ok := revisions[p.Name]
		if !ok || rev == "" || rev == p.Revision {
			continue
		}
		if !copied {
			params, encoded = append([]Params(nil), s.Params...), append([][]byte(nil), s.Encoded...)
			copied = true
		}
		params[i].Revision = rev
		b, err := encodeAll(params[i : i+1])
		if err != nil {
			return nil, nil, err
		}
		encoded[i] = b[0]
	}
	return params, encoded, nil
}
