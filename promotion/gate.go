package promotion

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shopset/shopset/gitrepo"
)

// Gate is what a promotion is checked against beyond Git: a freeze on the tier, and
// what the tier below has proven on the clusters when it has a rollout.
type Gate struct {
	// Frozen is the reason of a freeze that holds the tier now; "" when none does.
	Frozen string
	// BelowRollout says that the tier below has a rollout: a promotion may then take
	// only what it has proven (Proven; "" when it has proven nothing), which was read
	// from Argo CD unless Unknown says why it could not be.
	BelowRollout bool
	Proven       string
	Unknown      error
}

// Override is a person's decision to promote past a gate, with the reason, which the
// plan records.
type Override struct {
	Freeze, Health bool
	Reason         string
}

// Check refuses p when a gate holds, saying what holds it and how to override; with an
// override (and its reason) it records on p what was overridden instead.
func Check(ctx context.Context, repo *gitrepo.Repo, p *Plan, g Gate, o Override) error {
	if (o.Freeze || o.Health) && strings.TrimSpace(o.Reason) == "" {
		return errors.New("--override-freeze and --ignore-health need --reason \"...\": it is recorded in a commit on the inventory's branch")
	}
	if p.UpToDate() {
		return nil
	}
	var refused []string
	if g.Frozen != "" {
		if o.Freeze {
			p.Overrides = append(p.Overrides, fmt.Sprintf("freeze of %s (%s) overridden: %s", p.Tier, g.Frozen, o.Reason))
		} else {
			refused = append(refused, fmt.Sprintf("%s is frozen: %s (shopsets.yaml freezes; --override-freeze --reason \"...\" to promote anyway)", p.Tier, g.Frozen))
		}
	}
	if g.BelowRollout {
		why := ""
		switch {
		case g.Unknown != nil:
			why = fmt.Sprintf("what %s has proven cannot be read: %v", p.Below, g.Unknown)
		case g.Proven == "":
			why = fmt.Sprintf("%s has proven no revision all its ShopSets carry", p.Below)
		default:
			ok, err := repo.IsAncestor(ctx, p.To, g.Proven)
			if err != nil {
				return err
			}
			if !ok {
				why = fmt.Sprintf("%.12s is past what %s has proven on its clusters (%.12s: every ShopSet Synced and Healthy at it for the soak)", p.To, p.Below, g.Proven)
			}
		}
		switch {
		case why == "":
		case o.Health:
			p.Overrides = append(p.Overrides, fmt.Sprintf("health gate of %s overridden (%s): %s", p.Below, why, o.Reason))
		default:
			refused = append(refused, why+" (shopctl rollout status "+p.Below+"; --to an earlier revision, or --ignore-health --reason \"...\")")
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("%w %s: %s", ErrRefused, p.Tier, strings.Join(refused, "; "))
	}
	return nil
}

// OverrideTrailer records, on a commit of the inventory's branch, that a promotion went
// past a gate: its value is the tier and the commit it was promoted to. The commit's
// message carries what was overridden and the reason.
const OverrideTrailer = "Shopset-Promote-Override"

// OverrideMessage is that commit's message for p.
func OverrideMessage(p *Plan, reason string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Promote %s to %.12s past its gates\n\n%s\n\n", p.Tier, p.To, strings.TrimSpace(reason))
	for _, o := range p.Overrides {
		b.WriteString("- " + o + "\n")
	}
	fmt.Fprintf(&b, "\n%s: %s %s\n", OverrideTrailer, p.Tier, p.To)
	return b.String()
}
