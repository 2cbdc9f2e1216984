package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/render"
	"github.com/shopset/shopset/review"
)

func newValidate(env Env) *cobra.Command {
	var (
		path      string
		renderAll bool
		repo      repoFlags
		output    string
	)
	cmd := &cobra.Command{
		Use:         "validate",
		Annotations: map[string]string{isolation: "network"},
		Short:       "Check an inventory; print every problem with file, line and field",
		Long: `validate checks an inventory and prints every problem with file, line and field.

With --repo R it checks R's inventory at --revision (and --path) instead of a file, as the
generator reads it: every tier branch it names must exist. With --render it also renders
every ShopSet of R's inventory (at --revision) from
its tier's pinned revision, exactly as the plugin does, and checks the manifests against
the policies/ of that revision, listing every failed render and policy violation.`,
		Example: `  # Check shopsets.yaml in the current directory
  shopctl validate

  # Check the inventory the generator would read: main, every tier branch it names pinned
  shopctl validate --repo https://git.example/platform.git

  # Also render every ShopSet at its pinned revision and check its tier's policies
  shopctl validate --render --repo .

  # The summary as JSON, for scripts
  shopctl validate -f shopsets.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if renderAll {
				if repo.repo == "" {
					return errors.New("--render needs --repo: ShopSets render from the tier branches in Git")
				}
				return validateRenders(cmd.Context(), env, &repo, output)
			}
			if repo.repo != "" {
				// What the generator would serve: the inventory at --revision, and every
				// tier branch it names pinned.
				snap, _, cleanup, err := repo.snapshot(cmd.Context())
				if err != nil {
					return err
				}
				cleanup()
				v := summarize(snap.Inventory, repo.path)
				v.Repo, v.Revision, v.Commit = repoName(repo.repo), repo.revision, snap.InventoryCommit
				if ok, err := printStructured(env.Stdout, output, v); ok {
					return err
				}
				v.warn(env.Stderr)
				fmt.Fprintf(env.Stdout, "%s: %s at %s (%.12s): valid: %s\n", v.Repo, v.File, v.Revision, v.Commit, v.counts())
				return nil
			}
			inv, err := inventory.Load(path)
			if err != nil {
				return err
			}
			v := summarize(inv, path)
			if ok, err := printStructured(env.Stdout, output, v); ok {
				return err
			}
			v.warn(env.Stderr)
			fmt.Fprintf(env.Stdout, "%s: valid: %s\n", path, v.counts())
			return nil
		},
	}
	addInventoryFlag(cmd, &path)
	repo.add(cmd, env)
	addOutputFlag(cmd, &output, " (of a valid inventory's summary; problems go to stderr)", "text", "json", "yaml")
	cmd.Flags().BoolVar(&renderAll, "render", false, "with --repo: render every ShopSet at its pinned revision and check the tier's policies")
	cmd.MarkFlagsMutuallyExclusive("inventory", "repo")
	return cmd
}

// validateRenders renders every ShopSet of --repo at its tier's pinned revision and
// checks the manifests against that revision's policies, reporting every problem.
func validateRenders(ctx context.Context, env Env, f *repoFlags, output string) error {
	snap, repo, cleanup, err := f.snapshot(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	var errs []error
	commits := checkouts{trees: review.NewTrees(repo)}
	progress := newProgress(env)
	defer progress.clear()
	all := snap.Inventory.ShopSets
	for i, s := range all {
		progress.say("rendering %d/%d: %s", i+1, len(all), s.Name)
		tier, _ := snap.Tier(s.Tier)
		tree, policies, err := commits.get(ctx, tier.Pinned)
		if err != nil {
			errs = append(errs, fmt.Errorf("shopset %q: reading %s at %.12s: %w", s.Name, tier.Branch, tier.Pinned, err))
			continue
		}
		_, res, err := policies.render(ctx, tree, render.FromInventory(snap.Inventory, s))
		progress.clear() // warnings go on lines of their own
		res.Report(env.Stderr, s.Name)
		if err != nil {
			errs = append(errs, err)
		}
	}
	progress.clear()
	if len(errs) > 0 {
		return problems(errs)
	}
	v := summarize(snap.Inventory, f.path)
	v.Repo, v.Revision, v.Commit, v.Rendered = repoName(f.repo), f.revision, snap.InventoryCommit, len(all)
	if ok, err := printStructured(env.Stdout, output, v); ok {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s at %s: %d shopsets render and pass their tier's policies\n",
		v.Repo, v.Revision, v.Rendered)
	return err
}

// validity is validate's summary of a valid inventory.
type validity struct {
	File           string `json:"file"`
	Repo           string `json:"repo,omitempty"`
	Revision       string `json:"revision,omitempty"`
	Commit         string `json:"commit,omitempty"`
	Valid          bool   `json:"valid"`
	Tiers          int    `json:"tiers"`
	Clusters       int    `json:"clusters"`
	Configurations int    `json:"configurations"`
	ShopSets       int    `json:"shopsets"`
	Shops          int    `json:"shops"`
	// Rendered counts the ShopSets that rendered and passed their tier's policies
	// (validate --render).
	Rendered int `json:"rendered,omitempty"`
	// Warnings are what is valid but probably not meant (inventory.Warnings).
	Warnings []string `json:"warnings,omitempty"`
}

func summarize(inv *inventory.Inventory, file string) validity {
	v := validity{File: file, Valid: true, Tiers: len(inv.Tiers), Clusters: len(inv.Clusters),
		Configurations: len(inv.Configurations), ShopSets: len(inv.ShopSets), Shops: len(inv.Shops)}
	for _, w := range inv.Warnings() {
		v.Warnings = append(v.Warnings, w.Error())
	}
	return v
}

// warn puts the warnings on stderr, where problems go, apart from the summary.
func (v validity) warn(w io.Writer) {
	for _, msg := range v.Warnings {
		fmt.Fprintf(w, "warning: %s\n", msg)
	}
}

func (v validity) counts() string {
	return fmt.Sprintf("%d tiers, %d clusters, %d configurations, %d shopsets, %d shops",
		v.Tiers, v.Clusters, v.Configurations, v.ShopSets, v.Shops)
}
