package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/examples"
)

func newDemo(env Env) *cobra.Command {
	var (
		name string
		keep string
	)
	cmd := &cobra.Command{
		Use:         "demo",
		Annotations: map[string]string{isolation: "network"},
		Short:       "Build the example platform's Git repository, list its ShopSets and render one",
		Long: `demo builds the bundled example platform into a real Git repository (main with
shopsets.yaml, one branch per tier), then runs what the generator and the plugin do on it:
it lists the ShopSets per tier and cluster with their pinned revisions
(shopctl list --repo) and renders one ShopSet at its tier's pinned revision
(shopctl render --repo).`,
		Example: `  # Build, list and render c-2 in a temporary directory
  shopctl demo

  # Render a-1 and keep the repository to try the other commands on
  shopctl demo --shopset a-1 --keep /tmp/shopset-demo
  shopctl status --repo /tmp/shopset-demo/repo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir := keep
			if dir != "" {
				// Refused before anything is written: the demo builds a repository there.
				entries, err := os.ReadDir(dir)
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("--keep %s: %w", dir, err)
				}
				if len(entries) > 0 {
					return fmt.Errorf("--keep %s: the directory is not empty; give a new or empty one", dir)
				}
			}
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
			w := env.Stdout
			fmt.Fprintf(w, "# Example repository %s\n", repoDir)
			inv, err := examples.Inventory()
			if err != nil {
				return err
			}
			for _, b := range append([]string{"main"}, inv.Branches()...) {
				fmt.Fprintf(w, "#   %-16s %s\n", b, repo.Branches[b][:12])
			}

			flags := repoFlags{repo: repoDir, revision: "main", path: examples.InventoryFile}
			snap, _, cleanup, err := flags.snapshot(cmd.Context())
			if err != nil {
				return err
			}
			defer cleanup()
			fmt.Fprintf(w, "\n# shopctl list --repo %s -o wide\n", repoDir)
			if err := printList(w, "wide", false, snap.Params); err != nil {
				return err
			}
			fmt.Fprintf(w, "\n# shopctl render %s --repo %s\n", name, repoDir)
			if err := renderFromRepo(cmd.Context(), env, &flags, name, false); err != nil {
				return err
			}
			if keep == "" {
				fmt.Fprintf(env.Stderr, "# (pass --keep DIR to keep the repository)\n")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "shopset", "c-2", "the ShopSet to render")
	_ = cmd.RegisterFlagCompletionFunc("shopset", exampleNames(shopSetNames))
	cmd.Flags().StringVar(&keep, "keep", "", "build in this directory and keep it (default: a temporary directory, removed afterwards)")
	return cmd
}
