package snapshot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shopset/shopset/gitrepo"
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

// PlanRollouts decides every tier's rollout from what Argo CD reports of each ShopSet's
// Application (apps, by ShopSet name; blind when that could not be read now) at now.
func (s *Snapshot) PlanRollouts(ctx context.Context, git rollout.Ancestry, apps map[string]rollout.App, blind bool, now time.Time) ([]rollout.TierPlan, error) {
	plans, err := rollout.Plan(ctx, git, rollout.PlanInput{Tiers: s.RolloutTiers(now), Apps: apps, Blind: blind, Now: now})
	if err != nil {
		return nil, fmt.Errorf("rollouts: %w", err)
	}
	return plans, nil
}

// Ancestry answers rollout's questions of repo. Commits never change, so answers are
// kept (a bounded map, emptied when full): a plan is made again every second or so.
func Ancestry(repo *gitrepo.Repo) rollout.Ancestry { return &mergeBases{repo: repo} }

type mergeBases struct {
	repo *gitrepo.Repo
	mu   sync.Mutex
	seen map[[2]string]string
}

// maxMergeBases bounds the answers kept.
const maxMergeBases = 4096

func (m *mergeBases) MergeBase(ctx context.Context, a, b string) (string, error) {
	key := [2]string{min(a, b), max(a, b)}
	m.mu.Lock()
	if mb, ok := m.seen[key]; ok {
		m.mu.Unlock()
		return mb, nil
	}
	m.mu.Unlock()
	mb, err := m.repo.MergeBase(ctx, a, b)
	switch {
	case errors.Is(err, gitrepo.ErrNoMergeBase):
		return "", fmt.Errorf("%w: %w", rollout.ErrUnrelated, err)
	case errors.Is(err, gitrepo.ErrUnknownRevision):
		return "", fmt.Errorf("%w: %w", rollout.ErrUnknown, err)
	case err != nil:
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil || len(m.seen) >= maxMergeBases {
		m.seen = map[[2]string]string{}
	}
	m.seen[key] = mb
	return mb, nil
}
