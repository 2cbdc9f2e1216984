package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/plan"
	"github.com/shopset/shopset/routing"
)

// newCordon makes cordon and uncordon: they edit the inventory file in place, changing
// only the cluster's state, and print what moves.
func newCordon(env Env, use string, state inventory.ClusterState) *cobra.Command {
	var (
		path   string
		dryRun bool
	)
	verb := map[inventory.ClusterState]string{
		inventory.StateCordoned: "Mark a cluster cordoned: its shops move to other failure domains",
		inventory.StateActive:   "Mark a cluster active again: its shops move back",
	}[state]
	cmd := &cobra.Command{
		Use:   use + " CLUSTER",
		Short: verb + " (edits shopsets.yaml)",
		Long: verb + `.
The inventory file is edited in place: only the cluster's state changes, comments and
layout stay. Commit and open a pull request: Argo CD does the rest.
The shops that move are printed.`,
		Example: map[inventory.ClusterState]string{
			inventory.StateCordoned: `  # What would move, changing nothing
  shopctl cordon cluster-b --dry-run

  # Cordon it for an upgrade, then open a pull request
  shopctl cordon cluster-b
  git commit -am "Cordon cluster-b for its upgrade"`,
			inventory.StateActive: `  # What would move back, changing nothing
  shopctl uncordon cluster-b --dry-run

  # Bring it back after the upgrade: shopsets.yaml is as it was before cordon
  shopctl uncordon cluster-b
  git commit -am "Uncordon cluster-b"`,
		}[state],
		Args: oneName("cluster name", "shopctl "+use+" CLUSTER", false),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("load inventory: %w", err)
			}
			// Both sides parse the bytes read once: the file is edited as it was checked.
			readNext := func(name string) ([]byte, error) {
				return os.ReadFile(filepath.Join(filepath.Dir(path), name))
			}
			before, err := inventory.ParseFiles(path, data, readNext)
			if err != nil {
				return err
			}
			if c, ok := before.Cluster(args[0]); ok && c.State == state {
				fmt.Fprintf(env.Stdout, "%s: cluster %s is already %s: nothing changed\n", path, args[0], state)
				return nil
			}
			edited, err := inventory.SetClusterState(path, data, args[0], state)
			if err != nil {
				return err
			}
			after, err := inventory.ParseFiles(path, edited, readNext)
			if err != nil {
				return err
			}
			moves := plan.Moves(routing.Place(before), routing.Place(after))
			if dryRun {
				fmt.Fprintf(env.Stdout, "%s: cluster %s would be %s (dry run: nothing changed)\n", path, args[0], state)
			} else {
				if err := writeFileKeepMode(path, edited); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "%s: cluster %s is %s\n", path, args[0], state)
			}
			printMoves(env.Stdout, moves)
			return nil
		},
	}
	addInventoryFlag(cmd, &path)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would move without editing the file")
	cmd.ValidArgsFunction = firstArg(completeNames(clusterNames))
	return cmd
}

// writeFileKeepMode replaces path atomically, keeping its permissions.
func writeFileKeepMode(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".shopsets-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
