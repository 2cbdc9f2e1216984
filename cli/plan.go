package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/plan"
	"github.com/shopset/shopset/routing"
)

func newPlan(env Env) *cobra.Command {
	var (
		path, output string
		repo         repoFlags
		whatIf       plan.WhatIf
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show the update order, where shops are placed, and what moves if clusters are cordoned or down",
		Long: `plan prints the order in which the inventory's tiers update (lowest first, with their
clusters and ShopSets), how many shops each ShopSet serves and which shops are degraded
(served by fewer failure domains than they ask for). With --cordon or --down it shows which
shops would move, from which ShopSets to which, and which would become degraded:

  shopctl plan --cordon cluster-b`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inv, err := loadInventory(cmd.Context(), path, &repo)
			if err != nil {
				return err
			}
			p, err := plan.Make(inv, whatIf)
			if err != nil {
				return err
			}
			return printPlan(env.Stdout, output, p)
		},
	}
	addInventoryFlag(cmd, &path)
	repo.add(cmd)
	cmd.Flags().StringArrayVar(&whatIf.Cordon, "cordon", nil, "treat this cluster as cordoned (repeatable)")
	cmd.Flags().StringArrayVar(&whatIf.Down, "down", nil, "treat this cluster as down (repeatable)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: text (default) or json")
	return cmd
}

func printPlan(w io.Writer, output string, p *plan.Plan) error {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	case "", "text":
	default:
		return fmt.Errorf("unknown output format %q (want text or json)", output)
	}
	if p.WhatIf != nil {
		fmt.Fprintf(w, "What if: cordoned %s, down %s\n\n", listOrNone(p.WhatIf.Cordon), listOrNone(p.WhatIf.Down))
	}
	fmt.Fprintln(w, "UPDATE ORDER")
	for _, t := range p.Tiers {
		fmt.Fprintf(w, "%d. %s (%s, %s)\n", t.Index+1, t.Name, t.Branch, t.SyncPolicy)
		for _, c := range t.Clusters {
			fmt.Fprintf(w, "     %s [%s]: %s\n", c.Name, c.State, strings.Join(c.ShopSets, ", "))
		}
	}
	fmt.Fprintln(w, "\nPLACEMENT")
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "SHOPSET\tTIER\tCONFIGURATION\tCLUSTER\tFAILURE DOMAIN\tSTATE\tSHOPS\tDEGRADED")
	for _, s := range p.ShopSets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", s.Name, s.Tier, s.Configuration, s.Cluster, s.FailureDomain, s.State, s.Shops, s.DegradedShops)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nDEGRADED SHOPS: %s\n", listOrNone(p.Degraded))
	if p.WhatIf != nil {
		printMoves(w, p.Moves)
		fmt.Fprintf(w, "\nNEWLY DEGRADED: %s\n", listOrNone(p.NewlyDegraded))
	}
	return nil
}

func printMoves(w io.Writer, moves []plan.Move) {
	fmt.Fprintf(w, "\nMOVES (%d shops)\n", len(moves))
	if len(moves) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "SHOP\tFROM\tTO\tLEAVES\tJOINS")
	for _, m := range moves {
		to := listOrNone(m.To)
		if m.DegradedAfter {
			to += " (degraded)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Host, listOrNone(m.From), to, listOrNone(m.Removed), listOrNone(m.Added))
	}
	_ = tw.Flush()
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "<none>"
	}
	return strings.Join(s, ",")
}

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
		Long: verb + `. The inventory file is edited in place: only the cluster's state
changes, comments and layout stay. Commit and open a pull request: Argo CD does the rest.
The shops that move are printed.`,
		Args: cobra.ExactArgs(1),
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
			edited, err := inventory.SetClusterState(path, data, args[0], state)
			if err != nil {
				return err
			}
			after, err := inventory.ParseFiles(path, edited, readNext)
			if err != nil {
				return err
			}
			moves := plan.Moves(routing.Place(before), routing.Place(after))
			if !dryRun {
				if err := writeFileKeepMode(path, edited); err != nil {
					return err
				}
			}
			fmt.Fprintf(env.Stdout, "%s: cluster %s is %s\n", path, args[0], state)
			printMoves(env.Stdout, moves)
			return nil
		},
	}
	addInventoryFlag(cmd, &path)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would move without editing the file")
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
