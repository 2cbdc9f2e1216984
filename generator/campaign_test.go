package generator_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFaultCampaign injects faults at random, with a fixed seed, while Argo CD's own
// ApplicationSet code keeps asking the generator for its Applications, and checks after
// every answer that no Application would be deleted except by a change made on purpose:
// Git down, Git hanging mid-fetch, the generator restarted (its mirror kept or lost), a
// broken inventory, an unconfirmed mass removal (also across a restart), a tier branch
// rewound, floods of webhooks and of bad requests. Between faults it makes the changes
// people make (a ShopSet added, one removed), so there is something to lose.
//
// SHOPSET_CAMPAIGN_FAULTS sets the number of faults (default 40, what CI runs on every
// test run); SHOPSET_CAMPAIGN_SEED the seed. RELIABILITY.md has the figures of a long run.
func TestFaultCampaign(t *testing.T) {
	faults := envInt(t, "SHOPSET_CAMPAIGN_FAULTS", 40)
	seed := uint64(envInt(t, "SHOPSET_CAMPAIGN_SEED", 20261202))
	f := newFixtureWith(t, "http", func(f *fixture) { f.cfg.GitTimeout = time.Second })
	c := &campaign{
		t: t, f: f, a: f.argo(t), rng: rand.New(rand.NewPCG(seed, seed^0x5eed)),
		base: f.inventory(t), removed: map[string]bool{}, kinds: map[string]int{}, took: map[string]time.Duration{},
	}
	apps, err := c.a.applications()
	require.NoError(t, err)
	c.live = names(appNames(apps))
	c.intended = maps.Clone(c.live)

	start := time.Now()
	for i := range faults {
		kind := faultKinds[c.rng.IntN(len(faultKinds))]
		c.kinds[kind.name]++
		began := time.Now()
		kind.run(c)
		// The fault is over: the generator must answer, and answer what is intended.
		c.settled(fmt.Sprintf("fault %d (%s)", i, kind.name))
		c.took[kind.name] += time.Since(began)
		if c.rng.IntN(2) == 0 {
			c.change()
		}
		if t.Failed() {
			break
		}
	}
	kinds := make([]string, 0, len(c.kinds))
	for k, n := range c.kinds {
		kinds = append(kinds, fmt.Sprintf("%s=%d (%s)", k, n, c.took[k].Round(time.Millisecond)))
	}
	slices.Sort(kinds)
	t.Logf("faults: %d (%s); answers checked: %d (errors: %d); Applications lost: %d; "+
		"ShopSets added: %d, removed on purpose: %d; seed %d; %s",
		faults, strings.Join(kinds, " "), c.answers, c.errors, c.lost, c.added, len(c.removed), seed,
		time.Since(start).Round(time.Millisecond))
	assert.Zero(t, c.lost, "Applications that Argo CD would have deleted without a confirmed change")
}

type campaign struct {
	t   *testing.T
	f   *fixture
	a   argo
	rng *rand.Rand
	// base is the inventory as last changed on purpose; intended the Applications it
	// gives; live what Argo CD has (it changes only on an answer); removed the ShopSets
	// removed on purpose, the only ones whose Applications may go.
	base           string
	intended, live map[string]bool
	removed        map[string]bool
	added          int
	kinds          map[string]int
	took           map[string]time.Duration
	answers        int
	errors         int
	lost           int
}

// observe asks as Argo CD does and applies the answer as Argo CD would: an error changes
// nothing, a list replaces what it has. It counts every Application the answer would
// delete that no change removed on purpose.
func (c *campaign) observe(when string) error {
	c.t.Helper()
	apps, err := c.a.applications()
	c.answers++
	if err != nil {
		c.errors++
		return err
	}
	got := names(appNames(apps))
	for n := range c.live {
		if !got[n] && !c.removed[n] {
			c.lost++
			c.t.Errorf("%s: Argo CD would delete %s", when, n)
		}
	}
	c.live = got
	return nil
}

// settled requires the generator to answer the intended Applications once a fault ends.
func (c *campaign) settled(when string) {
	c.t.Helper()
	var err error
	for range 20 { // a hung fetch may still be ending (GitTimeout)
		if err = c.observe(when + ", after"); err == nil && maps.Equal(c.live, c.intended) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Errorf("%s: the generator did not recover: error %v, serving %d of %d intended Applications", when, err, len(c.live), len(c.intended))
}

// change makes a change on purpose: add a ShopSet on dev, or remove one added before.
func (c *campaign) change() {
	c.t.Helper()
	if c.added > 0 && c.rng.IntN(3) == 0 {
		for i := 1; i <= c.added; i++ {
			name := fmt.Sprintf("z-%d", i)
			if c.removed["shopset-"+name] {
				continue
			}
			c.base = strings.Replace(c.base, shopSetEntry(name), "", 1)
			c.f.commitInventory(c.t, c.base, "Retire "+name)
			c.removed["shopset-"+name] = true
			delete(c.intended, "shopset-"+name)
			return
		}
	}
	c.added++
	name := fmt.Sprintf("z-%d", c.added)
	c.base = strings.Replace(c.base, "# How shops are placed", shopSetEntry(name)+"# How shops are placed", 1)
	c.f.commitInventory(c.t, c.base, "Add "+name)
	c.intended["shopset-"+name] = true
}

func shopSetEntry(name string) string {
	return "  - name: " + name + "\n    tier: dev\n    configuration: production\n    cluster: cluster-b\n\n"
}

var faultKinds = []struct {
	name string
	run  func(c *campaign)
}{
	{"git-down", func(c *campaign) {
		c.f.git.SetDown(true)
		defer c.f.git.SetDown(false)
		c.f.gen.Refresh(context.Background())
		_ = c.observe("git down")
		if c.rng.IntN(2) == 0 {
			c.f.restart(c.t, c.rng.IntN(2) == 0)
			_ = c.observe("git down, restarted")
		}
	}},
	{"git-hang", func(c *campaign) {
		c.f.git.SetHang(true)
		defer c.f.git.SetHang(false)
		c.change() // so the next check has something to fetch, and hangs there
		_ = c.observe("git hanging mid-fetch")
	}},
	{"restart", func(c *campaign) {
		c.f.restart(c.t, c.rng.IntN(2) == 0)
	}},
	{"broken-inventory", func(c *campaign) {
		c.f.commitInventory(c.t, c.base+"unknownField: 1\n", "Break the inventory")
		_ = c.observe("broken inventory")
		if c.rng.IntN(2) == 0 {
			c.f.restart(c.t, c.rng.IntN(2) == 0)
			_ = c.observe("broken inventory, restarted")
		}
		c.f.commitInventory(c.t, c.base, "Fix the inventory")
	}},
	{"mass-removal", func(c *campaign) {
		c.f.commitInventory(c.t, noShopSets(c.t, c.base), "Drop every ShopSet, unconfirmed")
		_ = c.observe("mass removal")
		c.f.restart(c.t, c.rng.IntN(2) == 0)
		_ = c.observe("mass removal, restarted")
		if c.rng.IntN(2) == 0 {
			c.f.commitInventory(c.t, noShopSets(c.t, c.base)+"# still nothing\n", "Touch the inventory")
			_ = c.observe("mass removal, a later commit")
		}
		c.f.commitInventory(c.t, c.base, "Put the ShopSets back")
	}},
	{"tier-rewind", func(c *campaign) {
		head := c.f.gitRepo.Head(c.t, "tier/dev")
		c.f.gitRepo.Git(c.t, "update-ref", "refs/heads/tier/dev", c.f.gitRepo.Head(c.t, "tier/prod"))
		_ = c.observe("tier/dev rewound to prod's head")
		c.f.gitRepo.Git(c.t, "update-ref", "refs/heads/tier/dev", head)
	}},
	{"webhook-flood", func(c *campaign) {
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				req, err := http.NewRequest(http.MethodPost, c.f.http.URL+"/api/webhook", strings.NewReader(`{"repository":{}}`))
				if err != nil {
					return
				}
				req.Header.Set("X-GitHub-Event", "push")
				if i%4 == 0 {
					req.Header.Set("X-Hub-Signature-256", sign(testWebhook, `{"repository":{}}`))
				}
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			})
		}
		_ = c.observe("webhook flood")
		wg.Wait()
	}},
	{"bad-requests", func(c *campaign) {
		var wg sync.WaitGroup
		for _, body := range []string{`{"input":`, `{"input":{"parameters":{"tier":"nope"}}}`, `{}garbage`,
			`{"input":{"parameters":{"path":"."}}}`, `{"input":{"parameters":{"revision":"-x"}}}`} {
			wg.Go(func() {
				req, err := http.NewRequest(http.MethodPost, c.f.http.URL+"/api/v1/getparams.execute", strings.NewReader(body))
				if err != nil {
					return
				}
				req.Header.Set("Authorization", "Bearer "+testToken)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			})
		}
		_ = c.observe("bad requests")
		wg.Wait()
	}},
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, name)
	return n
}

func names(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, n := range list {
		m[n] = true
	}
	return m
}
