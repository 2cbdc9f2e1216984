package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/render"
)

func newDemo(env Env) *cobra.Command {
	var (
		name string
		keep string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build the example platform's Git repository, list its ShopSets and render one",
		Long: `demo builds the bundled example platform into a real Git repository (main with
shopsets.yaml, one branch per tier), lists its ShopSets per tier and cluster, and
renders one ShopSet from a checkout of its tier branch, the way Argo CD's plugin does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir := keep
			if dir == "" {
				tmp, err := os.MkdirTemp("", "shopset-demo-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				dir = tmp
			}
			repoDir := filepath.Join(dir, "repo")
			repo, err := examples.BuildRepo(cmd.Context(), repoDir)
			if err != nil {
				return fmt.Errorf("building the example repository: %w", err)
			}
			inv, err := inventory.Load(filepath.Join(repoDir, examples.InventoryFile))
			if err != nil {
				return err
			}
			s, ok := inv.ShopSet(name)
			if !ok {
				return fmt.Errorf("shopset %q not found in the example inventory", name)
			}
			tier, _, _ := inv.Tier(s.Tier)

			w := env.Stdout
			fmt.Fprintf(w, "# Example repository %s\n", repoDir)
			for _, b := range append([]string{"main"}, tierBranches(inv)...) {
				fmt.Fprintf(w, "#   %-16s %s\n", b, repo.Branches[b][:12])
			}
			fmt.Fprintf(w, "\n# shopctl list -f %s\n", filepath.Join(repoDir, examples.InventoryFile))
			if err := printList(w, "", records(inv)); err != nil {
				return err
			}

			checkout := filepath.Join(dir, "checkout", strings.ReplaceAll(tier.Branch, "/", "-"))
			if err := repo.Checkout(cmd.Context(), tier.Branch, checkout); err != nil {
				return err
			}
			fmt.Fprintf(w, "\n# shopctl render %s -f %s --dir %s   (%s at %s)\n",
				s.Name, filepath.Join(repoDir, examples.InventoryFile), checkout, tier.Branch, repo.Branches[tier.Branch][:12])
			root, err := os.OpenRoot(checkout)
			if err != nil {
				return err
			}
			defer root.Close()
			out, err := render.Render(root.FS(), render.FromInventory(s))
			if err != nil {
				return err
			}
			_, err = w.Write(out)
			if keep == "" {
				fmt.Fprintf(env.Stderr, "# (pass --keep DIR to keep the repository and checkout)\n")
			}
			return err
		},
	}
	cmd.Flags().StringVar(&name, "shopset", "c-2", "the ShopSet to render")
	cmd.Flags().StringVar(&keep, "keep", "", "build in this directory and keep it (default: a temporary directory, removed afterwards)")
	return cmd
}

func tierBranches(inv *inventory.Inventory) []string {
	var out []string
	for _, t := range inv.Tiers {
		out = append(out, t.Branch)
	}
	return out
}
