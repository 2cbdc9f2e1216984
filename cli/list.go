package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/routing"
	"github.com/shopset/shopset/snapshot"
)

func newList(env Env) *cobra.Command {
	var (
		path, output string
		repo         repoFlags
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the ShopSets grouped by tier (lowest first), then cluster",
		Long: `list prints the ShopSets of an inventory, grouped by tier (lowest first), then cluster.
With --repo it reads the inventory and the tier branches from Git the way the generator does,
and -o json|yaml prints exactly the generator's parameter sets, pinned revisions included.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if repo.repo != "" {
				snap, _, cleanup, err := repo.snapshot(cmd.Context())
				if err != nil {
					return err
				}
				defer cleanup()
				return printList(env.Stdout, output, snap.Params)
			}
			inv, err := inventory.Load(path)
			if err != nil {
				return err
			}
			return printList(env.Stdout, output, snapshot.Parameters(inv, routing.Place(inv), "", nil))
		},
	}
	addInventoryFlag(cmd, &path)
	repo.add(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: table (default), wide, json or yaml")
	return cmd
}

func printList(w io.Writer, output string, recs []snapshot.Params) error {
	switch output {
	case "", "table", "wide":
		tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
		header := "TIER\tCLUSTER\tNAME\tCONFIGURATION\tNAMESPACE\tCOMPONENTS"
		if output == "wide" {
			header += "\tBRANCH\tREVISION\tSYNC\tFAILURE DOMAIN\tSTATE\tSERVER"
		}
		fmt.Fprintln(tw, header)
		for _, r := range recs {
			components := strings.Join(r.Components, ",")
			if components == "" {
				components = "<none>"
			}
			line := strings.Join([]string{r.Tier, r.Cluster.Name, r.Name, r.Configuration, r.Namespace, components}, "\t")
			if output == "wide" {
				rev := r.Revision
				if len(rev) > 12 {
					rev = rev[:12]
				} else if rev == "" {
					rev = "<branch head>"
				}
				line += "\t" + strings.Join([]string{r.Branch, rev, r.SyncPolicy, r.Cluster.FailureDomain, r.Cluster.State, r.Cluster.Server}, "\t")
			}
			fmt.Fprintln(tw, line)
		}
		return tw.Flush()
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(recs)
	case "yaml":
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(recs); err != nil {
			return err
		}
		return enc.Close()
	default:
		return fmt.Errorf("unknown output format %q (want table, wide, json or yaml)", output)
	}
}
