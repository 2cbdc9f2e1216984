package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/promotion"
	"github.com/shopset/shopset/snapshot"
)

// promoteOptions are shopctl promote's flags and argument.
type promoteOptions struct {
	repo         repoFlags
	tier         string
	to, remote   string
	dryRun, push bool
	output       string
	local        bool // --repo is a local directory
	kube         kubeFlags
	override     promotion.Override
}

func newPromote(env Env) *cobra.Command {
	var o promoteOptions
	cmd := &cobra.Command{
		Use:   "promote TIER",
		Short: "Fast-forward a tier's branch to what the tier below runs",
		Long: `promote moves TIER's branch to the pinned revision of the tier below it (or to --to,
a revision in the tier below's history), by fast-forward only. It refuses, saying why,
the lowest tier, a target the tier below does not run, and a branch that is not an
ancestor of the target (commits pushed straight to the tier: bring them through the
lower tiers first).

In a local repository (--repo PATH) it moves the branch there with a compare-and-swap;
--push also pushes it to --remote, which must hold the same tier branches (fetch first).
A repository URL is read through a temporary mirror, so --push (or --dry-run) is required.
Nothing is pushed when any check fails.

It also refuses into a tier that a freeze in shopsets.yaml holds (--override-freeze), and,
when the tier below has a rollout, past what that tier has proven on its clusters: every
ShopSet Synced and Healthy at the revision for the soak, read from Argo CD's Applications
with your kubeconfig (--ignore-health). Both overrides need --reason: before the branch
moves, an empty commit on the inventory's branch records what was overridden and why
(trailer Shopset-Promote-Override: TIER COMMIT), pushed with --push.

It prints the argocd app diff commands that compare each affected Application's live
state with the new revision; shopctl diff --promote TIER shows the same offline.`,
		Example: `  # What promoting beta would do, changing nothing
  shopctl promote beta --repo . --dry-run

  # Promote beta in the local repository and push it
  shopctl promote beta --repo . --push

  # Promote prod to a revision of beta-prod, from the repository's URL
  shopctl promote prod --repo https://git.example/platform.git --to 3f2a1b4c5d6e --push

  # Into a frozen tier, saying why
  shopctl promote prod --repo . --override-freeze --reason "security fix for CVE-2026-1234" --push`,
		Args: oneName("tier name", "shopctl promote TIER", false),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.tier = args[0]
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context(), env)
		},
	}
	o.repo.add(cmd, env)
	_ = cmd.MarkFlagRequired("repo")
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "promote to this revision of the tier below (default: its pinned revision)")
	f.BoolVar(&o.dryRun, "dry-run", false, "show what would change and change nothing")
	f.BoolVar(&o.push, "push", false, "push the branch to the remote (fast-forward only, never forced)")
	f.StringVar(&o.remote, "remote", "origin", "with a local --repo: the remote --push pushes to")
	f.BoolVar(&o.override.Freeze, "override-freeze", false, "promote into a tier a freeze holds (needs --reason)")
	f.BoolVar(&o.override.Health, "ignore-health", false, "promote past what the tier below has proven on its clusters (needs --reason)")
	f.StringVar(&o.override.Reason, "reason", "", "why a gate is overridden: recorded in a commit on the inventory's branch")
	o.kube.add(cmd)
	addOutputFlag(cmd, &o.output, " (json and yaml: the promotion plan)", "text", "json", "yaml")
	cmd.ValidArgsFunction = firstArg(completeNames(tierNames))
	return cmd
}

func (o *promoteOptions) validate() error {
	o.local = isLocalRepo(o.repo.repo)
	if !o.local && !o.push && !o.dryRun {
		return errors.New("--repo is not a local directory: promote works on a temporary mirror of it, so it needs --push (or --dry-run)")
	}
	return nil
}

func (o *promoteOptions) run(ctx context.Context, env Env) error {
	snap, r, cleanup, err := o.repo.snapshot(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	plan, err := promotion.Prepare(ctx, r, snap, o.tier, o.to)
	if err != nil {
		return err
	}
	if err := promotion.Check(ctx, r, plan, o.gate(ctx, snap, r), o.override); err != nil {
		return err
	}
	recorded := ""
	if len(plan.Overrides) > 0 {
		msg := promotion.OverrideMessage(plan, o.override.Reason)
		if o.dryRun {
			recorded = fmt.Sprintf("The override would be recorded on %s by a commit saying:\n\n%s", o.repo.revision, indent(msg))
		} else {
			// Recorded first: a promotion past a gate never lands without its record.
			if plan.OverrideCommit, recorded, err = record(ctx, r, &o.repo, snap.InventoryCommit, msg, o.local, o.push, o.remote); err != nil {
				return fmt.Errorf("recording the override: %w", err)
			}
			recorded = "The override is recorded: " + recorded
		}
	}
	if !o.dryRun && !plan.UpToDate() {
		if err := promotion.Apply(ctx, r, plan, promotion.Options{Local: o.local, Push: o.push, Remote: o.remote}); err != nil {
			return err
		}
	}
	if ok, err := printStructured(env.Stdout, o.output, plan); ok {
		return err
	}
	if plan.UpToDate() {
		fmt.Fprintf(env.Stdout, "%s is already at %.12s: nothing to promote into %s.\n", plan.Branch, plan.To, plan.Tier)
		return nil
	}
	if err := printPromotion(env.Stdout, plan, o.repo.repo, o.remote, o.local, o.push, o.dryRun); err != nil {
		return err
	}
	if recorded != "" {
		_, err = io.WriteString(env.Stdout, "\n"+recorded)
	}
	return err
}

func printPromotion(w io.Writer, p *promotion.Plan, repo, remote string, local, push, dryRun bool) error {
	var b strings.Builder
	verb := "Promoted"
	if dryRun {
		verb = "Would promote"
	}
	fmt.Fprintf(&b, "%s %s: %s %.12s -> %.12s (fast-forward), %s from %s:\n",
		verb, p.Tier, p.Branch, p.From, p.To, count(len(p.Commits), "commit"), p.Below)
	for _, o := range p.Overrides {
		fmt.Fprintf(&b, "  OVERRIDE: %s\n", o)
	}
	writeCommits(&b, "  ", p.Commits)
	if len(p.Apps) > 0 {
		b.WriteString("\nApplications whose revision moves:\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, a := range p.Apps {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%.12s -> %.12s\n", a.Tier, a.Cluster, a.AppName, a.From, a.To)
		}
		tw.Flush()
	}
	b.WriteString("\n")
	switch {
	case dryRun:
		fmt.Fprintf(&b, "Dry run: nothing was changed. Offline diff of every affected ShopSet:\n  shopctl diff --repo %s --promote %s\n", repo, p.Tier)
	case push && local:
		fmt.Fprintf(&b, "Moved %s and pushed it to %s.\n", p.Branch, remote)
	case push:
		fmt.Fprintf(&b, "Pushed %s.\n", p.Branch)
	default:
		fmt.Fprintf(&b, "Moved %s in %s. Nothing deploys until it is pushed: git push %s %s\n", p.Branch, repo, remote, p.Branch)
	}
	if len(p.Apps) > 0 {
		b.WriteString("\nCompare each Application's live state with its new revision in Argo CD:\n")
		for _, a := range p.Apps {
			fmt.Fprintf(&b, "  argocd app diff %s --revision %s\n", a.AppName, a.To)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// gate reads what the promotion is checked against: the tier's freeze, and when the
// tier below has a rollout, what it has proven according to Argo CD's Applications.
func (o *promoteOptions) gate(ctx context.Context, snap *snapshot.Snapshot, r *gitrepo.Repo) promotion.Gate {
	var g promotion.Gate
	now := time.Now()
	if f, ok := snap.Inventory.FreezeOf(o.tier, now); ok {
		g.Frozen = f.Reason
	}
	k, err := promotion.FindTier(snap.Inventory, o.tier)
	if err != nil || k == 0 || snap.Inventory.Tiers[k-1].Rollout == nil {
		return g
	}
	g.BelowRollout = true
	ro, err := o.kube.plan(ctx, snap, r)
	if err != nil {
		g.Unknown = err
		return g
	}
	g.Proven = ro.plans[k-1].Proven
	return g
}
