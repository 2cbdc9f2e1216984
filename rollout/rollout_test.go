package rollout_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/rollout"
)

const (
	old    = "1111111111111111111111111111111111111111"
	target = "2222222222222222222222222222222222222222"
	stray  = "3333333333333333333333333333333333333333"
)

var (
	t0   = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	soak = 10 * time.Minute
	// Three failure domains: eks has the fewest shops, so it goes first; onprem-a and
	// onprem-b tie on shops and go by name.
	sets = []rollout.ShopSet{
		{Name: "a-1", FailureDomain: "onprem-a", Shops: 4},
		{Name: "b-1", FailureDomain: "onprem-b", Shops: 3},
		{Name: "b-2", FailureDomain: "onprem-b", Shops: 1},
		{Name: "e-1", FailureDomain: "eks", Shops: 2},
	}
)

// at is an Application synced to rev, with health, since the given time.
func at(rev, health string, since time.Time, history ...string) rollout.App {
	return rollout.App{Revision: rev, Synced: true, Health: health, SyncedAt: since, History: append(history, rev)}
}

func apps(m map[string]rollout.App) map[string]rollout.App { return m }

func allAt(rev, health string, since time.Time) map[string]rollout.App {
	out := map[string]rollout.App{}
	for _, s := range sets {
		out[s.Name] = at(rev, health, since, old)
		if rev == old {
			out[s.Name] = at(old, health, since)
		}
	}
	return out
}

func with(m map[string]rollout.App, name string, a rollout.App) map[string]rollout.App {
	out := map[string]rollout.App{}
	for k, v := range m {
		out[k] = v
	}
	out[name] = a
	return out
}

func TestWavesSmallestBlastRadiusFirst(t *testing.T) {
	waves := rollout.Waves(sets)
	var got []string
	for _, w := range waves {
		got = append(got, w.FailureDomain)
	}
	assert.Equal(t, []string{"eks", "onprem-a", "onprem-b"}, got)
	assert.Equal(t, []string{"b-1", "b-2"}, waves[2].ShopSets)
	assert.Equal(t, 4, waves[2].Shops)
}

func TestDecide(t *testing.T) {
	policy := rollout.Policy{Soak: soak, HealthTimeout: 5 * time.Minute}
	rollback := rollout.Policy{Soak: soak, HealthTimeout: 5 * time.Minute, Rollback: true}
	everyoneOld := allAt(old, rollout.Healthy, t0.Add(-time.Hour))
	for _, tc := range []struct {
		name      string
		in        rollout.Input
		revisions map[string]string // by ShopSet
		states    []rollout.WaveState
		halt      string // the ShopSet, "" for none
		proven    bool
	}{
		{
			name:      "a new target goes to the first wave only",
			in:        rollout.Input{Target: target, ShopSets: sets, Apps: everyoneOld, Policy: policy, Now: t0},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Released, rollout.Pending, rollout.Pending},
		},
		{
			name: "the first wave Healthy, soaking",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: policy, Now: t0.Add(9 * time.Minute),
				Apps: with(everyoneOld, "e-1", at(target, rollout.Healthy, t0, old))},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Soaking, rollout.Pending, rollout.Pending},
		},
		{
			name: "soaked to the second: the next wave is released",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: policy, Now: t0.Add(soak),
				Apps: with(everyoneOld, "e-1", at(target, rollout.Healthy, t0, old))},
			revisions: map[string]string{"e-1": target, "a-1": target, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Done, rollout.Released, rollout.Pending},
		},
		{
			name: "a wave given the target keeps it while the wave before regresses (no answer takes back what one gave)",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: policy, Now: t0.Add(soak + time.Minute),
				Apps: with(with(everyoneOld, "e-1", at(target, "Progressing", t0.Add(soak), old)),
					"a-1", rollout.App{Given: target, Revision: old, Synced: false, Health: rollout.Healthy, History: []string{old}})},
			revisions: map[string]string{"e-1": target, "a-1": target, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Released, rollout.Pending, rollout.Pending},
		},
		{
			name: "rolled back earlier: halted until a person acts",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: rollback, Now: t0.Add(time.Hour),
				Apps: with(everyoneOld, "e-1", at(old, rollout.Healthy, t0.Add(10*time.Minute), old, target))},
			revisions: map[string]string{"e-1": old, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Halted, rollout.Pending, rollout.Pending},
			halt:      "e-1",
		},
		{
			name: "retried after the rollback: the first wave is released again",
			in: rollout.Input{Target: target, ShopSets: sets, Now: t0.Add(time.Hour),
				Policy: withAction(rollback, rollout.Retry, t0.Add(30*time.Minute)),
				Apps:   with(everyoneOld, "e-1", at(old, rollout.Healthy, t0.Add(10*time.Minute), old, target))},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Released, rollout.Pending, rollout.Pending},
		},
		{
			name: "rolled back again after the retry: halted again",
			in: rollout.Input{Target: target, ShopSets: sets, Now: t0.Add(2 * time.Hour),
				Policy: withAction(rollback, rollout.Retry, t0.Add(30*time.Minute)),
				Apps:   with(everyoneOld, "e-1", at(old, rollout.Healthy, t0.Add(time.Hour), old, target, old, target))},
			revisions: map[string]string{"e-1": old, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Halted, rollout.Pending, rollout.Pending},
			halt:      "e-1",
		},
		{
			name: "a retry soaks a wave again from the retry; a resume keeps its soak",
			in: rollout.Input{Target: target, ShopSets: sets, Now: t0.Add(time.Hour),
				Policy: withAction(policy, rollout.Retry, t0.Add(55*time.Minute)),
				Apps:   with(everyoneOld, "e-1", at(target, rollout.Healthy, t0, old))},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Soaking, rollout.Pending, rollout.Pending},
		},
		{
			name: "resumed: the soaked wave stays done",
			in: rollout.Input{Target: target, ShopSets: sets, Now: t0.Add(time.Hour),
				Policy: withAction(policy, rollout.Resume, t0.Add(55*time.Minute)),
				Apps:   with(everyoneOld, "e-1", at(target, rollout.Healthy, t0, old))},
			revisions: map[string]string{"e-1": target, "a-1": target, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Done, rollout.Released, rollout.Pending},
		},
		{
			name: "the health timeout counts from a resume",
			in: rollout.Input{Target: target, ShopSets: sets, Now: t0.Add(time.Hour),
				Policy: withAction(policy, rollout.Resume, t0.Add(58*time.Minute)),
				Apps:   with(everyoneOld, "e-1", at(target, "Progressing", t0, old))},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Released, rollout.Pending, rollout.Pending},
		},
		{
			name: "an action for another target changes nothing",
			in: rollout.Input{Target: target, ShopSets: sets, Now: t0.Add(time.Hour),
				Policy: rollout.Policy{Soak: soak, HealthTimeout: 5 * time.Minute, Actions: []rollout.Action{{Kind: rollout.Resume, Target: stray, At: t0.Add(58 * time.Minute)}}},
				Apps:   with(everyoneOld, "e-1", at(target, "Progressing", t0, old))},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Halted, rollout.Pending, rollout.Pending},
			halt:      "e-1",
		},
		{
			name: "the soak runs from when it turned Healthy, not from the sync",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: policy, Now: t0.Add(soak),
				Apps: with(everyoneOld, "e-1", rollout.App{Revision: target, Synced: true, Health: rollout.Healthy,
					SyncedAt: t0, HealthySince: t0.Add(time.Minute), History: []string{old, target}})},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Soaking, rollout.Pending, rollout.Pending},
		},
		{
			name: "Synced at the target but OutOfSync since: not Healthy at it",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: policy, Now: t0.Add(time.Hour),
				Apps: with(everyoneOld, "e-1", rollout.App{Revision: target, Synced: false, Health: rollout.Healthy, SyncedAt: t0})},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Released, rollout.Pending, rollout.Pending},
		},
		{
			name: "every wave soaked: the tier proves the target",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: policy, Now: t0.Add(soak),
				Apps: allAt(target, rollout.Healthy, t0)},
			revisions: map[string]string{"e-1": target, "a-1": target, "b-1": target, "b-2": target},
			states:    []rollout.WaveState{rollout.Done, rollout.Done, rollout.Done},
			proven:    true,
		},
		{
			name: "Degraded in the first wave halts: no further wave, no rollback",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: policy, Now: t0.Add(time.Minute),
				Apps: with(everyoneOld, "e-1", at(target, rollout.Degraded, t0, old))},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Halted, rollout.Pending, rollout.Pending},
			halt:      "e-1",
		},
		{
			name: "Degraded with rollback: the released wave gets its revision back",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: rollback, Now: t0.Add(time.Minute),
				Apps: with(everyoneOld, "e-1", at(target, rollout.Degraded, t0, old))},
			revisions: map[string]string{"e-1": old, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Halted, rollout.Pending, rollout.Pending},
			halt:      "e-1",
		},
		{
			name: "rolled back before (read from history): still halted after a restart",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: rollback, Now: t0.Add(time.Hour),
				Apps: with(everyoneOld, "e-1", at(old, rollout.Healthy, t0.Add(2*time.Minute), old, target))},
			revisions: map[string]string{"e-1": old, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Halted, rollout.Pending, rollout.Pending},
			halt:      "e-1",
		},
		{
			name: "a new target (the fix) starts a new rollout despite the old halt",
			in: rollout.Input{Target: stray, ShopSets: sets, Policy: rollback, Now: t0.Add(time.Hour),
				Apps: with(everyoneOld, "e-1", at(old, rollout.Healthy, t0.Add(2*time.Minute), old, target))},
			revisions: map[string]string{"e-1": stray, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Released, rollout.Pending, rollout.Pending},
		},
		{
			name: "not Healthy within the health timeout halts",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: policy, Now: t0.Add(6 * time.Minute),
				Apps: with(everyoneOld, "e-1", at(target, "Progressing", t0, old))},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Halted, rollout.Pending, rollout.Pending},
			halt:      "e-1",
		},
		{
			name: "Progressing within the health timeout waits",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: policy, Now: t0.Add(4 * time.Minute),
				Apps: with(everyoneOld, "e-1", at(target, "Progressing", t0, old))},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Released, rollout.Pending, rollout.Pending},
		},
		{
			name: "a ShopSet without an Application gets the target at once and holds its wave",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: policy, Now: t0.Add(time.Hour),
				Apps: map[string]rollout.App{"e-1": at(target, rollout.Healthy, t0, old)}},
			revisions: map[string]string{"e-1": target, "a-1": target, "b-1": target, "b-2": target},
			states:    []rollout.WaveState{rollout.Done, rollout.Released, rollout.Pending},
		},
		{
			name: "an Application edited by hand to another revision releases nothing and is not rolled back",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: rollback, Now: t0.Add(time.Hour),
				Apps: with(everyoneOld, "e-1", rollout.App{Revision: stray, Synced: true, Health: rollout.Degraded, SyncedAt: t0, History: []string{old}})},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Released, rollout.Pending, rollout.Pending},
		},
		{
			name: "Argo CD unreadable: everything stays as it runs",
			in: rollout.Input{Target: target, ShopSets: sets, Policy: rollback, Now: t0, Blind: true,
				Apps: with(everyoneOld, "e-1", at(target, rollout.Healthy, t0.Add(-time.Hour), old))},
			revisions: map[string]string{"e-1": target, "a-1": old, "b-1": old, "b-2": old},
			states:    []rollout.WaveState{rollout.Pending, rollout.Pending, rollout.Pending},
		},
		{
			name:   "a tier without ShopSets proves its target",
			in:     rollout.Input{Target: target, Policy: policy, Now: t0},
			proven: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := rollout.Decide(tc.in)
			if tc.revisions == nil {
				tc.revisions = map[string]string{}
			}
			assert.Equal(t, tc.revisions, d.Revisions)
			var states []rollout.WaveState
			for _, w := range d.Waves {
				states = append(states, w.State)
			}
			assert.Equal(t, tc.states, states)
			if tc.halt == "" {
				assert.Nil(t, d.Halt)
			} else if assert.NotNil(t, d.Halt) {
				assert.Equal(t, tc.halt, d.Halt.ShopSet)
				assert.NotEmpty(t, d.Halt.Reason)
			}
			assert.Equal(t, tc.proven, d.Proven)
		})
	}
}

// With redundancy 2 and failure domains as waves, no shop ever has every ShopSet on a
// target that has not run healthy somewhere: while the first wave runs it unproven, the
// other waves keep the old revision.
func TestNoShopAllOnAnUnprovenTarget(t *testing.T) {
	d := rollout.Decide(rollout.Input{Target: target, ShopSets: sets, Now: t0,
		Policy: rollout.Policy{Soak: soak}, Apps: allAt(old, rollout.Healthy, t0.Add(-time.Hour))})
	byDomain := map[string]string{}
	for _, s := range sets {
		byDomain[s.FailureDomain] = d.Revisions[s.Name]
	}
	atTarget := 0
	for _, rev := range byDomain {
		if rev == target {
			atTarget++
		}
	}
	assert.Equal(t, 1, atTarget, "one failure domain at a time")
}

func TestDecideSoakLeft(t *testing.T) {
	d := rollout.Decide(rollout.Input{Target: target, ShopSets: sets, Policy: rollout.Policy{Soak: soak}, Now: t0.Add(4 * time.Minute),
		Apps: apps(with(allAt(old, rollout.Healthy, t0.Add(-time.Hour)), "e-1", at(target, rollout.Healthy, t0, old)))})
	assert.Equal(t, rollout.Soaking, d.Waves[0].State)
	assert.Equal(t, 6*time.Minute, d.Waves[0].SoakLeft)
}

// What Decide saw and did not act on is said, not silent.
func TestDecideNotes(t *testing.T) {
	d := rollout.Decide(rollout.Input{Target: target, ShopSets: sets, Policy: rollout.Policy{Soak: soak}, Now: t0,
		Apps: with(allAt(old, rollout.Healthy, t0.Add(-time.Hour)), "b-1", rollout.App{Revision: stray, Synced: true, Health: rollout.Healthy, History: []string{old}})})
	assert.Equal(t, []string{"b-1 runs 333333333333, a revision it was never given: left alone"}, d.Notes)
}

func withAction(p rollout.Policy, kind string, at time.Time) rollout.Policy {
	p.Actions = []rollout.Action{{Kind: kind, Target: target, At: at, Commit: stray}}
	return p
}

// Due names the first time at which the clock alone changes the decision.
func TestDecideDue(t *testing.T) {
	policy := rollout.Policy{Soak: soak, HealthTimeout: 5 * time.Minute}
	everyoneOld := allAt(old, rollout.Healthy, t0.Add(-time.Hour))
	for _, tc := range []struct {
		name string
		apps map[string]rollout.App
		want time.Time
	}{
		{"the first wave soaking: its soak's end", with(everyoneOld, "e-1", at(target, rollout.Healthy, t0, old)), t0.Add(soak)},
		{"the first wave synced, not Healthy: its health timeout's end", with(everyoneOld, "e-1", at(target, "Progressing", t0, old)), t0.Add(5*time.Minute + time.Nanosecond)},
		{"the first wave not synced yet: nothing waits on the clock", everyoneOld, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := rollout.Decide(rollout.Input{Target: target, ShopSets: sets, Apps: tc.apps, Policy: policy, Now: t0.Add(time.Minute)})
			assert.Equal(t, tc.want, d.Due)
		})
	}
	// A freeze with an end is due then.
	until := t0.Add(time.Hour)
	plans, err := rollout.Plan(context.Background(), &line{}, rollout.PlanInput{Now: t0, Apps: map[string]rollout.App{},
		Tiers: []rollout.TierInput{{Name: "dev", Pinned: "c3", Frozen: "freeze", FrozenUntil: until, ShopSets: sets}}})
	require.NoError(t, err)
	assert.Equal(t, until, plans[0].Due)
}
