package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// TierInput is one tier's part of a Plan.
type TierInput struct {
	Name string
	// Pinned is the revision Git's pins give the tier (merge-base of its branch's head
	// with the tier below's pin).
	Pinned string
	// Policy is the tier's rollout; nil for a tier without one, which takes its target
	// at once on every ShopSet and proves it at once (the behaviour without rollouts).
	Policy *Policy
	// Frozen is the reason of a freeze that holds the tier now; "" when none does.
	// FrozenUntil is when it ends (zero: when it is removed).
	Frozen      string
	FrozenUntil time.Time
	ShopSets    []ShopSet
}

// Ancestry answers what a Plan needs of Git.
type Ancestry interface {
	// MergeBase is the best common ancestor of two commits.
	MergeBase(ctx context.Context, a, b string) (string, error)
}

// PlanInput is everything Plan reads: the tiers lowest first, and as in Input, the
// Applications by ShopSet name, whether they could be read, and the time.
type PlanInput struct {
	Tiers []TierInput
	Apps  map[string]App
	Blind bool
	Now   time.Time
}

// TierPlan is one tier's part of a Plan's answer.
type TierPlan struct {
	Name string `json:"name"`
	// Pinned is what Git offers; Target what the tier rolls out: Pinned held back to
	// what the tier below has proven. Proven is what the tier above may take ("" when
	// the tier has proven nothing it could pass on).
	Pinned string `json:"pinned"`
	Target string `json:"target"`
	Proven string `json:"proven"`
	// Rollout says that the tier has a rollout policy.
	Rollout bool   `json:"rollout"`
	Frozen  string `json:"frozen,omitempty"`
	Decision
}

// Plan decides every tier, lowest first. A tier above a tier with a rollout takes only
// what that tier has proven: target(k) = merge-base(pinned(k), proven(k-1)), where
// proven(k-1) is the tier's target once every ShopSet of it ran the target Synced and
// Healthy for the soak, and before that the newest revision every ShopSet of it runs (or
// ran before the rollout in progress): the merge-base of what they run. A tier none of
// whose ShopSets has an Application yet has run nothing and passes its target on, as a
// tier without ShopSets does. A frozen tier keeps every ShopSet where it is.
func Plan(ctx context.Context, git Ancestry, in PlanInput) ([]TierPlan, error) {
	out := make([]TierPlan, 0, len(in.Tiers))
	for k, t := range in.Tiers {
		p := TierPlan{Name: t.Name, Pinned: t.Pinned, Target: t.Pinned, Rollout: t.Policy != nil, Frozen: t.Frozen}
		if k > 0 && in.Tiers[k-1].Policy != nil {
			below := out[k-1].Proven
			if below == "" {
				p.Target = ""
			} else if below != t.Pinned {
				mb, err := git.MergeBase(ctx, t.Pinned, below)
				if err != nil {
					return nil, fmt.Errorf("tier %q: what tier %q has proven: %w", t.Name, in.Tiers[k-1].Name, err)
				}
				if p.Target, err = notBehind(ctx, git, t, in.Apps, mb); err != nil {
					return nil, fmt.Errorf("tier %q: %w", t.Name, err)
				}
			}
		}
		tin := Input{Target: p.Target, ShopSets: t.ShopSets, Apps: in.Apps, Now: in.Now, Blind: in.Blind}
		if t.Policy != nil {
			tin.Policy = *t.Policy
		}
		switch {
		case p.Target == "":
			// The tier below has proven nothing: hold, as a freeze would, and say why. A
			// ShopSet without an Application has nothing to protect and takes the pin.
			tin.Target = t.Pinned
			p.Decision = tin.hold()
			p.Notes = append(p.Notes, fmt.Sprintf("tier %q has proven no revision its ShopSets all carry: this tier stays where it is", in.Tiers[k-1].Name))
		case t.Frozen != "":
			p.Decision = tin.hold()
		case t.Policy == nil:
			p.Decision = Decision{Revisions: map[string]string{}, Waves: Waves(t.ShopSets), Proven: true}
			for _, s := range t.ShopSets {
				p.Revisions[s.Name] = p.Target
			}
			for i := range p.Waves {
				p.Waves[i].State = Done
			}
		default:
			p.Decision = Decide(tin)
		}
		if t.Frozen != "" {
			p.dueAt(t.FrozenUntil)
		}
		switch {
		case t.Policy == nil && t.Frozen == "" && p.Target != "":
			p.Proven = p.Target
		case p.Decision.Proven && t.Frozen == "" && p.Target != "":
			p.Proven = p.Target
		default:
			proven, notes, err := running(ctx, git, t.ShopSets, in.Apps, p.Target)
			if err != nil {
				return nil, fmt.Errorf("tier %q: %w", t.Name, err)
			}
			p.Proven = proven
			p.Notes = append(p.Notes, notes...)
		}
		out = append(out, p)
	}
	return out, nil
}

// hold keeps every ShopSet at what its Application runs (the target for one without an
// Application: nothing to protect), releasing nothing.
func (in Input) hold() Decision {
	d := Decision{Revisions: map[string]string{}, Waves: Waves(in.ShopSets)}
	for _, s := range in.ShopSets {
		d.Revisions[s.Name] = in.keep(s.Name)
	}
	for i := range d.Waves {
		d.Waves[i].State = Pending
	}
	return d
}

// running is the newest revision every ShopSet of sets runs, the target of the rollout
// in progress aside: the merge-base of the revisions their Applications run, or ran
// before the target for those at it. With no Application at all it is target (nothing
// ran); with only Applications that ran nothing before the target, "" (the target has
// not proven itself yet, and nothing else was run). A revision Git does not know (an Application
// edited by hand to another repository's commit, say) is left out and noted; revisions
// with no common ancestor prove nothing ("").
func running(ctx context.Context, git Ancestry, sets []ShopSet, apps map[string]App, target string) (string, []string, error) {
	var revs []string
	unproven := false // a ShopSet runs the target and ran nothing before it
	in := Input{Target: target, Apps: apps}
	for _, s := range sets {
		a, ok := apps[s.Name]
		if !ok || a.Revision == "" {
			continue
		}
		rev := a.Revision
		if rev == target && target != "" {
			// The rollout in progress has not proven its target: what this ShopSet ran
			// before it counts, and nothing when it ran nothing before.
			if rev, ok = in.previous(s.Name); !ok {
				unproven = true
				continue
			}
		}
		if !slices.Contains(revs, rev) {
			revs = append(revs, rev)
		}
	}
	switch {
	case len(revs) == 0 && unproven:
		return "", nil, nil
	case len(revs) == 0:
		return target, nil, nil
	}
	// Every revision is checked to be known first, so that one Git does not have is
	// left out whichever place it sorts to.
	slices.Sort(revs)
	var notes []string
	base := ""
	for _, r := range revs {
		switch _, err := git.MergeBase(ctx, r, r); {
		case errors.Is(err, ErrUnknown):
			notes = append(notes, fmt.Sprintf("an Application runs %.12s, which the repository does not have: left out", r))
			continue
		case err != nil:
			return "", nil, err
		}
		if base == "" {
			base = r
			continue
		}
		mb, err := git.MergeBase(ctx, base, r)
		switch {
		case errors.Is(err, ErrUnrelated):
			notes = append(notes, fmt.Sprintf("%.12s and %.12s share no history: nothing proven", base, r))
			return "", notes, nil
		case err != nil:
			return "", nil, err
		}
		base = mb
	}
	return base, notes, nil
}

// Errors an Ancestry's MergeBase wraps: two commits that share no history, a commit
// the repository does not have.
var (
	ErrUnrelated = errors.New("no common ancestor")
	ErrUnknown   = errors.New("unknown commit")
)

// notBehind keeps a tier's target from going back behind what all its ShopSets already
// run: what the tier below proves can fall (an Application of it edited by hand to an
// older commit, a rollback there), and that must not roll this tier back. The target is
// then the newest revision every ShopSet of the tier runs, as long as Git's pin carries it.
func notBehind(ctx context.Context, git Ancestry, t TierInput, apps map[string]App, target string) (string, error) {
	var base string
	for _, s := range t.ShopSets {
		a, ok := apps[s.Name]
		if !ok || a.Revision == "" {
			continue
		}
		if base == "" {
			base = a.Revision
			continue
		}
		mb, err := git.MergeBase(ctx, base, a.Revision)
		if errors.Is(err, ErrUnknown) || errors.Is(err, ErrUnrelated) {
			return target, nil // what runs is not one history: nothing to keep to
		}
		if err != nil {
			return "", err
		}
		base = mb
	}
	if base == "" || base == target {
		return target, nil
	}
	ahead, err := isAncestor(ctx, git, target, base)
	if err != nil || !ahead {
		return target, err
	}
	pinned, err := isAncestor(ctx, git, base, t.Pinned)
	if err != nil || !pinned {
		return target, err
	}
	return base, nil
}

// isAncestor reports whether a is b or an ancestor of it; a commit Git does not know, or
// unrelated histories, are not.
func isAncestor(ctx context.Context, git Ancestry, a, b string) (bool, error) {
	mb, err := git.MergeBase(ctx, a, b)
	if errors.Is(err, ErrUnknown) || errors.Is(err, ErrUnrelated) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return mb == a, nil
}
