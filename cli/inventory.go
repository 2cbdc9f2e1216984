package cli

import (
	"encoding/json"
	"errors"
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

const defaultInventory = inventory.DefaultPath

func addInventoryFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "inventory", "f", defaultInventory, "path of the inventory (shopsets.yaml)")
}

func newValidate(env Env) *cobra.Command {
	var (
		path      string
		renderAll bool
		repo      repoFlags
	)
	cmd := &cobra.Command{
		Use:         "validate",
		Annotations: map[string]string{isolation: "network"},
		Short:       "Check an inventory; print every problem with file, line and field",
		Long: `validate checks an inventory and prints every problem with file, line and field.

With --repo R it checks R's inventory at --revision (and --path) instead of a file, as the
generator reads it: every tier branch it names must exist. With --render it also renders every ShopSet of R's inventory (at --revision) from
its tier's pinned revision, exactly as the plugin does, and checks the manifests against
the policies/ of that revision, listing every failed render and policy violation:

  shopctl validate --render --repo .`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if renderAll {
				if repo.repo == "" {
					return errors.New("--render needs --repo: ShopSets render from the tier branches in Git")
				}
				return validateRenders(cmd.Context(), env, &repo)
			}
			if repo.repo != "" {
				// What the generator would serve: the inventory at --revision, and every
				// tier branch it names pinned.
				snap, _, cleanup, err := repo.snapshot(cmd.Context())
				if err != nil {
					return err
				}
				cleanup()
				inv := snap.Inventory
				fmt.Fprintf(env.Stdout, "%s: %s at %s (%.12s): valid: %d tiers, %d clusters, %d configurations, %d shopsets, %d shops\n",
					repoName(repo.repo), repo.path, repo.revision, snap.InventoryCommit,
					len(inv.Tiers), len(inv.Clusters), len(inv.Configurations), len(inv.ShopSets), len(inv.Shops))
				return nil
			}
			inv, err := inventory.Load(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s: valid: %d tiers, %d clusters, %d configurations, %d shopsets, %d shops\n",
				path, len(inv.Tiers), len(inv.Clusters), len(inv.Configurations), len(inv.ShopSets), len(inv.Shops))
			return nil
		},
	}
	addInventoryFlag(cmd, &path)
	repo.add(cmd)
	cmd.Flags().BoolVar(&renderAll, "render", false, "with --repo: render every ShopSet at its pinned revision and check the tier's policies")
	cmd.MarkFlagsMutuallyExclusive("inventory", "repo")
	return cmd
}

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
