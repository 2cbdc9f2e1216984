package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/plan"
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
(served by fewer failure domains than they ask for) or unserved (by no ShopSet at all: plan
then exits 1). With --cordon or --down it shows which shops would move, from which ShopSets
to which, and which would become degraded or unserved.`,
		Example: `  # The update order, placement, and degraded or unserved shops
  shopctl plan

  # What moves if cluster-b is cordoned for an upgrade
  shopctl plan --cordon cluster-b

  # What if cluster-a goes down while cluster-b is cordoned, as JSON
  shopctl plan --down cluster-a --cordon cluster-b -o json

  # The plan of the inventory at main in Git
  shopctl plan --repo .`,
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
			if err := printPlan(env.Stdout, output, p); err != nil {
				return err
			}
			if n := len(p.Unserved); n > 0 {
				return fmt.Errorf("%s no ShopSet would serve: %s", count(n, "shop"), strings.Join(p.Unserved, ", "))
			}
			return nil
		},
	}
	addInventoryFlag(cmd, &path)
	repo.add(cmd, env)
	cmd.Flags().StringArrayVar(&whatIf.Cordon, "cordon", nil, "treat this cluster as cordoned (repeatable)")
	cmd.Flags().StringArrayVar(&whatIf.Down, "down", nil, "treat this cluster as down (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("cordon", completeNames(clusterNames))
	_ = cmd.RegisterFlagCompletionFunc("down", completeNames(clusterNames))
	addOutputFlag(cmd, &output, "", "text", "json", "yaml")
	return cmd
}

func printPlan(w io.Writer, output string, p *plan.Plan) error {
	switch output {
	case "json", "yaml":
		_, err := printStructured(w, output, p)
		return err
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
	if len(p.Unserved) > 0 {
		fmt.Fprintf(w, "\nUNSERVED SHOPS: %s\n", listOrNone(p.Unserved))
	}
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
