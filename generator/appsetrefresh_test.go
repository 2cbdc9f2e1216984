package generator_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refresher records the refresh events the generator sends. It stands in for package
// appsetrefresh, whose events are checked against Argo CD's own ApplicationSet webhook
// handler there, and on a running controller in the end-to-end suite.
type refresher struct {
	mu    sync.Mutex
	repos []string
	fail  error
}

func (r *refresher) Refresh(_ context.Context, repoURL string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.repos = append(r.repos, repoURL)
	return r.fail
}

func (r *refresher) URL() string { return "http://argocd-applicationset-controller:7000/api/webhook" }

func (r *refresher) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.repos)
}

func (r *refresher) failWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// With a refresher, a soak that ends releases the next wave without any call from Argo
// CD, and one event asks Argo CD to call: the wave follows at once, not at the next
// requeue. A change of Argo CD's state that changes no answer sends nothing.
func TestRolloutRefreshesArgoCD(t *testing.T) {
	rec := &refresher{}
	f, clk, c, old := newRolloutFixture(t, "{soak: 10m}", "", func(f *fixture) { f.cfg.Refresher = rec })
	serve(t, f)

	good := f.gitRepo.Commit(t, "tier/dev", map[string]string{"apps/NOTES": "A good change\n"}, "A good change")
	f.gitRepo.Git(t, "update-ref", "refs/heads/tier/beta", good)
	f.gitRepo.Git(t, "update-ref", "refs/heads/tier/beta-prod", good)
	// Argo CD asks after the push. The fetch Serve began at its start, before the push,
	// may answer the first call; Argo CD asks again (requeueAfterSeconds) until it is seen.
	require.Eventually(t, func() bool {
		given(t, f)
		tier, _ := f.tier(t, "beta-prod")
		return tier.Head == good
	}, 10*time.Second, 20*time.Millisecond, "the generator to see the push")
	plan := tierPlan(t, rolloutView(t, f), "beta-prod")
	first, second, third := plan.Waves[0].ShopSets[0], plan.Waves[1].ShopSets[0], plan.Waves[2].ShopSets[0]
	eventually(t, f, map[string]string{first: good, second: old, third: old}, "beta-prod")
	c.set(first, "beta-prod", good, "Healthy")

	// Nothing calls the generator now: the soak's end alone releases wave 2, and Argo CD
	// is told.
	before := rec.count()
	clk.advance(10*time.Minute + time.Second)
	require.Eventually(t, func() bool { return rec.count() > before }, 10*time.Second, 10*time.Millisecond,
		"a refresh event once wave 2 is released")
	plan = tierPlan(t, rolloutView(t, f), "beta-prod")
	assert.Equal(t, "released", string(plan.Waves[1].State), "decided before any call")
	assert.Equal(t, f.url, rec.repos[len(rec.repos)-1])
	eventually(t, f, map[string]string{first: good, second: good, third: old}, "beta-prod")

	// Argo CD's state changes, the answer does not: no event (the loop runs every 20 ms
	// here; give it many turns).
	time.Sleep(100 * time.Millisecond) // the event of the release may still be in its gap
	before = rec.count()
	c.set(third, "beta-prod", old, "Progressing")
	c.set(third, "beta-prod", old, "Healthy")
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, before, rec.count(), "no event when no revision changes")

	// A failing webhook is reported, and the rollout goes on without it.
	rec.failWith(errors.New("connection refused"))
	c.set(second, "beta-prod", good, "Healthy")
	clk.advance(10*time.Minute + time.Second)
	eventually(t, f, map[string]string{first: good, second: good, third: good}, "beta-prod")
	require.Eventually(t, func() bool {
		r := f.status(t).Repositories[0].AppSetRefresh
		return r != nil && r.Failed > 0
	}, 10*time.Second, 10*time.Millisecond)
	r := f.status(t).Repositories[0].AppSetRefresh
	assert.Equal(t, "connection refused", r.LastError)
	assert.Equal(t, rec.URL(), r.Webhook)
	assert.Positive(t, r.Sent)
	assert.Contains(t, scrape(t, f), `shopset_generator_appset_refreshes_total{repo="`+f.url+`",result="failed"} 1`)
}

// serve runs the generator's background loops (and a listener nobody calls) until the
// test ends.
func serve(t *testing.T, f *fixture) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	gen := f.gen
	go func() { served <- gen.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })
}

// A wave that came due while the generator was down is announced by the first decision
// after the start: it differs from what the Applications were given.
func TestRolloutRefreshAfterRestart(t *testing.T) {
	rec := &refresher{}
	f, clk, c, old := newRolloutFixture(t, "{soak: 10m}", "", func(f *fixture) { f.cfg.Refresher = rec })
	good := f.gitRepo.Commit(t, "tier/dev", map[string]string{"apps/NOTES": "A good change\n"}, "A good change")
	f.gitRepo.Git(t, "update-ref", "refs/heads/tier/beta", good)
	f.gitRepo.Git(t, "update-ref", "refs/heads/tier/beta-prod", good)
	given(t, f)
	plan := tierPlan(t, rolloutView(t, f), "beta-prod")
	first, second, third := plan.Waves[0].ShopSets[0], plan.Waves[1].ShopSets[0], plan.Waves[2].ShopSets[0]
	eventually(t, f, map[string]string{first: good, second: old, third: old}, "beta-prod")
	c.set(first, "beta-prod", good, "Healthy")

	clk.advance(10*time.Minute + time.Second) // the soak ends while no generator runs
	f.restart(t, false)
	serve(t, f)
	require.Eventually(t, func() bool { return rec.count() > 0 }, 10*time.Second, 10*time.Millisecond,
		"a refresh event for the wave released by the first decision")
	assert.Equal(t, "released", string(tierPlan(t, rolloutView(t, f), "beta-prod").Waves[1].State))
}
