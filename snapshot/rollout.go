package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
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
			out[i].Policy = &rollout.Policy{Soak: r.Soak, HealthTimeout: r.HealthTimeout, Rollback: r.Rollback,
				Actions: s.Actions[t.Name]}
		}
		if f, ok := s.Inventory.FreezeOf(t.Name, now); ok {
			out[i].Frozen, out[i].FrozenUntil = f.Reason, f.Until
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
// as plans decided it; only a set whose revision changed gets new JSON, its revision
// spliced in as Pin does. A ShopSet the plans do not name keeps its tier's pin.
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
		q, err := json.Marshal(rev)
		if err != nil {
			return nil, nil, fmt.Errorf("encoding parameters: %w", err)
		}
		encoded[i] = s.encoded[i].with(q)
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

// Trailers that record a person's decision about a tier's rollout of a target, on a
// commit of the inventory's branch (shopctl rollout resume|retry writes them):
//
//	Shopset-Rollout-Retry: beta-prod 6c52b1a92e1b3f0c8d4e5f6a7b8c9d0e1f2a3b4c
const (
	ResumeTrailer = "Shopset-Rollout-Resume"
	RetryTrailer  = "Shopset-Rollout-Retry"
)

// ActionSearch bounds the commits of the inventory's branch searched for them.
const ActionSearch = 200

// readActions finds the resume and retry trailers on the last ActionSearch commits up to
// commit, by tier; a malformed one is left out and noted.
func readActions(ctx context.Context, repo *gitrepo.Repo, commit string, tiers map[string]bool) (map[string][]rollout.Action, []string, error) {
	log, err := repo.DatedLog(ctx, commit, ActionSearch)
	if err != nil {
		return nil, nil, fmt.Errorf("reading rollout actions: %w", err)
	}
	out := map[string][]rollout.Action{}
	var notes []string
	for _, c := range log {
		for _, kind := range []struct{ trailer, kind string }{{ResumeTrailer, rollout.Resume}, {RetryTrailer, rollout.Retry}} {
			for _, v := range c.Trailers[kind.trailer] {
				f := strings.Fields(v)
				if len(f) != 2 || !tiers[f[0]] || !fullCommitID.MatchString(f[1]) {
					notes = append(notes, fmt.Sprintf("commit %.12s: %s: %q is not \"<tier> <full commit ID>\" of a known tier: ignored", c.ID, kind.trailer, v))
					continue
				}
				out[f[0]] = append(out[f[0]], rollout.Action{Kind: kind.kind, Target: f[1], At: c.Time, Commit: c.ID})
			}
		}
	}
	return out, notes, nil
}

var fullCommitID = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)

// ActionMessage is the commit message that records a resume or retry of tier's rollout
// of target, with the person's reason.
func ActionMessage(kind, tier, target, reason string) string {
	trailer := map[string]string{rollout.Resume: ResumeTrailer, rollout.Retry: RetryTrailer}[kind]
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s the rollout of %.12s on %s\n\n", strings.ToUpper(kind[:1]), kind[1:], target, tier)
	if r := strings.TrimSpace(reason); r != "" {
		b.WriteString(r + "\n\n")
	}
	fmt.Fprintf(&b, "%s: %s %s\n", trailer, tier, target)
	return b.String()
}
