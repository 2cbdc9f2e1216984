//go:build e2e

package e2e

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/internal/gittest"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/routing"
	"github.com/shopset/shopset/snapshot"
)

// images is what each tier of the example runs, by Deployment: the example's history
// (examples/history) moves one image per tier, newest on dev.
var images = map[string]map[string]string{
	"prod":      {"storefront": "2.3.0", "api": "1.4.2", "cart": "0.9.7", "proxy": "1.27.2"},
	"beta-prod": {"storefront": "2.3.0", "api": "1.4.2", "cart": "0.9.7", "proxy": "1.27.3"},
	"beta":      {"storefront": "2.3.0", "api": "1.5.0", "cart": "0.9.7", "proxy": "1.27.3"},
	"dev":       {"storefront": "2.4.0", "api": "1.5.0", "cart": "0.9.7", "proxy": "1.27.3"},
}

// platform is the example platform as the suite runs it: the inventory on main, the
// clusters it names mapped to the suite's API servers.
type platform struct {
	s        *suite
	repo     *gittest.Repo // where people commit; pushed to url
	url      string
	git      *gittest.Server
	clusters map[string]*cluster // by the inventory's cluster name
	argo     *argo
	home     *cluster // runs Argo CD
	gen      string   // the generator's base URL
	want     map[string]map[string]string
	// apiProxy is the generator's way to the Kubernetes API of home.
	apiProxy *tcpProxy
	// gitUser and gitTokenFile are the repository's credentials: the Git server refuses
	// anyone without them. gitSecret holds them as the generator's Secret mounts them,
	// a file per key (token, username).
	gitUser, gitTokenFile, gitSecret string
}

func TestShopSetsOnArgoCD(t *testing.T) {
	version := cmp.Or(os.Getenv("SHOPSET_E2E_ARGOCD"), "v2")
	s := newSuite(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	p := &platform{s: s, clusters: map[string]*cluster{}, want: map[string]map[string]string{}}
	for tier, imgs := range images {
		p.want[tier] = maps.Clone(imgs)
	}
	inv, err := examples.Inventory()
	require.NoError(t, err)

	var (
		redis, etcd string
		all         []*cluster
	)
	s.step("start etcd, Redis, three kube-apiservers, their controller managers, schedulers and kwok", func() {
		s.ca = writePKI(t, s.path("pki"))
		etcd = s.startEtcd()
		redis = s.startRedis()
		for i := range 3 {
			all = append(all, s.startAPIServer(i, etcd))
			s.startControllerManager(all[i])
			s.startWorkloads(ctx, all[i])
		}
		p.home = all[0]
		for i, c := range inv.Clusters {
			p.clusters[c.Name] = all[i%len(all)]
		}
	})

	s.step("build the example repository and serve it over HTTP, to authenticated clients only", func() {
		p.serveExample(ctx, inv)
	})

	in := buildManifests(s)
	s.step("start Argo CD "+version+" and the generator", func() {
		s.installArgoCD(ctx, version, p.home, p.clusters)
		p.applyRepositorySecret(ctx)
		p.argo = s.startArgoCD(version, p.home, redis, in)
		baseURL, token := s.startGenerator(in, p.argo, p.url, p.generatorKubeconfig(ctx, in),
			"--git-token-file="+filepath.Join(p.gitSecret, "token"), "--git-username-file="+filepath.Join(p.gitSecret, "username"))
		p.gen = baseURL
		p.applyInstall(ctx, in, baseURL, token)
	})

	s.step("1. every ShopSet gets an Application that syncs its tier's images", func() {
		p.applyApplicationSet(ctx, "applicationset.yaml")
		p.applyApplicationSet(ctx, "routing-applicationset.yaml")
		cur := p.inventory(ctx)
		p.syncManual(ctx, cur, appNames(cur.ShopSets)...)
		p.waitShopSets(ctx, cur)
	})

	s.step("1b. the repository is private: anyone else is refused; the generator and the repo-server authenticated", func() {
		p.checkPrivate(ctx)
	})

	s.step("2. a ShopSet added on main gets an Application; removed, it goes", func() {
		before := p.show(ctx, "main", "shopsets.yaml")
		added := strings.Replace(before, "\nshopsets:\n", "\nshopsets:\n  - name: e2e-1\n    tier: dev\n    configuration: staging\n    cluster: cluster-b\n", 1)
		require.NotEqual(t, before, added)
		p.push(ctx, "main", map[string]string{"shopsets.yaml": added}, "Add ShopSet e2e-1")
		cur := p.inventory(ctx)
		p.waitShopSets(ctx, cur)

		p.push(ctx, "main", map[string]string{"shopsets.yaml": before}, "Remove ShopSet e2e-1")
		b := p.clusters["cluster-b"]
		s.eventually(2*time.Minute, "Application shopset-e2e-1 and its Deployments to go", func() (bool, string) {
			app, err := p.home.get(ctx, gvrApplication, "argocd", "shopset-e2e-1")
			if err != nil || app != nil {
				return false, fmt.Sprint("Application still there: ", err)
			}
			deps, err := b.list(ctx, gvrDeployment, "shopset-e2e-1", "")
			return err == nil && len(deps) == 0, fmt.Sprintf("%d Deployments left (%v)", len(deps), err)
		})
		p.checkShopSets(ctx, p.inventory(ctx))
	})

	s.step("2b. a preview branch runs in its own namespace on the previews' cluster, follows its pushes, stays while Git is down and goes with the branch", func() {
		p.checkPreviews(ctx)
	})

	s.step("3. a change on tier/dev reaches only dev; promoted, beta follows and no higher tier moves", func() {
		cur := p.inventory(ctx)
		before := p.revisions(ctx)
		cart := p.show(ctx, "tier/dev", "apps/cart/deployment.yaml")
		require.Contains(t, cart, "shop/cart:0.9.7")
		p.push(ctx, "tier/dev", map[string]string{"apps/cart/deployment.yaml": strings.Replace(cart, "shop/cart:0.9.7", "shop/cart:0.9.8", 1)},
			"cart: update to 0.9.8")
		p.want["dev"]["cart"] = "0.9.8"
		p.waitShopSets(ctx, cur)
		p.assertMoved(ctx, cur, before, "dev")

		before = p.revisions(ctx)
		p.shopctl(ctx, "promote", "beta", "--repo", p.url, "--push")
		p.want["beta"] = maps.Clone(p.want["dev"])
		p.waitShopSets(ctx, cur)
		p.assertMoved(ctx, cur, before, "beta")
	})

	s.step("6. review: a promotion to a manual tier shows in argocd app diff before anyone syncs", func() {
		cur := p.inventory(ctx)
		p.shopctl(ctx, "promote", "beta-prod", "--repo", p.url, "--push")
		p.want["beta-prod"] = maps.Clone(p.want["beta"])
		p.waitShopSets(ctx, cur)

		before := p.revisions(ctx)
		p.shopctl(ctx, "promote", "prod", "--repo", p.url, "--push")
		prod := filter(cur.ShopSets, "prod")
		require.NotEmpty(t, prod)
		app := "shopset-" + prod[0].Name
		s.eventually(2*time.Minute, app+" to point at the promoted revision and be OutOfSync", func() (bool, string) {
			a, err := p.home.get(ctx, gvrApplication, "argocd", app)
			if err != nil || a == nil {
				return false, fmt.Sprint(err)
			}
			rev, _, _ := unstructured.NestedString(a.Object, "spec", "source", "targetRevision")
			sync, _, _ := unstructured.NestedString(a.Object, "status", "sync", "status")
			return rev != before[app] && sync == "OutOfSync", rev + " " + sync
		})
		out, err := p.argo.cli(ctx, s, "app", "diff", app)
		require.Error(t, err, "argocd app diff exits 1 when there is a difference")
		t.Logf("argocd app diff %s:\n%s", app, out)
		assert.Contains(t, out, "shop/api:1.5.0", "the diff names the new api image")
		assert.Contains(t, out, "shop/api:1.4.2", "and the running one")
		// Nobody synced: prod still runs what it ran.
		p.checkShopSets(ctx, cur)

		p.want["prod"] = maps.Clone(p.want["beta-prod"])
		p.syncManual(ctx, cur, appNames(prod)...)
		p.waitShopSets(ctx, cur)
	})

	s.step("4. a commit pushed straight to tier/prod is held: prod stays on its pinned revision", func() {
		cur := p.inventory(ctx)
		before := p.revisions(ctx)
		cart := p.show(ctx, "tier/prod", "apps/cart/deployment.yaml")
		held := p.push(ctx, "tier/prod", map[string]string{"apps/cart/deployment.yaml": strings.Replace(cart, "shop/cart:0.9.8", "shop/cart:9.9.9", 1)},
			"cart: hotfix straight to prod")
		s.eventually(time.Minute, "the generator to report the commit held", func() (bool, string) {
			tier := p.generatorTier(ctx, "prod")
			return slices.ContainsFunc(tier.Held, func(c gitrepo.Commit) bool { return c.ID == held }),
				fmt.Sprintf("prod: head %s pinned %s held %v", tier.Head, tier.Pinned, tier.Held)
		})
		// The controller takes the refresh annotation off once a reconcile has used the
		// generator's answer, which now reports the commit held.
		p.refreshAppSet(ctx, "shopsets")
		s.eventually(time.Minute, "the ApplicationSet to reconcile", func() (bool, string) {
			set, err := p.home.get(ctx, gvrApplicationSet, "argocd", "shopsets")
			if err != nil || set == nil {
				return false, fmt.Sprint(err)
			}
			_, pending := set.GetAnnotations()[refreshAnnotation]
			return !pending, "refresh annotation still set"
		})
		assert.Equal(t, before, p.revisions(ctx), "no Application's revision moved")
		p.checkShopSets(ctx, cur)
	})

	s.step("5. a broken inventory, then Git down: nothing is deleted, the ApplicationSet says why, and it recovers", func() {
		cur := p.inventory(ctx)
		good := p.show(ctx, "main", "shopsets.yaml")
		p.push(ctx, "main", map[string]string{"shopsets.yaml": good + "unknownField: 1\n"}, "Break the inventory")
		p.waitAppSetError(ctx, "shopsets", `unknown field "unknownField"`)
		p.checkApplications(ctx, cur)

		p.push(ctx, "main", map[string]string{"shopsets.yaml": good}, "Fix the inventory")
		p.waitAppSetError(ctx, "shopsets", "")

		p.git.SetDown(true)
		p.waitAppSetError(ctx, "shopsets", "unavailable")
		p.checkApplications(ctx, cur)
		p.git.SetDown(false)
		p.waitAppSetError(ctx, "shopsets", "")
		p.waitShopSets(ctx, cur)
	})

	s.step("5b. tier/dev pushed backwards is refused until a commit confirms it; nothing moves meanwhile", func() {
		cur := p.inventory(ctx)
		devApps := func() map[string]string {
			out := map[string]string{}
			for app, rev := range p.revisions(ctx) {
				for _, s := range cur.ShopSets {
					if "shopset-"+s.Name == app && s.Tier == "dev" {
						out[app] = rev
					}
				}
			}
			return out
		}
		allAt := func(rev string) func() (bool, string) {
			return func() (bool, string) {
				revs := devApps()
				for _, r := range revs {
					if r != rev {
						return false, fmt.Sprint(revs)
					}
				}
				return len(revs) > 0, "no dev Applications"
			}
		}
		// A change that leaves the images alone, deployed; then dev is forced back before it.
		ahead := p.push(ctx, "tier/dev", map[string]string{"apps/NOTES": "a note\n"}, "A note on dev")
		s.eventually(2*time.Minute, "dev's Applications to take the note", allAt(ahead))
		back := strings.TrimSpace(p.repo.Git(t, "rev-parse", ahead+"^"))
		p.repo.Git(t, "push", "--quiet", "--force", "origin", back+":refs/heads/tier/dev")
		p.waitAppSetError(ctx, "shopsets", `tier rewind refused: tier "dev" would move back from `+ahead[:12])
		assert.Equal(t, ahead, devApps()[fmt.Sprint("shopset-", firstOfTier(cur, "dev"))], "nothing moved")
		p.checkShopSets(ctx, cur)

		confirmed := p.push(ctx, "tier/dev", map[string]string{"apps/NOTES": ""}, "Take the note back\n\nShopset-Confirm-Rewind: dev")
		p.waitAppSetError(ctx, "shopsets", "")
		s.eventually(2*time.Minute, "dev's Applications to take the confirmed revision", allAt(confirmed))
		p.waitShopSets(ctx, cur)
	})

	s.step("7. cordoning a cluster moves its shops to the other failure domains", func() {
		const cordoned = "cluster-b"
		before := p.routingTables(ctx)
		require.True(t, onCluster(before, cordoned), "before the cordon, %s serves shops", cordoned)

		file := s.path("shopsets-cordon.yaml")
		require.NoError(t, os.WriteFile(file, []byte(p.show(ctx, "main", "shopsets.yaml")), 0o644))
		p.shopctl(ctx, "cordon", cordoned, "-f", file)
		edited, err := os.ReadFile(file)
		require.NoError(t, err)
		p.push(ctx, "main", map[string]string{"shopsets.yaml": string(edited)}, "Cordon "+cordoned)
		cur := p.inventory(ctx)

		var tables map[string]routing.Table
		s.eventually(2*time.Minute, "every cluster's routing table to drop "+cordoned, func() (bool, string) {
			tables = p.routingTables(ctx)
			if len(tables) != len(p.clusters) {
				return false, fmt.Sprintf("%d routing tables", len(tables))
			}
			return !onCluster(tables, cordoned), cordoned + " still serves shops"
		})
		domain := map[string]string{}
		for _, c := range cur.Clusters {
			domain[c.Name] = c.FailureDomain
		}
		for clusterName, table := range tables {
			assert.Empty(t, table.Degraded, "%s: degraded shops", clusterName)
			for _, shop := range cur.Shops {
				domains := map[string]bool{}
				for _, e := range table.Shops[shop.Host] {
					domains[domain[e.Cluster]] = true
				}
				assert.Len(t, domains, shop.Redundancy, "%s: shop %s served in %d failure domains, wants %d", clusterName, shop.Host, len(domains), shop.Redundancy)
			}
		}
		// A cordon moves shops, not ShopSets: every Application stays.
		p.checkApplications(ctx, cur)
	})

	s.step("8. a change that breaks a policy: Argo CD shows the violation and applies nothing", func() {
		cur := p.inventory(ctx)
		const file = "configurations/production/resources.yaml"
		sizing := p.show(ctx, "tier/dev", file)
		require.Contains(t, sizing, "memory: 512Mi")
		p.push(ctx, "tier/dev", map[string]string{file: strings.Replace(sizing, "memory: 512Mi", "memory: 64Gi", 1)},
			"api: 64Gi of memory in production")
		dev := filter(cur.ShopSets, "dev")
		var production []inventory.ShopSet
		for _, d := range dev {
			if d.Configuration == "production" {
				production = append(production, d)
			}
		}
		require.NotEmpty(t, production)
		for _, d := range production {
			app := "shopset-" + d.Name
			s.eventually(2*time.Minute, app+" to show the policy violation", func() (bool, string) {
				a, err := p.home.get(ctx, gvrApplication, "argocd", app)
				if err != nil || a == nil {
					return false, fmt.Sprint(err)
				}
				conds, _, _ := unstructured.NestedSlice(a.Object, "status", "conditions")
				for _, c := range conds {
					msg, _ := c.(map[string]any)["message"].(string)
					if strings.Contains(msg, `Deployment/api: container "api" has memory limit 64Gi, above the maximum`) {
						t.Logf("%s: %s", app, msg)
						return true, ""
					}
				}
				return false, fmt.Sprintf("conditions: %v", conds)
			})
			api, err := p.clusters[d.Cluster].get(ctx, gvrDeployment, "shopset-"+d.Name, "api")
			require.NoError(t, err)
			require.NotNil(t, api)
			containers, _, _ := unstructured.NestedSlice(api.Object, "spec", "template", "spec", "containers")
			limit, _, _ := unstructured.NestedString(containers[0].(map[string]any), "resources", "limits", "memory")
			assert.Equal(t, "512Mi", limit, "%s: nothing was applied", app)
		}

		p.push(ctx, "tier/dev", map[string]string{file: sizing}, "Revert \"api: 64Gi of memory in production\"")
		p.waitShopSets(ctx, cur)
	})

	s.step("9. rollouts on real workloads: waves by failure domain, soak, halt and rollback, restart, fix, the API unreachable, freeze", func() {
		p.rollouts(ctx)
	})

	s.report()
}

// serveExample builds the example repository, points its clusters at the suite's API
// servers in a commit on main, and serves a bare copy over HTTP.
func (p *platform) serveExample(ctx context.Context, inv *inventory.Inventory) {
	s := p.s
	src := s.path("platform")
	_, err := examples.BuildRepo(ctx, src)
	require.NoError(s.t, err)
	p.repo = gittest.Open(s.t, src)
	data := p.show(ctx, "main", examples.InventoryFile)
	for _, c := range inv.Clusters {
		require.Contains(s.t, data, "server: "+c.Server)
		data = strings.Replace(data, "server: "+c.Server, "server: "+p.clusters[c.Name].url, 1)
	}
	p.repo.Commit(s.t, "main", map[string]string{examples.InventoryFile: data}, "Point the clusters at their API servers\n")
	_, err = run(ctx, s.work, nil, "git", "clone", "--quiet", "--bare", src, s.path("git", "platform.git"))
	require.NoError(s.t, err)
	p.git = gittest.Serve(s.t, s.path("git"))
	p.url = p.git.URL + "/platform.git"

	// Credentials made for this run: a user name and a token, as a Git host issues them.
	key := make([]byte, 20)
	_, err = rand.Read(key)
	require.NoError(s.t, err)
	token := hex.EncodeToString(key)
	p.gitUser = "shopset-e2e"
	p.gitSecret = s.path("secrets", "shopset-git")
	p.gitTokenFile = filepath.Join(p.gitSecret, "token")
	require.NoError(s.t, os.MkdirAll(p.gitSecret, 0o700))
	require.NoError(s.t, os.WriteFile(p.gitTokenFile, []byte(token+"\n"), 0o600))
	require.NoError(s.t, os.WriteFile(filepath.Join(p.gitSecret, "username"), []byte(p.gitUser), 0o600))
	p.git.SetBasicAuth(p.gitUser, token)

	// The suite's own pushes and fetches authenticate the way a person's git does, with
	// a credential helper, and name themselves so the server's count tells them apart.
	store := s.path("git-credentials")
	require.NoError(s.t, os.WriteFile(store, []byte(strings.Replace(p.git.URL, "://", "://"+p.gitUser+":"+token+"@", 1)+"\n"), 0o600))
	p.repo.Git(s.t, "config", "credential.helper", "store --file="+store)
	p.repo.Git(s.t, "config", "http.userAgent", suiteUserAgent)
	p.repo.Git(s.t, "remote", "add", "origin", p.url)
}

// suiteUserAgent is how the suite's own git names itself to the Git server.
const suiteUserAgent = "e2e-suite/1"

// applyRepositorySecret gives Argo CD the repository's credentials the way people do: a
// Secret in its namespace labelled as a repository, with the URL, user name and password
// (the token). The application controller and argocd-server send them to the repo-server
// with every request about that URL.
func (p *platform) applyRepositorySecret(ctx context.Context) {
	token, err := os.ReadFile(p.gitTokenFile)
	require.NoError(p.s.t, err)
	require.NoError(p.s.t, p.home.apply(ctx, "e2e", secret("argocd", "repo-platform",
		map[string]string{"argocd.argoproj.io/secret-type": "repository"},
		map[string]string{"type": "git", "url": p.url, "username": p.gitUser, "password": strings.TrimSpace(string(token))})))
}

// checkPrivate proves that the repository is served to authenticated clients only, and
// that both the generator and Argo CD's repo-server came through authentication (the
// ShopSets synced: both read it). It runs before any shopctl command, which names itself
// as the generator does.
func (p *platform) checkPrivate(ctx context.Context) {
	t := p.s.t
	resp, err := http.Get(p.url + "/info/refs?service=git-upload-pack")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "an anonymous request")
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")

	clean := []string{"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"}
	_, err = run(ctx, p.s.work, clean, "git", "ls-remote", p.url)
	require.Error(t, err, "git ls-remote without credentials")
	t.Logf("anonymous git ls-remote refused: %v", err)
	_, err = run(ctx, p.s.work, clean, "git", "-c", "credential.helper=!f() { echo username="+p.gitUser+"; echo password=not-the-token; }; f",
		"ls-remote", p.url)
	require.Error(t, err, "git ls-remote with a wrong token")
	assert.Contains(t, err.Error(), "Authentication failed")

	// The generator's git names the build (e2e/build.sh stamps the version, as releases do).
	var build struct{ Version string }
	require.NoError(t, json.Unmarshal([]byte(p.shopctl(ctx, "version", "-o", "json")), &build))
	require.NotEqual(t, "unknown", build.Version, "e2e/build.sh stamps shopctl's version")
	seen := p.git.Authenticated()
	t.Logf("authenticated requests by User-Agent: %v", seen)
	var generator, argo int
	for agent, n := range seen {
		switch {
		case agent == "shopset/"+build.Version: // the generator's git (gitrepo sets it)
			generator += n
		case agent == suiteUserAgent:
		case strings.HasPrefix(agent, "git/"), strings.HasPrefix(agent, "go-git/"):
			// Argo CD's repo-server: git fetches, go-git lists refs; nothing else of
			// Argo CD talks to Git here.
			argo += n
		default:
			t.Errorf("authenticated requests from an unexpected client %q", agent)
		}
	}
	assert.Positive(t, generator, "authenticated requests from the generator")
	assert.Positive(t, argo, "authenticated requests from Argo CD's repo-server")
}

// show reads a file at the remote's branch.
func (p *platform) show(ctx context.Context, branch, path string) string {
	p.fetch(ctx)
	return p.repo.Git(p.s.t, "show", "refs/heads/"+branch+":"+path) + "\n"
}

// fetch brings every branch of the remote into the local repository (shopctl promote
// moves branches there).
func (p *platform) fetch(ctx context.Context) {
	if p.url == "" {
		return
	}
	p.repo.Git(p.s.t, "fetch", "--quiet", "--update-head-ok", "origin", "+refs/heads/*:refs/heads/*")
}

// push commits files onto branch and pushes it, then tells Argo CD as a Git webhook
// would; it returns the new commit.
func (p *platform) push(ctx context.Context, branch string, files map[string]string, msg string) string {
	p.fetch(ctx)
	commit := p.repo.Commit(p.s.t, branch, files, msg+"\n")
	p.repo.Git(p.s.t, "push", "--quiet", "origin", branch)
	p.refreshAppSet(ctx, "shopsets")
	p.refreshAppSet(ctx, "shopset-routing")
	p.refreshAppSet(ctx, "shopset-previews")
	return commit
}

// checkPreviews pushes a preview branch off tier/dev with a storefront of its own, and
// follows its Application and Deployments on the previews' cluster through a push, a
// Git outage and the branch's deletion.
func (p *platform) checkPreviews(ctx context.Context) {
	t := p.s.t
	p.applyApplicationSet(ctx, "preview-applicationset.yaml")
	set := p.inventory(ctx).Previews
	require.NotNil(t, set, "the example inventory previews branches")
	const branch, name = "preview/e2e-checkout", "pr-e2e-checkout"
	ns, app, c := "shopset-"+name, "shopset-"+name, p.clusters[set.Cluster]
	storefront := p.show(ctx, "tier/dev", "apps/storefront/deployment.yaml")
	require.Contains(t, storefront, "shop/storefront:2.4.0")
	pushPreview := func(tag string) string {
		p.fetch(ctx)
		// Dated now: previews expire after a time without a commit.
		commit := p.repo.CommitAt(t, branch, map[string]string{
			"apps/storefront/deployment.yaml": strings.Replace(storefront, "shop/storefront:2.4.0", "shop/storefront:"+tag, 1),
		}, "storefront "+tag+"\n", time.Now())
		p.repo.Git(t, "push", "--quiet", "origin", branch)
		p.refreshAppSet(ctx, "shopset-previews")
		p.refreshAppSet(ctx, "shopset-routing")
		return commit
	}
	runs := func(tag string) {
		p.waitApp(ctx, app, func(sync, op string) bool { return sync == "Synced" && op == "Succeeded" })
		p.s.eventually(2*time.Minute, "the preview's storefront at "+tag, func() (bool, string) {
			deps, err := c.list(ctx, gvrDeployment, ns, "")
			if err != nil {
				return false, err.Error()
			}
			for _, d := range deps {
				if d.GetName() != "storefront" {
					continue
				}
				if l := d.GetLabels(); l["shopset.io/tier"] != inventory.PreviewTier || l["shopset.io/name"] != name {
					return false, fmt.Sprintf("labels %v", l)
				}
				containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
				image, _ := containers[0].(map[string]any)["image"].(string)
				return strings.HasSuffix(image, ":"+tag), image
			}
			return false, fmt.Sprintf("%d Deployments in %s, no storefront", len(deps), ns)
		})
	}

	p.fetch(ctx)
	p.repo.Branch(t, branch, "tier/dev")
	first := pushPreview("2.5.0-rc.1")
	runs("2.5.0-rc.1")
	a, err := p.home.get(ctx, gvrApplication, "argocd", app)
	require.NoError(t, err)
	rev, _, _ := unstructured.NestedString(a.Object, "spec", "source", "targetRevision")
	assert.Equal(t, first, rev, "a preview runs its branch's head")
	host := name + "." + set.Domain
	p.s.eventually(2*time.Minute, "every routing table to list "+host, func() (bool, string) {
		tables := p.routingTables(ctx)
		for cluster, tbl := range tables {
			if e, ok := tbl.Previews[host]; !ok || e.Namespace != ns || e.Cluster != set.Cluster {
				return false, fmt.Sprintf("%s: %v", cluster, tbl.Previews)
			}
		}
		return len(tables) == len(p.clusters), fmt.Sprintf("%d tables", len(tables))
	})

	p.s.eventually(time.Minute, "the generator's status to show the preview's Application synced at its head", func() (bool, string) {
		for _, v := range p.generatorViews(ctx) {
			if v.Previews == nil {
				continue
			}
			for _, pv := range v.Previews.Served {
				if pv.Name == name {
					a := pv.Application
					return a != nil && a.Sync == "Synced" && a.Revision == first, fmt.Sprintf("%+v (Argo CD: %q)", a, v.Previews.ArgoCD)
				}
			}
		}
		return false, "no preview " + name + " in the status"
	})

	pushPreview("2.5.0-rc.2")
	runs("2.5.0-rc.2")

	p.git.SetDown(true)
	p.waitAppSetError(ctx, "shopset-previews", "unavailable")
	a, err = p.home.get(ctx, gvrApplication, "argocd", app)
	require.NoError(t, err)
	require.NotNil(t, a, "Git down: the preview stays")
	require.Nil(t, a.GetDeletionTimestamp(), "Git down: the preview is not being deleted")
	p.git.SetDown(false)
	p.waitAppSetError(ctx, "shopset-previews", "")

	p.repo.Git(t, "push", "--quiet", "origin", "--delete", branch)
	p.repo.Git(t, "branch", "-D", branch)
	p.refreshAppSet(ctx, "shopset-previews")
	p.s.eventually(3*time.Minute, "the preview's Application and Deployments to go with its branch", func() (bool, string) {
		a, err := p.home.get(ctx, gvrApplication, "argocd", app)
		if err != nil || a != nil {
			return false, fmt.Sprint("Application still there ", err)
		}
		deps, err := c.list(ctx, gvrDeployment, ns, "")
		return err == nil && len(deps) == 0, fmt.Sprintf("%d Deployments left (%v)", len(deps), err)
	})
}

func (p *platform) inventory(ctx context.Context) *inventory.Inventory {
	inv, err := inventory.Parse("shopsets.yaml", []byte(p.show(ctx, "main", "shopsets.yaml")))
	require.NoError(p.s.t, err)
	return inv
}

func (p *platform) shopctl(ctx context.Context, args ...string) string {
	out, err := p.shopctlRun(ctx, args...)
	require.NoError(p.s.t, err)
	p.s.t.Logf("shopctl %s:\n%s", strings.Join(args, " "), out)
	return out
}

// shopctlRun runs shopctl; a command that reads --repo gets the repository's credentials,
// as a person passes them.
func (p *platform) shopctlRun(ctx context.Context, args ...string) (string, error) {
	if slices.Contains(args, "--repo") {
		args = append(args, "--git-username", p.gitUser, "--git-token-file", p.gitTokenFile)
	}
	return run(ctx, p.s.work, []string{"HOME=" + p.s.path("home")}, filepath.Join(p.s.bin, "shopctl"), args...)
}

// generatorKubeconfig applies the generator's ServiceAccount, Role and RoleBinding of
// manifests/ and returns a kubeconfig with a token of that ServiceAccount: the generator
// reads Applications with exactly the rights the install gives it.
func (p *platform) generatorKubeconfig(ctx context.Context, in installation) string {
	t := p.s.t
	var objs []*unstructured.Unstructured
	for _, kind := range []string{"ServiceAccount", "Role", "RoleBinding"} {
		o := in.find(kind, "shopset-generator")
		require.NotNil(t, o, "manifests/ has no %s shopset-generator", kind)
		o.SetNamespace("argocd")
		objs = append(objs, o)
	}
	require.NoError(t, p.home.apply(ctx, "shopset", objs...))
	client, err := kubernetes.NewForConfig(p.home.config)
	require.NoError(t, err)
	expires := int64(3 * 3600)
	tr, err := client.CoreV1().ServiceAccounts("argocd").CreateToken(ctx, "shopset-generator",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expires}}, metav1.CreateOptions{})
	require.NoError(t, err)
	// Through a proxy the suite can cut, to take the API away from the generator alone.
	p.apiProxy = p.s.startProxy(strings.TrimPrefix(p.home.url, "https://"))
	proxied := *p.home
	proxied.url = "https://" + p.apiProxy.addr()
	return p.s.writeKubeconfigAs(&proxied, "argocd", "kubeconfig-generator", tr.Status.Token)
}

// applyInstall applies the objects of manifests/ that mean something out of a cluster:
// the plugin generator's ConfigMap (pointed at the local generator) and its Secret
// (with the suite's token), the CMP's plugin.yaml and the AppProject shopsets that the
// example ApplicationSets' Applications belong to; and manifests/argocd/'s patch of the
// repo-server's parameters, as kubectl patch --type merge sends it.
func (p *platform) applyInstall(ctx context.Context, in installation, baseURL, token string) {
	t := p.s.t
	cm := in.find("ConfigMap", "shopset-generator")
	require.NotNil(t, cm)
	require.NoError(t, unstructured.SetNestedField(cm.Object, baseURL, "data", "baseUrl"))
	sec := in.find("Secret", "shopset-generator")
	require.NotNil(t, sec)
	require.NoError(t, unstructured.SetNestedField(sec.Object, token, "stringData", "token"))
	objs := []*unstructured.Unstructured{cm, sec, in.find("ConfigMap", "shopset-cmp-plugin"), in.find("AppProject", "shopsets")}
	for _, o := range objs {
		require.NotNil(t, o)
		o.SetNamespace("argocd")
	}
	require.NoError(t, p.home.apply(ctx, "shopset", objs...))
	params := in.patch("ConfigMap", "argocd-cmd-params-cm")
	require.NotNil(t, params)
	require.NoError(t, p.home.patch(ctx, types.MergePatchType, "argocd", params))
}

// applyApplicationSet applies an example ApplicationSet pointed at the local Git server.
// It asks the generator every 5 s (180 in the example) so the steps take seconds.
func (p *platform) applyApplicationSet(ctx context.Context, file string) {
	t := p.s.t
	b, err := os.ReadFile(filepath.Join("..", "examples", file))
	require.NoError(t, err)
	objs := decode(t, b)
	require.Len(t, objs, 1)
	set := objs[0]
	gens, _, _ := unstructured.NestedSlice(set.Object, "spec", "generators")
	require.Len(t, gens, 1)
	plugin := gens[0].(map[string]any)["plugin"].(map[string]any)
	require.NoError(t, unstructured.SetNestedField(plugin, p.url, "input", "parameters", "repoURL"))
	plugin["requeueAfterSeconds"] = int64(5)
	require.NoError(t, unstructured.SetNestedSlice(set.Object, gens, "spec", "generators"))
	require.NoError(t, p.home.apply(ctx, "e2e", set))
}

const refreshAnnotation = "argocd.argoproj.io/application-set-refresh"

// refreshAppSet asks the ApplicationSet controller to reconcile now, as Argo CD's own
// Git webhook handler does: with the refresh annotation. The controller removes it only
// after a reconcile that succeeds, and reacts only when it is newly added, so after a
// generator error it is taken off and put back (otherwise Argo CD retries after 3 minutes).
func (p *platform) refreshAppSet(ctx context.Context, name string) {
	const key = refreshAnnotation
	r := p.home.dyn.Resource(gvrApplicationSet).Namespace("argocd")
	set, err := r.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	require.NoError(p.s.t, err)
	if _, ok := set.GetAnnotations()[key]; ok {
		_, err := r.Patch(ctx, name, types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+key+`":null}}}`), metav1.PatchOptions{})
		require.NoError(p.s.t, err)
	}
	_, err = r.Patch(ctx, name, types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+key+`":"true"}}}`), metav1.PatchOptions{})
	require.NoError(p.s.t, err)
}

// syncManual syncs the Applications of tiers on manual sync, as a person would with
// the argocd CLI.
func (p *platform) syncManual(ctx context.Context, inv *inventory.Inventory, apps ...string) {
	manual := map[string]bool{}
	for _, t := range inv.Tiers {
		manual[t.Name] = t.SyncPolicy == inventory.SyncManual
	}
	var names []string
	for _, s := range inv.ShopSets {
		if manual[s.Tier] && slices.Contains(apps, "shopset-"+s.Name) {
			names = append(names, "shopset-"+s.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	// The Applications must exist and know their revision first.
	for _, n := range names {
		p.waitApp(ctx, n, func(sync, op string) bool { return sync != "" })
	}
	out, err := p.argo.cli(ctx, p.s, append([]string{"app", "sync", "--async"}, names...)...)
	require.NoError(p.s.t, err, out)
}

// waitApp waits until the Application's sync status and operation phase satisfy ok.
func (p *platform) waitApp(ctx context.Context, name string, ok func(sync, op string) bool) {
	p.s.eventually(3*time.Minute, "Application "+name, func() (bool, string) {
		a, err := p.home.get(ctx, gvrApplication, "argocd", name)
		if err != nil || a == nil {
			return false, fmt.Sprint("not there yet ", err)
		}
		sync, _, _ := unstructured.NestedString(a.Object, "status", "sync", "status")
		op, _, _ := unstructured.NestedString(a.Object, "status", "operationState", "phase")
		msg, _, _ := unstructured.NestedString(a.Object, "status", "operationState", "message")
		conds, _, _ := unstructured.NestedSlice(a.Object, "status", "conditions")
		return ok(sync, op), fmt.Sprintf("sync=%s operation=%s %s conditions=%v", sync, op, msg, conds)
	})
}

// waitShopSets waits until every ShopSet of inv has its Application synced and its
// Deployments, labelled, with its tier's images on its cluster.
func (p *platform) waitShopSets(ctx context.Context, inv *inventory.Inventory) {
	for _, s := range inv.ShopSets {
		p.waitApp(ctx, "shopset-"+s.Name, func(sync, op string) bool { return sync == "Synced" && op == "Succeeded" })
	}
	p.s.eventually(2*time.Minute, "every ShopSet's Deployments", func() (bool, string) {
		err := p.shopSetsErr(ctx, inv)
		return err == nil, fmt.Sprint(err)
	})
}

// checkShopSets asserts, without waiting, what waitShopSets waits for.
func (p *platform) checkShopSets(ctx context.Context, inv *inventory.Inventory) {
	require.NoError(p.s.t, p.shopSetsErr(ctx, inv))
}

func (p *platform) shopSetsErr(ctx context.Context, inv *inventory.Inventory) error {
	for _, s := range inv.ShopSets {
		ns := cmp.Or(s.Namespace, "shopset-"+s.Name)
		deps, err := p.clusters[s.Cluster].list(ctx, gvrDeployment, ns, "")
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, d := range deps {
			labels := d.GetLabels()
			want := map[string]string{"shopset.io/name": s.Name, "shopset.io/tier": s.Tier,
				"shopset.io/configuration": s.Configuration, "shopset.io/cluster": s.Cluster}
			for k, v := range want {
				if labels[k] != v {
					return fmt.Errorf("%s: Deployment %s/%s has %s=%q, want %q", s.Cluster, ns, d.GetName(), k, labels[k], v)
				}
			}
			containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
			if len(containers) > 0 {
				image, _ := containers[0].(map[string]any)["image"].(string)
				_, tag, _ := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":")
				got[d.GetName()] = tag
			}
		}
		for dep, tag := range p.want[s.Tier] {
			if got[dep] != tag {
				return fmt.Errorf("ShopSet %s (%s) on %s: Deployment %s runs %q, want %q", s.Name, s.Tier, s.Cluster, dep, got[dep], tag)
			}
		}
	}
	return nil
}

// checkApplications asserts that every ShopSet still has its Application, none of them
// being deleted.
func (p *platform) checkApplications(ctx context.Context, inv *inventory.Inventory) {
	for _, s := range inv.ShopSets {
		a, err := p.home.get(ctx, gvrApplication, "argocd", "shopset-"+s.Name)
		require.NoError(p.s.t, err)
		require.NotNil(p.s.t, a, "Application shopset-%s was deleted", s.Name)
		require.Nil(p.s.t, a.GetDeletionTimestamp(), "Application shopset-%s is being deleted", s.Name)
	}
}

// revisions maps every ShopSet Application to its target revision.
func (p *platform) revisions(ctx context.Context) map[string]string {
	apps, err := p.home.list(ctx, gvrApplication, "argocd", "shopset.io/name")
	require.NoError(p.s.t, err)
	revs := map[string]string{}
	for _, a := range apps {
		revs[a.GetName()], _, _ = unstructured.NestedString(a.Object, "spec", "source", "targetRevision")
	}
	return revs
}

// assertMoved checks that exactly the Applications of tier changed revision.
func (p *platform) assertMoved(ctx context.Context, inv *inventory.Inventory, before map[string]string, tier string) {
	after := p.revisions(ctx)
	for _, s := range inv.ShopSets {
		app := "shopset-" + s.Name
		if s.Tier == tier {
			assert.NotEqual(p.s.t, before[app], after[app], "%s (%s) moved", app, tier)
		} else {
			assert.Equal(p.s.t, before[app], after[app], "%s (%s) did not move", app, s.Tier)
		}
	}
}

// waitAppSetError waits until the ApplicationSet's ErrorOccurred condition carries want,
// or, with want empty, until it reports no error.
func (p *platform) waitAppSetError(ctx context.Context, name, want string) {
	what := "ApplicationSet " + name + " to report " + want
	if want == "" {
		what = "ApplicationSet " + name + " to recover"
	}
	last := time.Now()
	p.s.eventually(3*time.Minute, what, func() (bool, string) {
		if time.Since(last) > 3*time.Second {
			p.refreshAppSet(ctx, name)
			last = time.Now()
		}
		set, err := p.home.get(ctx, gvrApplicationSet, "argocd", name)
		if err != nil || set == nil {
			return false, fmt.Sprint(err)
		}
		conds, _, _ := unstructured.NestedSlice(set.Object, "status", "conditions")
		for _, c := range conds {
			m := c.(map[string]any)
			if m["type"] != "ErrorOccurred" {
				continue
			}
			msg, _ := m["message"].(string)
			if want == "" {
				return m["status"] == "False", msg
			}
			return m["status"] == "True" && strings.Contains(msg, want), msg
		}
		return false, fmt.Sprintf("no ErrorOccurred condition: %v", conds)
	})
}

// generatorStatus reads the generator's /api/v1/status.
func (p *platform) generatorStatus(ctx context.Context) generator.Status {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.gen+"/api/v1/status", nil)
	require.NoError(p.s.t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.s.t, err)
	defer resp.Body.Close()
	var st generator.Status
	require.NoError(p.s.t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

// generatorViews reads the views of every repository in the generator's status.
func (p *platform) generatorViews(ctx context.Context) []generator.ViewStatus {
	var views []generator.ViewStatus
	for _, r := range p.generatorStatus(ctx).Repositories {
		views = append(views, r.Views...)
	}
	return views
}

// generatorTier reads a tier's pinning from the generator's status.
func (p *platform) generatorTier(ctx context.Context, name string) snapshot.Tier {
	for _, v := range p.generatorViews(ctx) {
		for _, t := range v.Tiers {
			if t.Name == name {
				return t
			}
		}
	}
	p.s.t.Fatalf("the generator's status has no tier %s", name)
	return snapshot.Tier{}
}

// routingTables reads the routing table ConfigMap on every cluster.
func (p *platform) routingTables(ctx context.Context) map[string]routing.Table {
	tables := map[string]routing.Table{}
	for name, c := range p.clusters {
		cm, err := c.get(ctx, gvrConfigMap, routing.DefaultNamespace, routing.DefaultName)
		require.NoError(p.s.t, err)
		if cm == nil {
			continue
		}
		data, _, _ := unstructured.NestedString(cm.Object, "data", routing.DataKey)
		var t routing.Table
		require.NoError(p.s.t, json.Unmarshal([]byte(data), &t))
		tables[name] = t
	}
	return tables
}

func onCluster(tables map[string]routing.Table, cluster string) bool {
	for _, t := range tables {
		for _, entries := range t.Shops {
			for _, e := range entries {
				if e.Cluster == cluster {
					return true
				}
			}
		}
	}
	return false
}

func appNames(sets []inventory.ShopSet) []string {
	var names []string
	for _, s := range sets {
		names = append(names, "shopset-"+s.Name)
	}
	return names
}

func filter(sets []inventory.ShopSet, tier string) []inventory.ShopSet {
	var out []inventory.ShopSet
	for _, s := range sets {
		if s.Tier == tier {
			out = append(out, s)
		}
	}
	return out
}

// firstOfTier names the first ShopSet of tier in the inventory.
func firstOfTier(inv *inventory.Inventory, tier string) string {
	for _, s := range inv.ShopSets {
		if s.Tier == tier {
			return s.Name
		}
	}
	return ""
}
