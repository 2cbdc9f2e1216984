package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/promotion"
	"github.com/shopset/shopset/review"
)

// ExitError ends shopctl with Code instead of 1, printing Err (when there is one) like
// any other error. A command whose exit status means something, as diff's does, returns
// it; no other command needs it.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// diffTrouble is diff's exit status for an error, as diff(1) and argocd app diff use it.
const diffTrouble = 2

// diffOptions are shopctl diff's flags.
type diffOptions struct {
	repo              repoFlags
	base, head        string
	tier, promote, to string
	output            string
	context           int
}

func newDiff(env Env) *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:         "diff --repo R (--base REV --head REV [--tier TIER] | --promote TIER [--to REV])",
		Annotations: map[string]string{isolation: "network", troubleExit: strconv.Itoa(diffTrouble)},
		Short:       "Render every ShopSet a change affects on both sides and diff the manifests",
		Long: `diff shows, offline, what a change does to the manifests of every ShopSet: it works
out what the generator would serve on each side (the inventory and each tier's pinned
revision), renders every ShopSet whose inputs differ (its parameters, or the content of its
tier at its revision) exactly as Argo CD's plugin does, and prints a unified diff per
ShopSet grouped by tier (lowest first) and cluster, then a summary of changed, added and
removed ShopSets.

  --base/--head          two revisions of the inventory (a pull request to main)
  --tier T --base/--head two revisions of tier T's branch (a pull request to tier T);
                         the inventory is read at --revision
  --promote T [--to REV] what shopctl promote T would change

-o markdown prints a pull request comment: a summary table and one collapsed section per
ShopSet. After the diffs, the head side's ShopSets that changed (and every ShopSet of a
tier whose revision moved) are checked against their tier's policies/: violations and
warnings are listed, and a deny counts as trouble. The exit status is 0 without
differences, 1 with differences, 2 on trouble, as for diff(1).`,
		Example: `  # A pull request to main: two revisions of the inventory
  shopctl diff --repo . --base main --head my-change

  # A pull request to tier/dev, as a pull request comment
  shopctl diff --repo . --tier dev --base tier/dev --head my-dev-change -o markdown

  # What shopctl promote beta would change
  shopctl diff --repo . --promote beta`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(cmd); err != nil {
				return err
			}
			return o.run(cmd.Context(), env)
		},
	}
	o.repo.add(cmd, env)
	f := cmd.Flags()
	f.StringVar(&o.base, "base", "", "the revision the change starts from: of the inventory, or with --tier of that tier's branch")
	f.StringVar(&o.head, "head", "", "the revision of the change")
	f.StringVar(&o.tier, "tier", "", "--base and --head are revisions of this tier's branch (a name or a branch)")
	f.StringVar(&o.promote, "promote", "", "diff what promoting this tier would change")
	f.StringVar(&o.to, "to", "", "with --promote: the revision of the tier below to promote to (default its pinned revision)")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text (unified diffs) or markdown (a pull request comment)")
	f.IntVarP(&o.context, "unified", "U", 3, "lines of context around each change")
	_ = cmd.MarkFlagRequired("repo")
	outputs(cmd, "text", "markdown")
	_ = cmd.RegisterFlagCompletionFunc("tier", completeNames(tierNames))
	_ = cmd.RegisterFlagCompletionFunc("promote", completeNames(tierNames))
	cmd.MarkFlagsRequiredTogether("base", "head")
	cmd.MarkFlagsOneRequired("base", "promote")
	for _, other := range []string{"base", "head", "tier"} {
		cmd.MarkFlagsMutuallyExclusive("promote", other)
	}
	return cmd
}

// validate checks what cobra's flag groups cannot say.
func (o *diffOptions) validate(cmd *cobra.Command) error {
	switch o.output {
	case "text", "markdown", "md":
	default:
		return fmt.Errorf("unknown output format %q (want text or markdown)", o.output)
	}
	if o.promote == "" && o.to != "" {
		return errors.New("--to goes with --promote")
	}
	if o.promote == "" && o.tier == "" && cmd.Flags().Changed("revision") {
		return errors.New("--revision names the inventory for --tier and --promote; without them --base and --head are the inventory's revisions")
	}
	return nil
}

func (o *diffOptions) run(ctx context.Context, env Env) error {
	// Renders make much short-lived garbage; collecting it at a soft limit rather than
	// at every doubling of a small heap halves the CPU they take.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 30))

	progress := newProgress(env)
	report, checks, err := o.compare(ctx, progress)
	progress.clear()
	if err != nil {
		return err
	}
	markdown := o.output == "markdown" || o.output == "md"
	if markdown {
		err = report.WriteMarkdown(env.Stdout)
	} else {
		err = report.WriteText(env.Stdout)
	}
	if err == nil {
		err = writePolicyChecks(env.Stdout, checks, markdown)
	}
	if err != nil {
		return err
	}
	if failed := report.Failed(); len(failed) > 0 {
		return fmt.Errorf("%s failed to render; the first: %w", count(len(failed), "ShopSet"), failed[0].Err)
	}
	if n := policyFailures(checks); n > 0 {
		return fmt.Errorf("%s would be refused by its tier's policies on the head side", count(n, "ShopSet"))
	}
	if report.Differs() {
		return &ExitError{Code: 1}
	}
	return nil
}

// compare works out both sides, compares them and checks the head side's policies.
func (o *diffOptions) compare(ctx context.Context, progress *progress) (*review.Report, []policyCheck, error) {
	repo, base, head, tier, promote, to, context := &o.repo, o.base, o.head, o.tier, o.promote, o.to, o.context
	if context <= 0 {
		context = -1 // none; review's zero value means its default
	}
	opts := review.Options{Context: context, Progress: func(step string) { progress.say("diff: %s", step) }}

	var b, h review.Side
	if promote == "" && tier == "" {
		// Only the two inventories matter: main's is not read.
		r, cleanup, err := repo.open(ctx)
		if err != nil {
			return nil, nil, err
		}
		defer cleanup()
		if b, err = review.InventorySide(ctx, r, base, repo.path); err != nil {
			return nil, nil, fmt.Errorf("--base: %w", err)
		}
		if h, err = review.InventorySide(ctx, r, head, repo.path); err != nil {
			return nil, nil, fmt.Errorf("--head: %w", err)
		}
		return compareWithPolicies(ctx, r, b, h, opts, progress)
	}

	snap, r, cleanup, err := repo.snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer cleanup()
	switch {
	case promote != "":
		plan, err := promotion.Prepare(ctx, r, snap, promote, to)
		if err != nil {
			return nil, nil, err
		}
		b = review.FromSnapshot(fmt.Sprintf("%s@%.12s", plan.Branch, plan.From), snap)
		h, err = review.WithHeads(ctx, r, snap, fmt.Sprintf("%s@%.12s", plan.Branch, plan.To), map[string]string{plan.Branch: plan.To})
		if err != nil {
			return nil, nil, err
		}
	case tier != "":
		k, err := promotion.FindTier(snap.Inventory, tier)
		if err != nil {
			return nil, nil, err
		}
		if b, err = review.WithTier(ctx, r, snap, k, base); err != nil {
			return nil, nil, fmt.Errorf("--base: %w", err)
		}
		if h, err = review.WithTier(ctx, r, snap, k, head); err != nil {
			return nil, nil, fmt.Errorf("--head: %w", err)
		}
	}
	return compareWithPolicies(ctx, r, b, h, opts, progress)
}

// compareWithPolicies compares the two sides and checks the head side's policies: one
// cache of trees serves both, and the check reads the renders the comparison made.
func compareWithPolicies(ctx context.Context, r *gitrepo.Repo, b, h review.Side, opts review.Options, progress *progress) (*review.Report, []policyCheck, error) {
	opts.Trees = review.NewTrees(r)
	report, err := review.Compare(ctx, r, b, h, opts)
	if err != nil {
		return nil, nil, err
	}
	return report, checkHeadPolicies(ctx, opts.Trees, report, progress), nil
}
