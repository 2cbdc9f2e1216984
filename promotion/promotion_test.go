package promotion_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/internal/gittest"
	"github.com/shopset/shopset/promotion"
	"github.com/shopset/shopset/snapshot"
)

// platform is the example repository: tier/prod, tier/beta-prod, tier/beta and tier/dev
// one commit apart, each branch an ancestor of the one below.
type platform struct {
	*gittest.Repo
	local                     *gitrepo.Repo
	prod, betaProd, beta, dev string
	extra                     string // a commit a test case made
}

func newPlatform(t *testing.T) *platform {
	t.Helper()
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(t.TempDir(), "platform"))
	require.NoError(t, err)
	local, err := gitrepo.OpenLocal(repo.Dir)
	require.NoError(t, err)
	return &platform{
		Repo: gittest.Open(t, repo.Dir), local: local,
		prod: repo.Branches["tier/prod"], betaProd: repo.Branches["tier/beta-prod"],
		beta: repo.Branches["tier/beta"], dev: repo.Branches["tier/dev"],
	}
}

func (p *platform) snapshot(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	snap, err := snapshot.Build(context.Background(), p.local, p.Dir, "main", "shopsets.yaml")
	require.NoError(t, err)
	return snap
}

func TestStatus(t *testing.T) {
	p := newPlatform(t)
	held := p.Commit(t, "tier/beta", map[string]string{"apps/HOTFIX": "x\n"}, "Hotfix straight to beta")
	tiers := promotion.Status(p.snapshot(t), time.Now())
	require.Len(t, tiers, 4)

	dev, beta, betaProd := tiers[0], tiers[1], tiers[2]
	assert.Equal(t, "", dev.Below)
	assert.Empty(t, dev.Waiting)
	assert.Equal(t, []string{"s-1", "c-2"}, names(dev.ShopSets), "by cluster, then name")

	assert.Equal(t, held, beta.Head)
	assert.Equal(t, p.beta, beta.Pinned, "the held commit does not deploy")
	require.Len(t, beta.Held, 1)
	assert.Equal(t, "Hotfix straight to beta", beta.Held[0].Subject)
	require.Len(t, beta.Waiting, 1)
	assert.Equal(t, p.dev, beta.Waiting[0].ID)

	assert.Equal(t, "beta", betaProd.Below)
	require.Len(t, betaProd.Waiting, 1)
	assert.Equal(t, p.beta, betaProd.Waiting[0].ID)
	assert.Empty(t, betaProd.Held)
}

func names(s []promotion.ShopSet) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.Name)
	}
	return out
}

func TestPrepare(t *testing.T) {
	p := newPlatform(t)
	plan, err := promotion.Prepare(context.Background(), p.local, p.snapshot(t), "beta", "")
	require.NoError(t, err)
	assert.Equal(t, p.beta, plan.From)
	assert.Equal(t, p.dev, plan.To)
	assert.False(t, plan.UpToDate())
	require.Len(t, plan.Commits, 1)
	assert.Equal(t, p.dev, plan.Commits[0].ID)
	assert.Equal(t, map[string]string{"tier/dev": p.dev, "tier/beta": p.beta}, plan.Heads)
	require.Len(t, plan.Apps, 1)
	assert.Equal(t, promotion.AppChange{
		ShopSet: promotion.ShopSet{Name: "c-1", AppName: "shopset-c-1", Cluster: "cluster-c"},
		Tier:    "beta", From: p.beta, To: p.dev,
	}, plan.Apps[0])

	// By branch name, to an older commit of the tier below.
	plan, err = promotion.Prepare(context.Background(), p.local, p.snapshot(t), "tier/beta-prod", p.beta)
	require.NoError(t, err)
	assert.Equal(t, p.beta, plan.To)

	// Already there.
	plan, err = promotion.Prepare(context.Background(), p.local, p.snapshot(t), "beta", p.beta)
	require.NoError(t, err)
	assert.True(t, plan.UpToDate())
}

// A promotion that releases commits held on the tier above moves that tier's
// Applications too.
func TestPrepareReleasesHeldCommits(t *testing.T) {
	p := newPlatform(t)
	// A fix pushed straight to beta-prod is held there; then it is merged into dev.
	fix := p.Commit(t, "tier/beta-prod", map[string]string{"apps/FIX": "x\n"}, "Fix straight to beta-prod")
	tree := p.Git(t, "rev-parse", p.dev+"^{tree}")
	merge := p.Git(t, "commit-tree", tree, "-p", p.dev, "-p", fix, "-m", "Merge the beta-prod fix")
	p.Branch(t, "tier/dev", merge)
	snap := p.snapshot(t)
	betaProd, _ := snap.Tier("beta-prod")
	require.Equal(t, p.betaProd, betaProd.Pinned)
	require.Len(t, betaProd.Held, 1)

	plan, err := promotion.Prepare(context.Background(), p.local, snap, "beta", "")
	require.NoError(t, err)
	assert.Equal(t, merge, plan.To)
	moves := map[string]string{}
	for _, a := range plan.Apps {
		moves[a.AppName] = a.Tier + " " + a.To
	}
	assert.Equal(t, map[string]string{
		"shopset-c-1": "beta " + merge,
		"shopset-a-1": "beta-prod " + fix, "shopset-b-2": "beta-prod " + fix, "shopset-c-4": "beta-prod " + fix,
	}, moves)
}

func TestPrepareRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, p *platform) string // optional; its commit goes to p.extra
		tier    string
		to      func(p *platform) string
		want    func(p *platform) string
		refused bool
		is      error
	}{
		{name: "unknown tier", tier: "qa",
			want: func(*platform) string { return `unknown tier "qa" (tiers, lowest first: dev, beta, beta-prod, prod)` }},
		{name: "the lowest tier", tier: "dev", refused: true,
			want: func(*platform) string {
				return "refusing to promote dev: it is the lowest tier; changes land on tier/dev directly, there is no tier below to promote from"
			}},
		{name: "unknown --to", tier: "beta", to: func(*platform) string { return "nope" }, is: gitrepo.ErrUnknownRevision,
			want: func(*platform) string { return `--to nope: resolving "nope": unknown revision` }},
		{name: "--to not in the tier below", tier: "prod", to: func(p *platform) string { return p.beta }, refused: true,
			want: func(p *platform) string {
				return "refusing to promote prod to " + p.beta[:12] + ": it is not in the history of beta-prod, which runs " +
					p.betaProd[:12] + "; prod would run something beta-prod never ran"
			}},
		{name: "promotion order: past the tier below", tier: "beta-prod", to: func(p *platform) string { return p.dev }, refused: true,
			want: func(p *platform) string {
				return "refusing to promote beta-prod to " + p.dev[:12] + ": it is not in the history of beta, which runs " +
					p.beta[:12] + "; beta-prod would run something beta never ran"
			}},
		{name: "not a fast-forward: a held commit", tier: "beta", refused: true,
			setup: func(t *testing.T, p *platform) string {
				return p.Commit(t, "tier/beta", map[string]string{"apps/HOTFIX": "x\n"}, "Hotfix straight to beta")
			},
			want: func(p *platform) string {
				held := p.extra
				return "refusing to promote beta to " + p.dev[:12] + ": not a fast-forward: tier/beta has 1 commit that dev does not carry (" +
					held[:12] + ` "Hotfix straight to beta"); bring them into tier/dev first, or move tier/beta by hand`
			}},
		{name: "not a fast-forward: backwards", tier: "beta", to: func(p *platform) string { return p.betaProd }, refused: true,
			want: func(p *platform) string {
				return "refusing to promote beta to " + p.betaProd[:12] + ": not a fast-forward: it would move tier/beta back by 1 commit"
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlatform(t)
			if tc.setup != nil {
				p.extra = tc.setup(t, p)
			}
			to := ""
			if tc.to != nil {
				to = tc.to(p)
			}
			plan, err := promotion.Prepare(context.Background(), p.local, p.snapshot(t), tc.tier, to)
			require.Error(t, err)
			assert.Nil(t, plan)
			assert.Equal(t, tc.want(p), err.Error())
			assert.Equal(t, tc.refused, errors.Is(err, promotion.ErrRefused))
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
		})
	}
}

func TestApplyLocal(t *testing.T) {
	ctx := context.Background()
	p := newPlatform(t)
	plan, err := promotion.Prepare(ctx, p.local, p.snapshot(t), "beta", "")
	require.NoError(t, err)

	// Someone moves the branch after the plan: refused, nothing moves.
	other := p.Commit(t, "tier/beta", map[string]string{"x": "y\n"}, "Meanwhile")
	err = promotion.Apply(ctx, p.local, plan, promotion.Options{Local: true})
	require.ErrorIs(t, err, promotion.ErrRefused)
	assert.Equal(t, "refusing to promote beta: tier/beta moved to "+other[:12]+" since the plan was made (at "+p.beta[:12]+")", err.Error())
	assert.Equal(t, other, p.Head(t, "tier/beta"))

	p.Branch(t, "tier/beta", p.beta)
	require.NoError(t, promotion.Apply(ctx, p.local, plan, promotion.Options{Local: true}))
	assert.Equal(t, p.dev, p.Head(t, "tier/beta"))
}
