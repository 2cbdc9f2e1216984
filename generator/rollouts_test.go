package generator_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/generator"
)

// clock is the generator's clock in these tests: it moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cluster plays Argo CD and the clusters for the rollout tests: each ShopSet's
// Application, synced to what the generator gave it, with a health the test sets.
type cluster struct {
	t     *testing.T
	clock *clock
	state *argoState
	apps  map[string]argoapps.App
}

// set makes ShopSet name's Application synced at rev with health, since now.
func (c *cluster) set(name, tier, rev, health string) {
	a := c.apps[name]
	now := c.clock.Now()
	if a.SyncRevision != rev {
		a.History = append(a.History, rev)
		a.SyncedAt = now
	}
	if a.Health != health {
		a.HealthSince = now
	}
	a.Name, a.ShopSet, a.Tier = "shopset-"+name, name, tier
	a.TargetRevision, a.SyncRevision, a.SyncStatus, a.Health = rev, rev, "Synced", health
	c.apps[name] = a
	c.publish()
}

func (c *cluster) publish() {
	list := make([]argoapps.App, 0, len(c.apps))
	for _, a := range c.apps {
		list = append(list, a)
	}
	c.state.apply(list)
}

// given returns the revision the generator gives each ShopSet of the tiers now.
func given(t *testing.T, f *fixture, tiers ...string) map[string]string {
	t.Helper()
	apps, err := f.argo(t).applications()
	require.NoError(t, err)
	out := map[string]string{}
	for _, a := range apps {
		for _, tier := range tiers {
			if a.Labels["shopset.io/tier"] == tier {
				out[a.Labels["shopset.io/name"]] = a.Spec.Source.TargetRevision
			}
		}
	}
	return out
}

// eventually waits until the generator gives want: a decision is made again in the
// background once the clock or Argo CD's state has moved.
func eventually(t *testing.T, f *fixture, want map[string]string, tiers ...string) {
	t.Helper()
	var got map[string]string
	ok := assert.Eventually(t, func() bool {
		got = given(t, f, tiers...)
		return assert.ObjectsAreEqual(want, got)
	}, 10*time.Second, 20*time.Millisecond)
	if !ok {
		assert.Equal(t, want, got)
		t.FailNow()
	}
}

func rolloutView(t *testing.T, f *fixture) generator.ViewStatus {
	t.Helper()
	v := f.status(t).Repositories[0].Views[0]
	require.NotNil(t, v.Rollouts, "rollouts in the status")
	return v
}

// A release through beta-prod, the way its rollout says: one failure domain at a time,
// each soaked, prod held until beta-prod has proven it; a Degraded ShopSet halts and
// rolls back, the halt survives a restart, and a fix starts a new rollout.
func TestRolloutWavesSoakHaltRollback(t *testing.T) {
	f, clk, c, old := newRolloutFixture(t, "{soak: 10m, healthTimeout: 5m, rollback: true}", "")

	// A change promoted all the way: Git pins it on beta-prod and prod alike.
	release := func(file, msg string) string {
		rev := f.gitRepo.Commit(t, "tier/dev", map[string]string{"apps/" + file: msg + "\n"}, msg)
		for _, b := range []string{"tier/beta", "tier/beta-prod", "tier/prod"} {
			f.gitRepo.Git(t, "update-ref", "refs/heads/"+b, rev)
		}
		return rev
	}
	good := release("NOTES", "A good change")

	// Wave 1 only: the failure domain with the fewest shops. prod waits.
	given(t, f)
	v := rolloutView(t, f)
	plan := tierPlan(t, v, "beta-prod")
	require.Len(t, plan.Waves, 3)
	first, second, third := plan.Waves[0].ShopSets[0], plan.Waves[1].ShopSets[0], plan.Waves[2].ShopSets[0]
	assert.Equal(t, good, plan.Target)
	assert.Equal(t, old, plan.Proven)
	assert.Equal(t, old, tierPlan(t, v, "prod").Target, "prod takes only what beta-prod has proven")
	assert.Equal(t, good, tierPlan(t, v, "prod").Pinned)
	eventually(t, f, map[string]string{first: good, second: old, third: old, "a-2": old, "b-1": old, "c-3": old}, "beta-prod", "prod")

	// Synced and Healthy: it soaks; the next wave waits for the soak.
	c.set(first, "beta-prod", good, "Progressing")
	clk.advance(time.Minute)
	c.set(first, "beta-prod", good, "Healthy")
	clk.advance(9 * time.Minute)
	eventually(t, f, map[string]string{first: good, second: old, third: old}, "beta-prod")
	assert.Equal(t, "soaking", string(tierPlan(t, rolloutView(t, f), "beta-prod").Waves[0].State))
	clk.advance(time.Minute + time.Second)
	eventually(t, f, map[string]string{first: good, second: good, third: old}, "beta-prod")

	// Wave 2 soaks too, then wave 3; once all soaked, prod's target is the release.
	c.set(second, "beta-prod", good, "Healthy")
	clk.advance(11 * time.Minute)
	eventually(t, f, map[string]string{first: good, second: good, third: good}, "beta-prod")
	c.set(third, "beta-prod", good, "Healthy")
	clk.advance(11 * time.Minute)
	eventually(t, f, map[string]string{"a-2": good, "b-1": good, "c-3": good}, "prod")
	for _, n := range []string{"a-2", "b-1", "c-3"} {
		c.set(n, "prod", good, "Healthy")
	}

	// A bad change: wave 1 degrades. The rollout halts there and rolls back.
	bad := release("NOTES", "A bad change")
	eventually(t, f, map[string]string{first: bad, second: good, third: good}, "beta-prod")
	c.set(first, "beta-prod", bad, "Degraded")
	eventually(t, f, map[string]string{first: good, second: good, third: good, "a-2": good, "b-1": good, "c-3": good}, "beta-prod", "prod")
	plan = tierPlan(t, rolloutView(t, f), "beta-prod")
	require.NotNil(t, plan.Halt)
	assert.Equal(t, first, plan.Halt.ShopSet)
	assert.True(t, plan.RolledBack)
	metrics := scrape(t, f)
	assert.Contains(t, metrics, `shopset_rollout_halted{repo="`+f.url+`",tier="beta-prod"} 1`)
	assert.Contains(t, metrics, `shopset_rollout_waves{repo="`+f.url+`",state="halted",tier="beta-prod"} 1`)
	assert.Contains(t, metrics, `shopset_rollout_held_back{repo="`+f.url+`",tier="prod"} 1`)
	page := get(t, f.http.URL+"/dashboard")
	assert.Contains(t, page, `<strong class="marker">HALTED</strong> `+first+` is Degraded at `+bad[:12]+` (rolled back)`)
	assert.Contains(t, page, `<li data-state="halted" title="`+first+`">`)
	assert.Contains(t, page, `held back to what the tier below has proven`)

	// Argo CD syncs it back. A restart (a new replica, an empty mirror) keeps the halt:
	// it is read back from the Applications' history.
	c.set(first, "beta-prod", good, "Healthy")
	f.restart(t, true)
	eventually(t, f, map[string]string{first: good, second: good, third: good}, "beta-prod")
	plan = tierPlan(t, rolloutView(t, f), "beta-prod")
	require.NotNil(t, plan.Halt, "the halt after a restart")
	assert.Contains(t, plan.Halt.Reason, "rolled back")

	// A person retries it (a commit on main says so): wave 1 gets it again.
	clk.advance(time.Minute)
	commitAt(t, f, "main", clk.Now(), "Retry the bad change\n\nShopset-Rollout-Retry: beta-prod "+bad+"\n")
	eventually(t, f, map[string]string{first: bad, second: good, third: good}, "beta-prod")
	plan = tierPlan(t, rolloutView(t, f), "beta-prod")
	assert.Nil(t, plan.Halt)
	require.NotNil(t, plan.Action)
	assert.Equal(t, "retry", plan.Action.Kind)

	// A fix on top starts a new rollout, wave 1 first.
	fix := release("NOTES", "Fix the bad change")
	eventually(t, f, map[string]string{first: fix, second: good, third: good}, "beta-prod")
	assert.Nil(t, tierPlan(t, rolloutView(t, f), "beta-prod").Halt)
}

func tierPlan(t *testing.T, v generator.ViewStatus, tier string) generator.TierRollout {
	t.Helper()
	for _, p := range v.Rollouts.Tiers {
		if p.Name == tier {
			return p
		}
	}
	t.Fatalf("no rollout of tier %q in the status", tier)
	return generator.TierRollout{}
}

// A freeze holds a tier where its Applications are; Argo CD unreadable holds every tier
// with a rollout where it was last seen; never read at all, the generator answers an
// error rather than a guess.
func TestRolloutFreezeAndFailClosed(t *testing.T) {
	f, clk, c, old := newRolloutFixture(t, "{soak: 1m}",
		"freezes:\n  - tiers: [prod]\n    reason: Black Friday\n    until: 2026-12-03T00:00:00Z\n")
	state := c.state
	rev := f.gitRepo.Commit(t, "tier/dev", map[string]string{"apps/NOTES": "x\n"}, "A change")
	for _, b := range []string{"tier/beta", "tier/beta-prod", "tier/prod"} {
		f.gitRepo.Git(t, "update-ref", "refs/heads/"+b, rev)
	}
	// Every beta-prod wave soaked: prod would take it, but it is frozen.
	require.Eventually(t, func() bool {
		done := true
		for n, r := range given(t, f, "beta-prod") {
			c.set(n, "beta-prod", r, "Healthy")
			done = done && r == rev
		}
		clk.advance(2 * time.Minute)
		return done
	}, 10*time.Second, 20*time.Millisecond)
	eventually(t, f, map[string]string{"a-1": rev, "b-2": rev, "c-4": rev,
		"a-2": old, "b-1": old, "c-3": old}, "beta-prod", "prod")
	v := rolloutView(t, f)
	assert.Equal(t, "Black Friday", tierPlan(t, v, "prod").Frozen)
	assert.Equal(t, rev, tierPlan(t, v, "prod").Target)

	// The freeze ends: prod takes the release.
	clk.advance(12 * time.Hour)
	eventually(t, f, map[string]string{"a-2": rev, "b-1": rev, "c-3": rev}, "prod")

	// Argo CD unreadable, its last state known: a new release goes nowhere.
	next := f.gitRepo.Commit(t, "tier/dev", map[string]string{"apps/NOTES": "y\n"}, "Another change")
	f.gitRepo.Git(t, "update-ref", "refs/heads/tier/beta-prod", next)
	state.mu.Lock()
	state.err, state.version = argoapps.ErrNotSynced, state.version+1
	state.mu.Unlock()
	clk.advance(time.Hour)
	eventually(t, f, map[string]string{"a-1": rev, "b-2": rev, "c-4": rev}, "beta-prod")
	assert.Contains(t, rolloutView(t, f).Rollouts.ArgoCD, "not in sync")

	// Never read since the start: an error, never a guess.
	state.mu.Lock()
	state.apps = nil
	state.mu.Unlock()
	f.restart(t, false)
	_, err := f.argo(t).applications()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Argo CD's Applications unavailable")
}

func scrape(t *testing.T, f *fixture) string { return get(t, f.http.URL+"/metrics") }

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// commitAt adds an empty commit to branch, dated at (the test's clock, where gittest's
// commits are dated from 2024).
func commitAt(t *testing.T, f *fixture, branch string, at time.Time, msg string) {
	t.Helper()
	parent := f.gitRepo.Head(t, branch)
	cmd := exec.Command("git", "commit-tree", parent+"^{tree}", "-p", parent, "-m", msg)
	cmd.Dir = f.gitRepo.Dir
	stamp := fmt.Sprintf("@%d +0000", at.Unix())
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Ops", "GIT_AUTHOR_EMAIL=ops@shop.example", "GIT_COMMITTER_NAME=Ops",
		"GIT_COMMITTER_EMAIL=ops@shop.example", "GIT_AUTHOR_DATE="+stamp, "GIT_COMMITTER_DATE="+stamp)
	out, err := cmd.Output()
	require.NoError(t, err)
	f.gitRepo.Git(t, "update-ref", "refs/heads/"+branch, strings.TrimSpace(string(out)), parent)
}

// newRolloutFixture is a generator serving the example with a rollout on beta-prod
// (rollout, as YAML) and extra appended to the inventory, reading Applications from a
// cluster in which every beta-prod and prod ShopSet has run the old revision (returned)
// Healthy for an hour, on a clock that starts at 2026-12-02 12:00.
func newRolloutFixture(t *testing.T, rollout, extra string, tweaks ...func(*fixture)) (*fixture, *clock, *cluster, string) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	state := &argoState{}
	f := newFixtureWith(t, "file", func(f *fixture) {
		f.cfg.Applications, f.cfg.Now = state, clk.Now
		for _, tweak := range tweaks {
			tweak(f)
		}
	})
	c := &cluster{t: t, clock: clk, state: state, apps: map[string]argoapps.App{}}
	inv := strings.Replace(f.inventory(t), "    branch: tier/beta-prod\n",
		"    branch: tier/beta-prod\n    rollout: "+rollout+"\n", 1)
	require.Contains(t, inv, "rollout:")
	f.commitInventory(t, inv+extra, "Roll beta-prod out by failure domain")
	old := f.gitRepo.Head(t, "tier/prod")
	for _, n := range []string{"a-1", "b-2", "c-4"} {
		c.set(n, "beta-prod", old, "Healthy")
	}
	for _, n := range []string{"a-2", "b-1", "c-3"} {
		c.set(n, "prod", old, "Healthy")
	}
	clk.advance(time.Hour)
	return f, clk, c, old
}

// TestMain makes rollout decisions follow Argo CD's state within 20 ms, set once before
// any server runs: the rollout tests step through many changes.
func TestMain(m *testing.M) {
	generator.FollowArgoCDFaster(20 * time.Millisecond)
	os.Exit(m.Run())
}
