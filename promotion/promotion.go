package promotion

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/rollout"
	"github.com/shopset/shopset/snapshot"
)

// ErrRefused marks a promotion that would break the tier order, or one made from a view
// of the repository that is no longer true. Its message reads "refusing to promote".
var ErrRefused = errors.New("refusing to promote")

// ShopSet is one ShopSet of a tier and its Application.
type ShopSet struct {
	Name    string `json:"name"`
	AppName string `json:"appName"`
	Cluster string `json:"cluster"`
}

// TierStatus is one tier's state: where its branch is, what it deploys, what waits to be
// promoted into it and what it holds back.
type TierStatus struct {
	Name   string `json:"name"`
	Branch string `json:"branch"`
	Index  int    `json:"index"`
	Head   string `json:"head"`
	Pinned string `json:"pinned"`
	// Below is the tier below, "" for the lowest.
	Below string `json:"below,omitempty"`
	// Waiting lists the commits the tier below runs and this tier's branch does not
	// carry yet, newest first: what `shopctl promote` would bring.
	Waiting []gitrepo.Commit `json:"waiting"`
	// Held lists the commits on the branch that the tier does not deploy because the tier
	// below does not carry them (pushed straight to this tier), newest first.
	Held []gitrepo.Commit `json:"held"`
	// WaitingCut and HeldCut say that a list stops at snapshot.MaxHeld and there are more.
	WaitingCut bool      `json:"waitingCut,omitempty"`
	HeldCut    bool      `json:"heldCut,omitempty"`
	ShopSets   []ShopSet `json:"shopsets"`
	// Frozen is the reason of a freeze that holds the tier now.
	Frozen string `json:"frozen,omitempty"`
	// Rollout is where the tier's rollout stands, when Argo CD's Applications were read
	// (WithRollouts).
	Rollout *rollout.TierPlan `json:"rollout,omitempty"`
}

// WithRollouts adds each tier's rollout decision to its status.
func WithRollouts(tiers []TierStatus, plans []rollout.TierPlan) {
	for i := range tiers {
		if i < len(plans) && plans[i].Name == tiers[i].Name {
			tiers[i].Rollout = &plans[i]
		}
	}
}

// Status reports every tier of snap, lowest first: a view of the snapshot, which lists
// each tier's held and waiting commits already.
func Status(snap *snapshot.Snapshot, now time.Time) []TierStatus {
	out := make([]TierStatus, 0, len(snap.Tiers))
	for i, t := range snap.Tiers {
		st := TierStatus{
			Name: t.Name, Branch: t.Branch, Index: i, Head: t.Head, Pinned: t.Pinned,
			Waiting: t.Waiting, Held: t.Held, WaitingCut: t.WaitingCut, HeldCut: t.HeldCut,
			ShopSets: shopSets(snap, t.Name),
		}
		if f, ok := snap.Inventory.FreezeOf(t.Name, now); ok {
			st.Frozen = f.Reason
		}
		if st.Held == nil {
			st.Held = []gitrepo.Commit{}
		}
		if st.Waiting == nil || i == 0 {
			st.Waiting = []gitrepo.Commit{}
		}
		if i > 0 {
			st.Below = snap.Tiers[i-1].Name
		}
		out = append(out, st)
	}
	return out
}

// shopSets lists the ShopSets of a tier, by cluster and name.
func shopSets(snap *snapshot.Snapshot, tier string) []ShopSet {
	out := []ShopSet{}
	for _, p := range snap.Params {
		if p.Tier == tier {
			out = append(out, ShopSet{Name: p.Name, AppName: p.AppName, Cluster: p.Cluster.Name})
		}
	}
	return out
}

// FindTier returns the index of the tier called name, or whose branch is name, with an
// error listing the tiers when there is none.
func FindTier(inv *inventory.Inventory, name string) (int, error) {
	for i, t := range inv.Tiers {
		if t.Name == name || t.Branch == name {
			return i, nil
		}
	}
	names := make([]string, len(inv.Tiers))
	for i, t := range inv.Tiers {
		names[i] = t.Name
	}
	return -1, fmt.Errorf("unknown tier %q (tiers, lowest first: %s)", name, strings.Join(names, ", "))
}

// Plan is one promotion: a tier's branch moving, by fast-forward, from From to To.
type Plan struct {
	Tier        string `json:"tier"`
	Branch      string `json:"branch"`
	Below       string `json:"below"`
	BelowBranch string `json:"belowBranch"`
	From        string `json:"from"`
	To          string `json:"to"`
	// Commits are what the promotion brings, newest first.
	Commits []gitrepo.Commit `json:"commits"`
	// Heads are the branch heads the plan was made from: the tier's and every lower
	// tier's. A push requires the remote to hold the same.
	Heads map[string]string `json:"heads"`
	// Apps are the Applications whose pinned revision the promotion moves, lowest tier
	// first: the tier's own, and a higher tier's whose held commits it releases.
	Apps []AppChange `json:"apps"`
	// Overrides say which gates a person promoted past, and why (Check); OverrideCommit
	// is the commit on the inventory's branch that records them (OverrideMessage).
	Overrides      []string `json:"overrides,omitempty"`
	OverrideCommit string   `json:"overrideCommit,omitempty"`
}

// AppChange is one Application whose revision a promotion moves.
type AppChange struct {
	ShopSet
	Tier string `json:"tier"`
	From string `json:"from"`
	To   string `json:"to"`
}

// UpToDate reports whether the tier's branch is already at the target.
func (p *Plan) UpToDate() bool { return p.From == p.To }

// Prepare plans the promotion of tier (a name or a branch) to to: by default the pinned
// revision of the tier below, else a revision that must be in the tier below's history
// up to its pinned revision. The tier's head must be an ancestor of the target: only a
// fast-forward is a promotion. Refusals wrap ErrRefused and say why.
func Prepare(ctx context.Context, repo *gitrepo.Repo, snap *snapshot.Snapshot, tier, to string) (*Plan, error) {
	k, err := FindTier(snap.Inventory, tier)
	if err != nil {
		return nil, err
	}
	t := snap.Tiers[k]
	if k == 0 {
		return nil, fmt.Errorf("%w %s: it is the lowest tier; changes land on %s directly, there is no tier below to promote from",
			ErrRefused, t.Name, t.Branch)
	}
	below := snap.Tiers[k-1]
	p := &Plan{
		Tier: t.Name, Branch: t.Branch, Below: below.Name, BelowBranch: below.Branch,
		From: t.Head, To: below.Pinned, Heads: map[string]string{}, Commits: []gitrepo.Commit{}, Apps: []AppChange{},
	}
	for _, lower := range snap.Tiers[:k+1] {
		p.Heads[lower.Branch] = lower.Head
	}
	if to != "" {
		p.To, err = repo.ResolveCommit(ctx, to)
		if err != nil {
			return nil, fmt.Errorf("--to %s: %w", to, err)
		}
		in, err := repo.IsAncestor(ctx, p.To, below.Pinned)
		if err != nil {
			return nil, err
		}
		if !in {
			return nil, fmt.Errorf("%w %s to %.12s: it is not in the history of %s, which runs %.12s; %s would run something %s never ran",
				ErrRefused, t.Name, p.To, below.Name, below.Pinned, t.Name, below.Name)
		}
	}
	if p.UpToDate() {
		return p, nil
	}
	ff, err := repo.IsAncestor(ctx, p.From, p.To)
	if err != nil {
		return nil, err
	}
	if !ff {
		return nil, notFastForward(ctx, repo, p)
	}
	p.Commits, err = repo.Log(ctx, p.From, p.To, 0)
	if err != nil {
		return nil, err
	}
	p.Apps, err = appChanges(ctx, repo, snap, p)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// notFastForward explains why the tier's head is not an ancestor of the target.
func notFastForward(ctx context.Context, repo *gitrepo.Repo, p *Plan) error {
	extra, err := repo.Log(ctx, p.To, p.From, 0)
	if err != nil {
		return err
	}
	back, err := repo.IsAncestor(ctx, p.To, p.From)
	if err != nil {
		return err
	}
	if back {
		return fmt.Errorf("%w %s to %.12s: not a fast-forward: it would move %s back by %s",
			ErrRefused, p.Tier, p.To, p.Branch, plural(len(extra), "commit"))
	}
	var subjects []string
	for i, c := range extra {
		if i == 3 {
			subjects = append(subjects, "...")
			break
		}
		subjects = append(subjects, fmt.Sprintf("%.12s %q", c.ID, c.Subject))
	}
	return fmt.Errorf("%w %s to %.12s: not a fast-forward: %s has %s that %s does not carry (%s); bring them into %s first, or move %s by hand",
		ErrRefused, p.Tier, p.To, p.Branch, plural(len(extra), "commit"), p.Below, strings.Join(subjects, ", "), p.BelowBranch, p.Branch)
}

// appChanges lists the Applications whose pinned revision moves when the tier's branch
// moves to p.To.
func appChanges(ctx context.Context, repo *gitrepo.Repo, snap *snapshot.Snapshot, p *Plan) ([]AppChange, error) {
	heads := map[string]string{}
	for _, t := range snap.Tiers {
		heads[t.Branch] = t.Head
	}
	heads[p.Branch] = p.To
	after, err := snapshot.Pin(ctx, repo, snap.Inventory.Tiers, heads)
	if err != nil {
		return nil, err
	}
	out := []AppChange{}
	for i, t := range snap.Tiers {
		if after[i] == t.Pinned {
			continue
		}
		for _, s := range shopSets(snap, t.Name) {
			out = append(out, AppChange{ShopSet: s, Tier: t.Name, From: t.Pinned, To: after[i]})
		}
	}
	return out, nil
}

// Options say how Apply moves the branch.
type Options struct {
	// Local moves the branch of the repository itself (a local repository).
	Local bool
	// Push pushes the branch to the remote.
	Push bool
	// Remote names the remote of a local repository to push to; a mirror pushes to the
	// URL it mirrors.
	Remote string
}

// Apply carries out a plan. With Push, the remote must hold the heads the plan was made
// from (else ErrRefused: fetch first) and takes the branch by fast-forward only; with
// Local, the repository's branch must still be at the plan's From and moves by
// compare-and-swap. All checks run before anything is written, and nothing is pushed
// when one fails.
func Apply(ctx context.Context, repo *gitrepo.Repo, p *Plan, opts Options) error {
	if p.UpToDate() || (!opts.Local && !opts.Push) {
		return nil
	}
	if opts.Push {
		branches := make([]string, 0, len(p.Heads))
		for b := range p.Heads {
			branches = append(branches, b)
		}
		slices.Sort(branches)
		for _, b := range branches {
			at, err := repo.RemoteBranch(ctx, opts.Remote, b)
			if err != nil {
				return fmt.Errorf("%w %s: %w", ErrRefused, p.Tier, err)
			}
			if at != p.Heads[b] {
				return fmt.Errorf("%w %s: the remote's %s is at %s, not at %.12s as here; fetch first",
					ErrRefused, p.Tier, b, orNone(at), p.Heads[b])
			}
		}
	}
	if opts.Local {
		now, err := repo.ResolveCommit(ctx, "refs/heads/"+p.Branch)
		if err != nil {
			return err
		}
		if now != p.From {
			return fmt.Errorf("%w %s: %s moved to %.12s since the plan was made (at %.12s)", ErrRefused, p.Tier, p.Branch, now, p.From)
		}
	}
	if opts.Push {
		if err := repo.Push(ctx, opts.Remote, p.Branch, p.To, p.From); err != nil {
			return err
		}
	}
	if opts.Local {
		if err := repo.UpdateBranch(ctx, p.Branch, p.To, p.From); err != nil {
			if opts.Push {
				return fmt.Errorf("pushed %s to %.12s, but the local branch was not moved: %w", p.Branch, p.To, err)
			}
			return err
		}
	}
	return nil
}

func orNone(id string) string {
	if id == "" {
		return "(missing)"
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
