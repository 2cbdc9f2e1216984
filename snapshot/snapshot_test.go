package snapshot_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/internal/gittest"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/preview"
	"github.com/shopset/shopset/rollout"
	"github.com/shopset/shopset/routing"
	"github.com/shopset/shopset/snapshot"
)

func exampleRepo(t *testing.T) (*examples.Repo, *gittest.Repo, *gitrepo.Repo) {
	t.Helper()
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(t.TempDir(), "platform"))
	require.NoError(t, err)
	local, err := gitrepo.OpenLocal(repo.Dir)
	require.NoError(t, err)
	return repo, gittest.Open(t, repo.Dir), local
}

func TestPinning(t *testing.T) {
	repo, g, local := exampleRepo(t)
	ctx := context.Background()

	// A commit on dev moves dev only; a commit straight to beta is held until dev has it.
	devCommit := g.Commit(t, "tier/dev", map[string]string{"apps/NOTES": "dev\n"}, "A dev change")
	betaCommit := g.Commit(t, "tier/beta", map[string]string{"apps/HOTFIX": "beta\n"}, "Straight to beta")

	snap, err := snapshot.Build(ctx, local, "https://git.example/platform.git", "main", "shopsets.yaml")
	require.NoError(t, err)
	pinned := map[string]string{}
	for _, tier := range snap.Tiers {
		pinned[tier.Name] = tier.Pinned
	}
	assert.Equal(t, devCommit, pinned["dev"])
	assert.Equal(t, repo.Branches["tier/beta"], pinned["beta"], "beta's own commit is not on dev")
	assert.Equal(t, repo.Branches["tier/beta-prod"], pinned["beta-prod"])
	assert.Equal(t, repo.Branches["tier/prod"], pinned["prod"])
	beta, _ := snap.Tier("beta")
	assert.Equal(t, betaCommit, beta.Head)
	require.Len(t, beta.Held, 1)
	assert.Equal(t, "Straight to beta", beta.Held[0].Subject)

	for _, p := range snap.Params {
		assert.Equal(t, pinned[p.Tier], p.Revision, p.Name)
	}
}

// A pinning splices each tier's revision into JSON encoded once per model: the bytes are
// exactly json.Marshal's, whatever the other values hold (a repository URL that holds
// the revision's own key, HTML that JSON escapes).
func TestEncodedParamsAreTheirJSON(t *testing.T) {
	_, g, local := exampleRepo(t)
	ctx := context.Background()
	for _, url := range []string{"https://git.example/platform.git", `https://git.example/"revision":""/<a>&.git`} {
		snap, err := snapshot.Build(ctx, local, url, "main", "shopsets.yaml")
		require.NoError(t, err)
		require.Len(t, snap.Encoded, len(snap.Params))
		require.NotEmpty(t, snap.Params)
		for i, p := range snap.Params {
			want, err := json.Marshal(p)
			require.NoError(t, err)
			require.NotEmpty(t, p.Revision)
			assert.Equal(t, string(want), string(snap.Encoded[i]), p.Name)
		}
		// Pinned again after a push to a tier: the new revision, still json.Marshal's bytes.
		dev := g.Commit(t, "tier/dev", map[string]string{"apps/NOTES": url + "\n"}, "A dev change")
		again, err := snap.Model.Pin(ctx, local, "main")
		require.NoError(t, err)
		moved := 0
		for i, p := range again.Params {
			want, err := json.Marshal(p)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(again.Encoded[i]), p.Name)
			if p.Revision == dev {
				moved++
			}
		}
		assert.Positive(t, moved, "dev's ShopSets are pinned to the new commit")

		// A rollout gives one ShopSet another revision: its JSON is spliced alike.
		one := again.Params[len(again.Params)-1].Name
		params, encoded, err := again.Rolled([]rollout.TierPlan{{Decision: rollout.Decision{Revisions: map[string]string{one: dev}}}})
		require.NoError(t, err)
		rolled := 0
		for i, p := range params {
			want, err := json.Marshal(p)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(encoded[i]), p.Name)
			if p.Name == one {
				assert.Equal(t, dev, p.Revision)
				rolled++
			}
		}
		assert.Equal(t, 1, rolled)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, g *gittest.Repo)
		rev   string
		path  string
		want  error
		msg   string
	}{
		{name: "unknown revision", rev: "nope", path: "shopsets.yaml", want: gitrepo.ErrUnknownRevision},
		{name: "missing inventory", rev: "main", path: "other.yaml", want: snapshot.ErrInvalid, msg: "other.yaml not found at main"},
		{name: "invalid inventory", rev: "main", path: "shopsets.yaml", want: snapshot.ErrInvalid, msg: `unknown field "bogus"`,
			setup: func(t *testing.T, g *gittest.Repo) {
				inv := g.Git(t, "show", "main:shopsets.yaml")
				g.Commit(t, "main", map[string]string{"shopsets.yaml": inv + "\nbogus: 1\n"}, "Break")
			}},
		{name: "missing tier branch", rev: "main", path: "shopsets.yaml", want: snapshot.ErrInvalid, msg: `tier "prod": branch "tier/prod" not found`,
			setup: func(t *testing.T, g *gittest.Repo) { g.Git(t, "branch", "-D", "tier/prod") }},
		{name: "unrelated tier branch", rev: "main", path: "shopsets.yaml", want: snapshot.ErrInvalid, msg: "shares no history",
			setup: func(t *testing.T, g *gittest.Repo) {
				g.Git(t, "branch", "-D", "tier/prod")
				g.Commit(t, "tier/prod", map[string]string{"apps/x": "x"}, "An unrelated root")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, g, local := exampleRepo(t)
			if tc.setup != nil {
				tc.setup(t, g)
			}
			snap, err := snapshot.Build(context.Background(), local, "u", tc.rev, tc.path)
			require.Error(t, err)
			assert.Nil(t, snap)
			assert.True(t, errors.Is(err, tc.want), "%v is not %v", err, tc.want)
			assert.True(t, strings.Contains(err.Error(), tc.msg), "%q does not contain %q", err, tc.msg)
		})
	}
}

func TestWaitingForPromotion(t *testing.T) {
	repo, g, local := exampleRepo(t)
	devCommit := g.Commit(t, "tier/dev", map[string]string{"apps/NOTES": "dev\n"}, "A dev change")
	snap, err := snapshot.Build(context.Background(), local, "u", "main", "shopsets.yaml")
	require.NoError(t, err)
	dev, _ := snap.Tier("dev")
	assert.Empty(t, dev.Waiting, "nothing is below the lowest tier")
	assert.Equal(t, "A dev change", dev.PinnedSubject)
	beta, _ := snap.Tier("beta")
	require.Len(t, beta.Waiting, 2, "the storefront change and the new commit wait for beta")
	assert.Equal(t, devCommit, beta.Waiting[0].ID)
	assert.Equal(t, repo.Branches["tier/dev"], beta.Waiting[1].ID)
	prod, _ := snap.Tier("prod")
	assert.Len(t, prod.Waiting, 1)
}

func TestParametersMaxMemoryLimit(t *testing.T) {
	inv, err := inventory.Parse("shopsets.yaml", []byte(`apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers: [{name: dev, branch: tier/dev}]
clusters: [{name: cluster-a, server: https://a.k8s.example}]
configurations:
  - {name: production, maxMemoryLimit: 10Gi}
  - {name: staging}
shopsets:
  - {name: p-1, tier: dev, configuration: production, cluster: cluster-a}
  - {name: s-1, tier: dev, configuration: staging, cluster: cluster-a}
`))
	require.NoError(t, err)
	got := map[string]string{}
	for _, p := range snapshot.Parameters(inv, routing.Place(inv), "u", nil) {
		got[p.Name] = p.MaxMemoryLimit
	}
	assert.Equal(t, map[string]string{"p-1": "10Gi", "s-1": ""}, got)
}

// Held and waiting lists stop at MaxHeld and say so, so status and the dashboard read
// them from the snapshot instead of listing history without a bound.
func TestListsAreCut(t *testing.T) {
	_, g, local := exampleRepo(t)
	for i := range snapshot.MaxHeld + 1 {
		g.Commit(t, "tier/prod", map[string]string{"apps/HOTFIX": strings.Repeat("x", i+1) + "\n"}, "Straight to prod")
	}
	snap, err := snapshot.Build(context.Background(), local, "https://git.example/platform.git", "main", "shopsets.yaml")
	require.NoError(t, err)
	prod, ok := snap.Tier("prod")
	require.True(t, ok)
	assert.Len(t, prod.Held, snapshot.MaxHeld)
	assert.True(t, prod.HeldCut)
	assert.False(t, prod.WaitingCut)
	dev, _ := snap.Tier("dev")
	assert.False(t, dev.HeldCut)
}

func TestParametersAllowClusterScoped(t *testing.T) {
	const inv = `apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers: [{name: dev, branch: tier/dev}]
clusters: [{name: cluster-a, server: https://a.k8s.example}]
configurations: [{name: production}]
shopsets:
  - {name: p-1, tier: dev, configuration: production, cluster: cluster-a}
  - {name: p-2, tier: dev, configuration: production, cluster: cluster-a}
`
	for _, tc := range []struct {
		extra string
		list  []string
		csv   string
	}{
		{"", []string{}, ""},
		{"allowClusterScoped: [Namespace, ClusterRole]\n", []string{"Namespace", "ClusterRole"}, "Namespace,ClusterRole"},
	} {
		parsed, err := inventory.Parse("shopsets.yaml", []byte(inv+tc.extra))
		require.NoError(t, err)
		params := snapshot.Parameters(parsed, routing.Place(parsed), "u", nil)
		require.Len(t, params, 2)
		for _, p := range params {
			assert.Equal(t, tc.list, p.AllowClusterScoped, p.Name)
			assert.Equal(t, tc.csv, p.AllowClusterScopedCSV, p.Name)
		}
	}
}

func TestPreviews(t *testing.T) {
	repo, g, local := exampleRepo(t)
	ctx := context.Background()
	dev := repo.Branches["tier/dev"]
	g.Branch(t, "preview/checkout", dev)
	checkout := g.Commit(t, "preview/checkout", map[string]string{"apps/NOTES": "checkout\n"}, "Checkout redesign")
	g.Branch(t, "preview/policy", dev)
	g.Commit(t, "preview/policy", map[string]string{"policies/extra.rego": "package shopset.extra\n"}, "Weaker rules")
	g.Branch(t, "preview/Upper", dev)
	g.Branch(t, "topic/other", dev)

	snap, err := snapshot.Build(ctx, local, "https://git.example/platform.git", "main", "shopsets.yaml")
	require.NoError(t, err)
	require.NotNil(t, snap.Previews)
	var names []string
	for _, c := range snap.Previews.Candidates {
		names = append(names, c.Name)
	}
	assert.ElementsMatch(t, []string{"pr-checkout", preview.Name("preview/", "preview/Upper")}, names)
	require.Len(t, snap.Previews.Skipped, 1)
	assert.Equal(t, "preview/policy", snap.Previews.Skipped[0].Branch.Name)
	assert.Equal(t, preview.PoliciesDiffer, snap.Previews.Skipped[0].Reason)

	now := snap.Previews.Candidates[0].Committed
	served := snap.Previews.At(now)
	require.Len(t, served.Params, 2)
	require.Len(t, served.Encoded, 2)
	p := served.Params[0]
	assert.Equal(t, "pr-checkout", p.Name, "newest first")
	assert.Equal(t, snapshot.Params{
		Name: "pr-checkout", AppName: "shopset-pr-checkout", Namespace: "shopset-pr-checkout",
		Tier: inventory.PreviewTier, TierIndex: -1, Branch: "preview/checkout", Revision: checkout,
		Configuration: "staging", MaxMemoryLimit: "2Gi", Components: []string{}, AllowClusterScoped: []string{},
		Cluster: snapshot.Cluster{Name: "cluster-c", Server: "https://cluster-c.k8s.shop.example", FailureDomain: "onprem-c", State: "active"},
		RepoURL: "https://git.example/platform.git", SyncPolicy: "automated",
		Preview: true, PreviewHost: "pr-checkout.preview.shop.example",
	}, p)
	assert.JSONEq(t, mustJSON(t, p), string(served.Encoded[0]))
	for _, s := range snap.Params {
		assert.False(t, s.Preview, s.Name)
	}

	// A policy change that lands on the lowest tier first lets the branch run, and the
	// branches that do not carry it stop until they do.
	g.Git(t, "checkout", "-q", "tier/dev")
	g.Git(t, "merge", "-q", "--ff-only", "preview/policy")
	snap, err = snapshot.Build(ctx, local, "https://git.example/platform.git", "main", "shopsets.yaml")
	require.NoError(t, err)
	require.Len(t, snap.Previews.Candidates, 1)
	assert.Equal(t, "pr-policy", snap.Previews.Candidates[0].Name)
	assert.Len(t, snap.Previews.Skipped, 2)

	// Without a previews section there are none, whatever the branches.
	inv := g.Git(t, "show", "main:shopsets.yaml")
	g.Commit(t, "main", map[string]string{"shopsets.yaml": inv[:strings.Index(inv, "\n# Topic branches that run as preview")+1]}, "No previews")
	snap, err = snapshot.Build(ctx, local, "https://git.example/platform.git", "main", "shopsets.yaml")
	require.NoError(t, err)
	assert.Nil(t, snap.Previews)
	assert.Empty(t, snap.Previews.At(now).Params)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
