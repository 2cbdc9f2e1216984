//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/inventory"
)

// rolloutTier is the tier the rollout step rolls out: three ShopSets in three failure
// domains, synced automatically.
const rolloutTier = "beta-prod"

// Rollout timings of the step: seconds, where people would use minutes.
const (
	rolloutSoak          = 15 * time.Second
	rolloutHealthTimeout = 30 * time.Second
	// appSetRequeue is how often the ApplicationSet asks the generator without being
	// told to. The generator tells Argo CD's ApplicationSet controller (its webhook) when
	// a wave is released, so a wave follows within seconds, well before a requeue.
	appSetRequeue = 30
)

// appState is what the rollout step reads of one Application.
type appState struct {
	target, synced, sync, health string
	healthSince                  time.Time
	history                      []string
}

func (p *platform) app(ctx context.Context, name string) (appState, bool) {
	a, err := p.home.get(ctx, gvrApplication, "argocd", name)
	if err != nil || a == nil {
		return appState{}, false
	}
	str := func(f ...string) string { s, _, _ := unstructured.NestedString(a.Object, f...); return s }
	st := appState{
		target: str("spec", "source", "targetRevision"), synced: str("status", "sync", "revision"),
		sync: str("status", "sync", "status"), health: str("status", "health", "status"),
	}
	st.healthSince, _ = time.Parse(time.RFC3339, str("status", "health", "lastTransitionTime"))
	hist, _, _ := unstructured.NestedSlice(a.Object, "status", "history")
	for _, h := range hist {
		if rev, ok := h.(map[string]any)["revision"].(string); ok {
			st.history = append(st.history, rev)
		}
	}
	return st, true
}

// at reports whether the Application runs rev Synced and Healthy.
func (a appState) at(rev string) bool {
	return a.target == rev && a.synced == rev && a.sync == "Synced" && a.health == "Healthy"
}

// rolloutStatus reads the generator's rollout of a tier.
func (p *platform) rolloutStatus(ctx context.Context, tier string) generator.TierRollout {
	for _, v := range p.generatorViews(ctx) {
		if v.Rollouts == nil {
			continue
		}
		for _, t := range v.Rollouts.Tiers {
			if t.Name == tier {
				return t
			}
		}
	}
	return generator.TierRollout{}
}

// release changes the cart image on tier/dev to tag and promotes it through beta to the
// rollout tier; it returns the commit the rollout tier's branch then points at.
func (p *platform) release(ctx context.Context, tag string) string {
	cart := p.show(ctx, "tier/dev", "apps/cart/deployment.yaml")
	old := "shop/cart:" + p.want["dev"]["cart"]
	require.Contains(p.s.t, cart, old)
	p.push(ctx, "tier/dev", map[string]string{"apps/cart/deployment.yaml": strings.Replace(cart, old, "shop/cart:"+tag, 1)},
		"cart: "+tag)
	p.want["dev"]["cart"] = tag
	p.shopctl(ctx, "promote", "beta", "--repo", p.url, "--push")
	p.shopctl(ctx, "promote", rolloutTier, "--repo", p.url, "--push")
	p.fetch(ctx)
	return strings.TrimSpace(p.repo.Git(p.s.t, "rev-parse", "origin/tier/"+rolloutTier))
}

// watchRollout polls the tier's Applications until done says the rollout is where it
// should be, and returns when each Application was first given target, and its history.
func (p *platform) watchRollout(ctx context.Context, apps []string, target string, timeout time.Duration,
	done func(map[string]appState) (bool, string)) (given map[string]time.Time, last map[string]appState) {
	given = map[string]time.Time{}
	p.s.eventually(timeout, "the rollout of "+target[:12], func() (bool, string) {
		last = map[string]appState{}
		for _, a := range apps {
			st, ok := p.app(ctx, a)
			if !ok {
				return false, a + " missing"
			}
			last[a] = st
			if st.target == target {
				if _, seen := given[a]; !seen {
					given[a] = time.Now()
				}
			}
		}
		return done(last)
	})
	return given, last
}

// rollouts is step 9: a tier rolled out by failure domain on real workloads.
func (p *platform) rollouts(ctx context.Context) {
	t := p.s.t
	inv := p.inventory(ctx)
	var sets []inventory.ShopSet
	for _, s := range inv.ShopSets {
		if s.Tier == rolloutTier {
			sets = append(sets, s)
		}
	}
	require.Len(t, sets, 3)
	apps := appNames(sets)

	// Workloads run: every Application of the tier is Healthy before the rollout starts.
	p.s.eventually(3*time.Minute, rolloutTier+"'s Applications to be Healthy", func() (bool, string) {
		for _, a := range apps {
			if st, _ := p.app(ctx, a); st.health != "Healthy" {
				return false, fmt.Sprintf("%s is %q", a, st.health)
			}
		}
		return true, ""
	})

	// The ApplicationSet asks on its own only every appSetRequeue seconds: what follows
	// faster is the generator's refresh events.
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/generators/0/plugin/requeueAfterSeconds","value":%d}]`, appSetRequeue)
	_, err := p.home.dyn.Resource(gvrApplicationSet).Namespace("argocd").Patch(ctx, "shopsets", types.JSONPatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)

	cur := p.show(ctx, "main", "shopsets.yaml")
	withRollout := strings.Replace(cur, "  - name: "+rolloutTier+"\n    branch: tier/"+rolloutTier+"\n",
		fmt.Sprintf("  - name: %s\n    branch: tier/%s\n    rollout: {soak: %s, healthTimeout: %s, rollback: true}\n",
			rolloutTier, rolloutTier, rolloutSoak, rolloutHealthTimeout), 1)
	require.NotEqual(t, cur, withRollout)
	p.push(ctx, "main", map[string]string{"shopsets.yaml": withRollout}, "Roll "+rolloutTier+" out by failure domain")
	p.s.eventually(time.Minute, "the generator to roll "+rolloutTier+" out", func() (bool, string) {
		r := p.rolloutStatus(ctx, rolloutTier)
		return r.Rollout && len(r.Waves) == 3, fmt.Sprintf("%+v", r)
	})

	// prod's branch carries a commit pushed straight to it (step 4), never deployed: take
	// it off, so that prod can be promoted (its pin does not move: no rewind).
	p.fetch(ctx)
	prodPin := p.generatorTier(ctx, "prod").Pinned
	p.repo.Git(t, "push", "--quiet", "--force", "origin", prodPin+":refs/heads/tier/prod")
	kubeconfig := p.s.writeKubeconfig(p.home, "argocd")

	// A good release: one failure domain at a time, each soaked before the next.
	waves := p.rolloutStatus(ctx, rolloutTier).Waves
	good := p.release(ctx, "1.0.0")
	// prod may not take it before beta-prod has proven it.
	_, err = p.shopctlRun(ctx, "promote", "prod", "--repo", p.url, "--push", "--kubeconfig", kubeconfig)
	require.Error(t, err, "promote prod past what beta-prod has proven")
	assert.Contains(t, err.Error(), "is past what "+rolloutTier+" has proven on its clusters")
	given, last := p.watchRollout(ctx, apps, good, 5*time.Minute, func(m map[string]appState) (bool, string) {
		for a, st := range m {
			if !st.at(good) {
				return false, fmt.Sprintf("%s: %+v", a, st)
			}
		}
		return true, ""
	})
	for k := 1; k < len(waves); k++ {
		before, this := "shopset-"+waves[k-1].ShopSets[0], "shopset-"+waves[k].ShopSets[0]
		// The wave before soaked from when it turned Healthy at the release (or synced to
		// it, if later); Argo CD's times are whole seconds.
		soaked := last[before].healthSince.Add(rolloutSoak)
		assert.False(t, given[this].Before(soaked.Add(-time.Second)),
			"%s was given the release at %s, before %s had soaked (%s)", this, given[this].Format(time.TimeOnly), before, soaked.Format(time.TimeOnly))
		t.Logf("wave %d (%s): soaked at %s, wave %d (%s) retargeted %.1fs later",
			k, waves[k-1].FailureDomain, soaked.Format(time.TimeOnly), k+1, waves[k].FailureDomain, given[this].Sub(soaked).Seconds())
	}
	// The waves followed because the generator told Argo CD, and Argo CD took it.
	for _, r := range p.generatorStatus(ctx).Repositories {
		require.NotNil(t, r.AppSetRefresh, "refresh events are on")
		assert.Positive(t, r.AppSetRefresh.Sent, "refresh events sent")
		assert.Zero(t, r.AppSetRefresh.Failed, "refresh events refused: %s", r.AppSetRefresh.LastError)
	}
	controllerLog, err := os.ReadFile(p.s.path("logs", "argocd-applicationset-controller.log"))
	require.NoError(t, err)
	assert.Contains(t, string(controllerLog), "refresh ApplicationSet argocd/shopsets from webhook")
	p.s.eventually(time.Minute, "beta-prod to prove the release", func() (bool, string) {
		r := p.rolloutStatus(ctx, rolloutTier)
		return r.Proven == good, fmt.Sprintf("%s proves %s", rolloutTier, r.Proven)
	})
	p.shopctl(ctx, "promote", "prod", "--repo", p.url, "--push", "--kubeconfig", kubeconfig)
	p.s.eventually(time.Minute, "prod's target to be the proven release", func() (bool, string) {
		r := p.rolloutStatus(ctx, "prod")
		return r.Target == good, fmt.Sprintf("prod's target %s", r.Target)
	})

	// A bad release: the first wave never becomes Healthy; after the health timeout the
	// rollout halts and gives it the good release back. No other wave ever gets it.
	bad := p.release(ctx, "1.0.1-broken")
	first := "shopset-" + waves[0].ShopSets[0]
	given, last = p.watchRollout(ctx, apps, bad, 3*time.Minute, func(m map[string]appState) (bool, string) {
		st := m[first]
		return slices.Contains(st.history, bad) && st.at(good), fmt.Sprintf("%s: %+v", first, st)
	})
	assert.Len(t, given, 1, "only the first wave was given the broken release: %v", given)
	r := p.rolloutStatus(ctx, rolloutTier)
	require.NotNil(t, r.Halt, "the rollout is halted")
	assert.Equal(t, waves[0].ShopSets[0], r.Halt.ShopSet)
	assert.True(t, r.RolledBack)
	assert.Equal(t, good, p.rolloutStatus(ctx, "prod").Target, "prod never sees the broken release as proven")
	// No shop ever had all its ShopSets on the broken release.
	ran := map[string]bool{}
	for _, s := range sets {
		st, _ := p.app(ctx, "shopset-"+s.Name)
		ran[s.Name] = slices.Contains(st.history, bad)
	}
	for host, entries := range p.routingTables(ctx)["cluster-a"].Shops {
		all := len(entries) > 0
		for _, e := range entries {
			all = all && ran[e.ShopSet]
		}
		assert.False(t, all, "shop %s ran the broken release on every ShopSet that serves it", host)
	}

	// The halt survives a restart of the generator: it is read back from Argo CD.
	p.s.restart("shopset-generator")
	p.s.waitHTTP(time.Minute, p.gen+"/readyz", nil, http.StatusOK)
	p.s.eventually(time.Minute, "the restarted generator to report the halt", func() (bool, string) {
		r := p.rolloutStatus(ctx, rolloutTier)
		return r.Halt != nil, fmt.Sprintf("%+v", r)
	})
	p.reconciled(ctx)
	st, _ := p.app(ctx, first)
	assert.Equal(t, good, st.target, "after the restart, the halted ShopSet keeps the good release")

	// A fix supersedes the halt: a new rollout, first wave first.
	fix := p.release(ctx, "1.0.2")
	p.watchRollout(ctx, apps, fix, 5*time.Minute, func(m map[string]appState) (bool, string) {
		for a, st := range m {
			if !st.at(fix) {
				return false, fmt.Sprintf("%s: %+v", a, st)
			}
		}
		return true, ""
	})
	assert.Nil(t, p.rolloutStatus(ctx, rolloutTier).Halt)

	// The Kubernetes API unreachable from the generator: nothing is released (the
	// generator answers an error, so Argo CD keeps every Application, and says why),
	// until it is back; then the release goes to the first wave.
	p.apiProxy.SetDown(true)
	p.s.eventually(time.Minute, "the generator to report Argo CD's state unknown", func() (bool, string) {
		for _, v := range p.generatorViews(ctx) {
			if v.Rollouts != nil && v.Rollouts.ArgoCD != "" {
				return true, ""
			}
		}
		return false, "rollouts.argoCD empty"
	})
	next := p.release(ctx, "1.0.3")
	p.waitAppSetError(ctx, "shopsets", "Argo CD's Applications unavailable")
	for _, a := range apps {
		st, _ := p.app(ctx, a)
		assert.Equal(t, fix, st.target, "%s moved while the generator could not read Argo CD", a)
	}
	p.apiProxy.SetDown(false)
	p.waitAppSetError(ctx, "shopsets", "")
	p.watchRollout(ctx, apps, next, 3*time.Minute, func(m map[string]appState) (bool, string) {
		return m[first].at(next), fmt.Sprintf("%s: %+v", first, m[first])
	})
	p.watchRollout(ctx, apps, next, 5*time.Minute, func(m map[string]appState) (bool, string) {
		for a, st := range m {
			if !st.at(next) {
				return false, fmt.Sprintf("%s: %+v", a, st)
			}
		}
		return true, ""
	})

	// A freeze holds the tier where it is, even when its branch moves. The person who
	// overrides it has a Git identity: the override is recorded in a commit.
	require.NoError(t, os.WriteFile(p.s.path("home", ".gitconfig"), []byte("[user]\n\tname = Ops Person\n\temail = ops@shop.example\n"), 0o644))
	frozen := p.show(ctx, "main", "shopsets.yaml") + "freezes:\n  - tiers: [" + rolloutTier + "]\n    reason: e2e freeze\n"
	p.push(ctx, "main", map[string]string{"shopsets.yaml": frozen}, "Freeze "+rolloutTier)
	p.s.eventually(time.Minute, "the generator to report the freeze", func() (bool, string) {
		r := p.rolloutStatus(ctx, rolloutTier)
		return r.Frozen == "e2e freeze", fmt.Sprintf("%+v", r)
	})
	cart := p.show(ctx, "tier/dev", "apps/cart/deployment.yaml")
	p.push(ctx, "tier/dev", map[string]string{"apps/cart/deployment.yaml": strings.Replace(cart, "shop/cart:1.0.3", "shop/cart:1.0.4", 1)}, "cart: 1.0.4")
	p.want["dev"]["cart"] = "1.0.4"
	p.shopctl(ctx, "promote", "beta", "--repo", p.url, "--push")
	_, err = p.shopctlRun(ctx, "promote", rolloutTier, "--repo", p.url, "--push")
	require.Error(t, err, "promote into a frozen tier is refused")
	assert.Contains(t, err.Error(), rolloutTier+" is frozen: e2e freeze")
	p.shopctl(ctx, "promote", rolloutTier, "--repo", p.url, "--push", "--override-freeze", "--reason", "e2e: the branch moves, the tier does not")
	p.reconciled(ctx)
	for _, a := range apps {
		st, _ := p.app(ctx, a)
		assert.Equal(t, next, st.target, "%s stays where it was while frozen", a)
	}
}

// reconciled asks the ApplicationSet to reconcile and waits until it has: what the
// generator answers now has reached the Applications.
func (p *platform) reconciled(ctx context.Context) {
	p.refreshAppSet(ctx, "shopsets")
	p.s.eventually(time.Minute, "the ApplicationSet to reconcile", func() (bool, string) {
		set, err := p.home.get(ctx, gvrApplicationSet, "argocd", "shopsets")
		if err != nil || set == nil {
			return false, fmt.Sprint(err)
		}
		_, pending := set.GetAnnotations()[refreshAnnotation]
		return !pending, "refresh annotation still set"
	})
}
