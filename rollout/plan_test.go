package rollout_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/rollout"
)

// line is a history with one line of commits, c1 < c2 < c3 < c4, and a commit "z" on
// a root of its own. It stands in for Git so the table reads as revisions.
type line struct{ calls int }

func (g *line) MergeBase(_ context.Context, a, b string) (string, error) {
	g.calls++
	order := map[string]int{"c1": 1, "c2": 2, "c3": 3, "c4": 4, "z": 100}
	oa, okA := order[a]
	ob, okB := order[b]
	switch {
	case !okA || !okB:
		return "", fmt.Errorf("merge-base %s %s: %w", a, b, rollout.ErrUnknown)
	case a == b:
		return a, nil
	case oa == 100 || ob == 100:
		return "", fmt.Errorf("merge-base %s %s: %w", a, b, rollout.ErrUnrelated)
	case oa < ob:
		return a, nil
	default:
		return b, nil
	}
}

func TestPlan(t *testing.T) {
	devSets := []rollout.ShopSet{
		{Name: "d-a", FailureDomain: "a", Shops: 1},
		{Name: "d-b", FailureDomain: "b", Shops: 2},
	}
	prodSets := []rollout.ShopSet{{Name: "p-a", FailureDomain: "a"}, {Name: "p-b", FailureDomain: "b"}}
	policy := &rollout.Policy{Soak: soak}
	healthy := func(rev string, history ...string) rollout.App {
		return at(rev, rollout.Healthy, t0.Add(-2*soak), history...)
	}
	tiers := func(devPolicy *rollout.Policy, frozen string) []rollout.TierInput {
		return []rollout.TierInput{
			{Name: "dev", Pinned: "c3", Policy: devPolicy, Frozen: frozen, ShopSets: devSets},
			{Name: "prod", Pinned: "c3", ShopSets: prodSets},
		}
	}
	tests := []struct {
		name  string
		tiers []rollout.TierInput
		apps  map[string]rollout.App
		blind bool
		// want: the revision of d-a, d-b, p-a, p-b; dev's proven revision; prod's target.
		want         [4]string
		proven, prod string
		note         string
	}{
		{
			name:  "dev soaked at its target: prod takes it",
			tiers: tiers(policy, ""),
			apps:  map[string]rollout.App{"d-a": healthy("c3", "c2"), "d-b": healthy("c3", "c2"), "p-a": healthy("c2"), "p-b": healthy("c2")},
			want:  [4]string{"c3", "c3", "c3", "c3"}, proven: "c3", prod: "c3",
		},
		{
			name:  "dev's first wave at the target: prod stays at what all of dev runs",
			tiers: tiers(policy, ""),
			apps:  map[string]rollout.App{"d-a": at("c3", rollout.Healthy, t0, "c2"), "d-b": healthy("c2"), "p-a": healthy("c2"), "p-b": healthy("c2")},
			want:  [4]string{"c3", "c2", "c2", "c2"}, proven: "c2", prod: "c2",
		},
		{
			name:  "dev not started: its old revision is what it proves",
			tiers: tiers(policy, ""),
			apps:  map[string]rollout.App{"d-a": healthy("c1"), "d-b": healthy("c2", "c1"), "p-a": healthy("c1"), "p-b": healthy("c1")},
			want:  [4]string{"c3", "c2", "c1", "c1"}, proven: "c1", prod: "c1",
		},
		{
			name:  "dev without a rollout: prod takes its pin at once, as without rollouts",
			tiers: tiers(nil, ""),
			apps:  map[string]rollout.App{"d-a": healthy("c1"), "d-b": healthy("c1"), "p-a": healthy("c1"), "p-b": healthy("c1")},
			want:  [4]string{"c3", "c3", "c3", "c3"}, proven: "c3", prod: "c3",
		},
		{
			name:  "dev frozen: every ShopSet stays, and prod with it",
			tiers: tiers(policy, "release freeze"),
			apps:  map[string]rollout.App{"d-a": healthy("c2"), "d-b": healthy("c2"), "p-a": healthy("c1"), "p-b": healthy("c1")},
			want:  [4]string{"c2", "c2", "c2", "c2"}, proven: "c2", prod: "c2",
		},
		{
			name:  "no Application anywhere yet: dev passes its target on",
			tiers: tiers(policy, ""),
			apps:  map[string]rollout.App{},
			want:  [4]string{"c3", "c3", "c3", "c3"}, proven: "c3", prod: "c3",
		},
		{
			name:  "an Application at a commit Git does not have is left out",
			tiers: tiers(policy, ""),
			apps:  map[string]rollout.App{"d-a": healthy("c2"), "d-b": healthy("f00d"), "p-a": healthy("c1"), "p-b": healthy("c1")},
			want:  [4]string{"c3", "f00d", "c2", "c2"}, proven: "c2", prod: "c2",
			note: "which the repository does not have",
		},
		{
			name:  "dev runs unrelated histories: nothing proven, prod holds where it is",
			tiers: tiers(policy, ""),
			apps:  map[string]rollout.App{"d-a": healthy("z"), "d-b": healthy("c2"), "p-a": healthy("c1")},
			want:  [4]string{"c3", "c2", "c1", "c3"}, proven: "", prod: "",
			note: "share no history",
		},
		{
			name:  "dev halted at its target: it proves what it ran before",
			tiers: tiers(policy, ""),
			apps:  map[string]rollout.App{"d-a": at("c3", rollout.Degraded, t0, "c2"), "d-b": healthy("c2"), "p-a": healthy("c1"), "p-b": healthy("c1")},
			want:  [4]string{"c3", "c2", "c2", "c2"}, proven: "c2", prod: "c2",
		},
		{
			name:  "dev's first ShopSets at a target not soaked, nothing before: nothing proven, prod holds",
			tiers: tiers(policy, ""),
			apps:  map[string]rollout.App{"d-a": at("c3", rollout.Healthy, t0), "p-a": healthy("c1")},
			want:  [4]string{"c3", "c3", "c1", "c3"}, proven: "", prod: "",
		},
		{
			name:  "dev's proof falls back (a hand edit): prod does not go back behind what it all runs",
			tiers: tiers(policy, ""),
			apps:  map[string]rollout.App{"d-a": healthy("c1"), "d-b": healthy("c3", "c2"), "p-a": healthy("c2", "c1"), "p-b": healthy("c3", "c2")},
			want:  [4]string{"c3", "c3", "c2", "c2"}, proven: "c1", prod: "c2",
		},
		{
			name:  "Argo CD unreadable: every ShopSet keeps what it runs",
			tiers: tiers(policy, ""),
			blind: true,
			apps:  map[string]rollout.App{"d-a": healthy("c1"), "d-b": healthy("c2"), "p-a": healthy("c1"), "p-b": healthy("c1")},
			want:  [4]string{"c1", "c2", "c1", "c1"}, proven: "c1", prod: "c1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plans, err := rollout.Plan(context.Background(), &line{}, rollout.PlanInput{Tiers: tc.tiers, Apps: tc.apps, Blind: tc.blind, Now: t0})
			require.NoError(t, err)
			require.Len(t, plans, 2)
			dev, prod := plans[0], plans[1]
			got := [4]string{dev.Revisions["d-a"], dev.Revisions["d-b"], prod.Revisions["p-a"], prod.Revisions["p-b"]}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.proven, dev.Proven, "dev proven")
			assert.Equal(t, tc.prod, prod.Target, "prod target")
			if tc.note != "" {
				assert.Contains(t, fmt.Sprint(dev.Notes, prod.Notes), tc.note)
			}
		})
	}
}
