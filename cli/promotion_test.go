package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/cli"
	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/internal/gittest"
	"github.com/shopset/shopset/internal/golden"
)

// remotePlatform is the example platform in a repository ("origin") and a clone of it
// with every branch, as a person has it on their machine.
type remotePlatform struct {
	origin, clone *gittest.Repo
	branches      map[string]string // the example's branches, in both
	extra         string            // a commit a test case made
}

func newRemotePlatform(t *testing.T) *remotePlatform {
	t.Helper()
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(t.TempDir(), "origin"))
	require.NoError(t, err)
	origin := gittest.Open(t, repo.Dir)
	origin.Git(t, "config", "receive.denyCurrentBranch", "ignore")
	clone := gittest.Init(t)
	clone.Git(t, "remote", "add", "origin", origin.Dir)
	clone.Git(t, "fetch", "--quiet", "--update-head-ok", "origin", "+refs/heads/*:refs/heads/*")
	return &remotePlatform{origin: origin, clone: clone, branches: repo.Branches}
}

// runTB is run for benchmarks.
func runTB(tb testing.TB, args ...string) result {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Execute(context.Background(), args, cli.Env{Stdout: &stdout, Stderr: &stderr})
	return result{code, stdout.String(), stderr.String()}
}

// refs lists a repository's branches, to prove nothing moved.
func refs(t *testing.T, r *gittest.Repo) string {
	t.Helper()
	return r.Git(t, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/")
}

// scrub replaces a directory in command output, for golden files.
func scrub(out, dir, as string) string {
	return strings.ReplaceAll(out, dir, as)
}

func TestStatusCommand(t *testing.T) {
	p := newRemotePlatform(t)
	p.clone.Commit(t, "tier/beta", map[string]string{"apps/HOTFIX": "x\n"}, "Hotfix straight to beta")
	r := run(t, nil, "status", "--repo", p.clone.Dir)
	require.Equal(t, 0, r.code, r.stderr)
	golden.Assert(t, filepath.Join("testdata", "promotion", "status.txt"), []byte(r.stdout))

	r = run(t, nil, "status", "--repo", p.clone.Dir, "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"subject": "Hotfix straight to beta"`)
}

func TestPromoteCommand(t *testing.T) {
	t.Run("dry run", func(t *testing.T) {
		p := newRemotePlatform(t)
		before := refs(t, p.clone)
		r := run(t, nil, "promote", "beta", "--repo", p.clone.Dir, "--dry-run", "--push")
		require.Equal(t, 0, r.code, r.stderr)
		golden.Assert(t, filepath.Join("testdata", "promotion", "promote-dry-run.txt"), []byte(scrub(r.stdout, p.clone.Dir, "REPO")))
		assert.Equal(t, before, refs(t, p.clone))
		assert.Equal(t, before, refs(t, p.origin))

		// The plan as data, for scripts.
		r = run(t, nil, "promote", "beta", "--repo", p.clone.Dir, "--dry-run", "-o", "json")
		require.Equal(t, 0, r.code, r.stderr)
		var plan struct {
			Tier, Branch, From, To string
			Apps                   []struct{ AppName string }
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &plan))
		assert.Equal(t, "beta", plan.Tier)
		assert.Equal(t, "tier/beta", plan.Branch)
		assert.Equal(t, p.branches["tier/beta"], plan.From)
		assert.Equal(t, p.branches["tier/dev"], plan.To)
		assert.NotEmpty(t, plan.Apps)
		assert.Equal(t, before, refs(t, p.clone), "a dry run moves nothing, whatever the output")
	})
	t.Run("local, then push", func(t *testing.T) {
		p := newRemotePlatform(t)
		r := run(t, nil, "promote", "beta", "--repo", p.clone.Dir)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "Nothing deploys until it is pushed: git push origin tier/beta\n")
		assert.Equal(t, p.branches["tier/dev"], p.clone.Head(t, "tier/beta"))
		assert.Equal(t, p.branches["tier/beta"], p.origin.Head(t, "tier/beta"), "not pushed")

		// Already there: nothing to do, and not an error.
		r = run(t, nil, "promote", "beta", "--repo", p.clone.Dir)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, "tier/beta is already at "+p.branches["tier/dev"][:12]+": nothing to promote into beta.\n", r.stdout)
	})
	t.Run("push", func(t *testing.T) {
		p := newRemotePlatform(t)
		r := run(t, nil, "promote", "beta", "--repo", p.clone.Dir, "--push")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "Moved tier/beta and pushed it to origin.\n")
		assert.Contains(t, r.stdout, "  argocd app diff shopset-c-1 --revision "+p.branches["tier/dev"]+"\n")
		assert.Equal(t, p.branches["tier/dev"], p.clone.Head(t, "tier/beta"))
		assert.Equal(t, p.branches["tier/dev"], p.origin.Head(t, "tier/beta"))
	})
	t.Run("a URL, through a mirror", func(t *testing.T) {
		p := newRemotePlatform(t)
		srv := gittest.Serve(t, filepath.Dir(p.origin.Dir))
		url := srv.URL + "/" + filepath.Base(p.origin.Dir)
		r := run(t, nil, "promote", "prod", "--repo", url, "--push")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "Pushed tier/prod.\n")
		assert.Equal(t, p.branches["tier/beta-prod"], p.origin.Head(t, "tier/prod"))
	})
}

// Every refusal: exit status 1, one error line, nothing on stdout, no branch moved here
// or on the remote.
func TestPromoteRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, p *remotePlatform) string // optional; its commit goes to p.extra
		args  func(p *remotePlatform) []string             // after "promote"
		want  func(p *remotePlatform) string
	}{
		{name: "unknown tier",
			args: func(p *remotePlatform) []string { return []string{"qa", "--repo", p.clone.Dir, "--push"} },
			want: func(*remotePlatform) string {
				return `error: unknown tier "qa" (tiers, lowest first: dev, beta, beta-prod, prod)`
			}},
		{name: "the lowest tier",
			args: func(p *remotePlatform) []string { return []string{"dev", "--repo", p.clone.Dir, "--push"} },
			want: func(*remotePlatform) string {
				return "error: refusing to promote dev: it is the lowest tier; changes land on tier/dev directly, there is no tier below to promote from"
			}},
		{name: "--to not in the tier below",
			args: func(p *remotePlatform) []string {
				return []string{"prod", "--repo", p.clone.Dir, "--push", "--to", p.branches["tier/dev"]}
			},
			want: func(p *remotePlatform) string {
				return "error: refusing to promote prod to " + p.branches["tier/dev"][:12] + ": it is not in the history of beta-prod, which runs " +
					p.branches["tier/beta-prod"][:12] + "; prod would run something beta-prod never ran"
			}},
		{name: "unknown --to revision",
			args: func(p *remotePlatform) []string {
				return []string{"beta", "--repo", p.clone.Dir, "--push", "--to", "v9.9"}
			},
			want: func(*remotePlatform) string { return `error: --to v9.9: resolving "v9.9": unknown revision` }},
		{name: "not a fast-forward",
			setup: func(t *testing.T, p *remotePlatform) string {
				return p.clone.Commit(t, "tier/beta", map[string]string{"apps/HOTFIX": "x\n"}, "Hotfix straight to beta")
			},
			args: func(p *remotePlatform) []string { return []string{"beta", "--repo", p.clone.Dir, "--push"} },
			want: func(p *remotePlatform) string {
				return "error: refusing to promote beta to " + p.branches["tier/dev"][:12] + ": not a fast-forward: tier/beta has 1 commit that dev does not carry (" +
					p.extra[:12] + ` "Hotfix straight to beta"); bring them into tier/dev first, or move tier/beta by hand`
			}},
		{name: "dirty remote: the tier moved",
			setup: func(t *testing.T, p *remotePlatform) string {
				return p.origin.Commit(t, "tier/beta", map[string]string{"apps/HOTFIX": "x\n"}, "Someone else's hotfix")
			},
			args: func(p *remotePlatform) []string { return []string{"beta", "--repo", p.clone.Dir, "--push"} },
			want: func(p *remotePlatform) string {
				return "error: refusing to promote beta: the remote's tier/beta is at " + p.extra[:12] +
					", not at " + p.branches["tier/beta"][:12] + " as here; fetch first"
			}},
		{name: "dirty remote: the tier below moved",
			setup: func(t *testing.T, p *remotePlatform) string {
				return p.origin.Commit(t, "tier/dev", map[string]string{"apps/NEW": "x\n"}, "A newer dev change")
			},
			args: func(p *remotePlatform) []string { return []string{"beta", "--repo", p.clone.Dir, "--push"} },
			want: func(p *remotePlatform) string {
				return "error: refusing to promote beta: the remote's tier/dev is at " + p.extra[:12] +
					", not at " + p.branches["tier/dev"][:12] + " as here; fetch first"
			}},
		{name: "missing remote",
			args: func(p *remotePlatform) []string {
				return []string{"beta", "--repo", p.clone.Dir, "--push", "--remote", "upstream"}
			},
			want: func(p *remotePlatform) string {
				return "error: refusing to promote beta: the repository " + p.clone.Dir + ` has no remote "upstream": git repository unavailable`
			}},
		{name: "a URL without --push",
			args: func(p *remotePlatform) []string { return []string{"beta", "--repo", "file://" + p.origin.Dir} },
			want: func(*remotePlatform) string {
				return "error: --repo is not a local directory: promote works on a temporary mirror of it, so it needs --push (or --dry-run)"
			}},
		{name: "a URL, not a fast-forward",
			setup: func(t *testing.T, p *remotePlatform) string {
				return p.origin.Commit(t, "tier/beta", map[string]string{"apps/HOTFIX": "x\n"}, "Hotfix straight to beta")
			},
			args: func(p *remotePlatform) []string {
				return []string{"beta", "--repo", "file://" + p.origin.Dir, "--push"}
			},
			want: func(p *remotePlatform) string {
				return "error: refusing to promote beta to " + p.branches["tier/dev"][:12] + ": not a fast-forward: tier/beta has 1 commit that dev does not carry (" +
					p.extra[:12] + ` "Hotfix straight to beta"); bring them into tier/dev first, or move tier/beta by hand`
			}},
		{name: "missing TIER",
			args: func(p *remotePlatform) []string { return []string{"--repo", p.clone.Dir} },
			want: func(*remotePlatform) string { return "error: a tier name is required: shopctl promote TIER" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newRemotePlatform(t)
			if tc.setup != nil {
				p.extra = tc.setup(t, p)
			}
			clone, origin := refs(t, p.clone), refs(t, p.origin)
			r := run(t, nil, append([]string{"promote"}, tc.args(p)...)...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.Equal(t, tc.want(p)+"\n", r.stderr)
			assert.Equal(t, clone, refs(t, p.clone), "a local branch moved")
			assert.Equal(t, origin, refs(t, p.origin), "something was pushed")
		})
	}
}

// inventoryChange edits the example inventory: s-1 moves to cluster-b, c-1 gets the
// maintenance component, d-1 is added and c-4 removed.
func inventoryChange(t *testing.T) string {
	t.Helper()
	b, err := examples.Files.ReadFile(examples.InventoryFile)
	require.NoError(t, err)
	inv := string(b)
	for _, r := range []struct{ old, new string }{
		{"  - name: s-1\n    tier: dev\n    configuration: staging\n    cluster: cluster-a\n",
			"  - name: s-1\n    tier: dev\n    configuration: staging\n    cluster: cluster-b\n" +
				"  - name: d-1\n    tier: dev\n    configuration: staging\n    cluster: cluster-c\n"},
		{"  - name: c-1\n    tier: beta\n    configuration: production\n    cluster: cluster-c\n",
			"  - name: c-1\n    tier: beta\n    configuration: production\n    cluster: cluster-c\n    components: [maintenance]\n"},
		{"  - name: c-4\n    tier: beta-prod\n    configuration: production\n    cluster: cluster-c\n", ""},
	} {
		require.Contains(t, inv, r.old)
		inv = strings.Replace(inv, r.old, r.new, 1)
	}
	return inv
}

func TestDiffCommand(t *testing.T) {
	p := newRemotePlatform(t)
	g := p.clone
	g.Branch(t, "rebalance", "main")
	g.Commit(t, "rebalance", map[string]string{"shopsets.yaml": inventoryChange(t)}, "Rebalance the ShopSets")
	g.Branch(t, "storefront-2.4.1", "tier/dev")
	deployment := g.Git(t, "show", "tier/dev:apps/storefront/deployment.yaml") + "\n"
	g.Commit(t, "storefront-2.4.1", map[string]string{
		"apps/storefront/deployment.yaml": strings.Replace(deployment, "storefront:2.4.0", "storefront:2.4.1", 1),
		"README.md":                       "Only the manifests matter.\n",
	}, "storefront: update to 2.4.1")
	// A commit that changes nothing a render reads: no difference.
	g.Branch(t, "docs", "tier/dev")
	g.Commit(t, "docs", map[string]string{"README.md": "Docs only.\n"}, "Docs")

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		golden string
		want   string // in stdout, when no golden file
	}{
		{name: "inventory change", args: []string{"--base", "main", "--head", "rebalance"}, code: 1, golden: "diff-inventory.txt"},
		{name: "inventory change, markdown", args: []string{"--base", "main", "--head", "rebalance", "-o", "markdown"}, code: 1, golden: "diff-inventory.md"},
		{name: "tier change", args: []string{"--tier", "tier/dev", "--base", "tier/dev", "--head", "storefront-2.4.1", "-U", "2"}, code: 1, golden: "diff-tier.txt"},
		{name: "promotion", args: []string{"--promote", "beta"}, code: 1,
			want: "+++ b/shopset-c-1\ttier/beta@" + p.branches["tier/dev"][:12]},
		{name: "no difference", args: []string{"--base", "main", "--head", "main"}, code: 0,
			want: ": 0 changed, 0 added, 0 removed, 9 unchanged\n"},
		{name: "same content, new commit", args: []string{"--tier", "dev", "--base", "tier/dev", "--head", "docs"}, code: 0,
			want: ": 0 changed, 0 added, 0 removed, 9 unchanged\n"},
		{name: "no difference, markdown", args: []string{"--base", "main", "--head", "main", "-o", "markdown"}, code: 0,
			want: "No ShopSet's manifests change.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"diff", "--repo", g.Dir}, tc.args...)...)
			require.Equal(t, tc.code, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			if tc.golden != "" {
				golden.Assert(t, filepath.Join("testdata", "promotion", tc.golden), []byte(r.stdout))
			} else {
				assert.Contains(t, r.stdout, tc.want)
			}
		})
	}
}

// Trouble: exit status 2 and one error line.
func TestDiffErrors(t *testing.T) {
	p := newRemotePlatform(t)
	g := p.clone
	g.Branch(t, "broken", "main")
	inv := inventoryChange(t)
	g.Commit(t, "broken", map[string]string{"shopsets.yaml": strings.Replace(inv, "components: [maintenance]", "components: [canary]", 1)}, "Ask for a component no tier has")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "unknown revision", args: []string{"--base", "main", "--head", "nope"},
			want: `error: --head: revision "nope": resolving "nope": unknown revision`},
		{name: "unknown tier", args: []string{"--tier", "qa", "--base", "main", "--head", "main"},
			want: `error: unknown tier "qa" (tiers, lowest first: dev, beta, beta-prod, prod)`},
		{name: "unknown tier revision", args: []string{"--tier", "dev", "--base", "tier/dev", "--head", "nope"},
			want: `error: --head: revision "nope": resolving "nope": unknown revision`},
		{name: "promote the lowest tier", args: []string{"--promote", "dev"},
			want: "error: refusing to promote dev: it is the lowest tier; changes land on tier/dev directly, there is no tier below to promote from"},
		{name: "missing --head", args: []string{"--base", "main"},
			want: "error: if any flags in the group [base head] are set they must all be set; missing [head]"},
		{name: "neither --base nor --promote", args: []string{"--tier", "dev"},
			want: "error: at least one of the flags in the group [base promote] is required"},
		{name: "--promote with --tier", args: []string{"--promote", "beta", "--tier", "dev"},
			want: "error: if any flags in the group [promote tier] are set none of the others can be; [promote tier] were all set"},
		{name: "--to without --promote", args: []string{"--base", "main", "--head", "main", "--to", "x"},
			want: "error: --to goes with --promote"},
		{name: "an argument", args: []string{"--promote", "beta", "extra"},
			want: `error: unknown command "extra" for "shopctl diff"`},
		{name: "unknown flag", args: []string{"--bogus"}, want: "error: unknown flag: --bogus\nSee 'shopctl diff --help'"},
		{name: "unknown output", args: []string{"--base", "main", "--head", "main", "-o", "html"},
			want: `error: unknown output format "html" (want text or markdown)`},
		{name: "render failure", args: []string{"--base", "main", "--head", "broken"},
			want: `error: 1 ShopSet failed to render; the first: broken: shopset "c-1": component "canary": directory components/canary/ not found in the checkout`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"diff", "--repo", g.Dir}, tc.args...)...)
			assert.Equal(t, 2, r.code)
			assert.Equal(t, tc.want+"\n", r.stderr)
			if tc.name == "render failure" {
				assert.Contains(t, r.stdout, "# render failed: broken: shopset \"c-1\"")
			} else {
				assert.Empty(t, r.stdout)
			}
		})
	}
	// A missing repository is trouble too.
	r := run(t, nil, "diff", "--repo", filepath.Join(t.TempDir(), "none"), "--base", "a", "--head", "b")
	assert.Equal(t, 2, r.code)
	assert.True(t, strings.HasPrefix(r.stderr, "error: repository "), r.stderr)
}

// The example CI workflow runs only commands and flags that exist.
func TestReviewWorkflow(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "examples", "github", "shopset-review.yaml"))
	require.NoError(t, err)
	var found []string
	for _, line := range strings.Split(string(b), "\n") {
		_, call, ok := strings.Cut(line, "shopctl ")
		if !ok || strings.HasPrefix(strings.TrimSpace(line), "#") || strings.Contains(line, "go install") {
			continue
		}
		words := strings.Fields(strings.NewReplacer("\\", "", "\"", "", "'", "").Replace(call))
		cmd, rest, err := cli.Command(cli.Env{}).Find(words)
		require.NoError(t, err, line)
		require.NotEqual(t, "shopctl", cmd.Name(), "no subcommand in %q", line)
		found = append(found, cmd.Name())
		for _, w := range rest {
			name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if !strings.HasPrefix(w, "-") || name == "" {
				continue
			}
			assert.True(t, cmd.Flags().Lookup(name) != nil || (len(name) == 1 && cmd.Flags().ShorthandLookup(name) != nil),
				"shopctl %s has no flag %q (%q)", cmd.Name(), w, line)
		}
	}
	assert.Equal(t, []string{"validate", "diff"}, found)
}

// BenchmarkDiff100 runs shopctl diff over 100 ShopSets, each changed on both sides (all
// get the maintenance component): 200 renders. The repository is the example platform
// with a generated inventory of 100 ShopSets over the four tiers and three clusters.
func BenchmarkDiff100(b *testing.B) {
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(b.TempDir(), "repo"))
	if err != nil {
		b.Fatal(err)
	}
	g := gittest.Open(b, repo.Dir)
	base, head := benchInventories(100)
	g.Commit(b, "main", map[string]string{"shopsets.yaml": base}, "100 ShopSets")
	g.Branch(b, "maintenance", "main")
	g.Commit(b, "maintenance", map[string]string{"shopsets.yaml": head}, "Maintenance everywhere")
	args := []string{"diff", "--repo", repo.Dir, "--base", "main", "--head", "maintenance"}
	for b.Loop() {
		r := runTB(b, args...)
		if r.code != 1 || !strings.Contains(r.stdout, ": 100 changed, 0 added, 0 removed, 0 unchanged") {
			b.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
}

// benchInventories returns the example inventory with n generated ShopSets, and the same
// with the maintenance component on every ShopSet.
func benchInventories(n int) (string, string) {
	b, err := examples.Files.ReadFile(examples.InventoryFile)
	if err != nil {
		panic(err)
	}
	inv := string(b)
	start, end := strings.Index(inv, "\nshopsets:\n"), strings.Index(inv, "\n# How shops are placed")
	tiers := []string{"dev", "beta", "beta-prod", "prod"}
	clusters := []string{"cluster-a", "cluster-b", "cluster-c"}
	var base, head strings.Builder
	for i := range n {
		conf := "production"
		if i%5 == 4 {
			conf = "staging"
		}
		s := fmt.Sprintf("  - name: g-%03d\n    tier: %s\n    configuration: %s\n    cluster: %s\n", i, tiers[i%4], conf, clusters[(i/4)%3])
		base.WriteString(s)
		head.WriteString(s + "    components: [maintenance]\n")
	}
	return inv[:start] + "\nshopsets:\n" + base.String() + inv[end:], inv[:start] + "\nshopsets:\n" + head.String() + inv[end:]
}
