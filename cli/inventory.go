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
)

const defaultInventory = "shopsets.yaml"

func addInventoryFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "inventory", "f", defaultInventory, "path of the inventory (shopsets.yaml)")
}

func newValidate(env Env) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check an inventory; print every problem with file, line and field",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
	return cmd
}

// ClusterRecord is a cluster as list -o json|yaml prints it.
type ClusterRecord struct {
	Name          string `json:"name" yaml:"name"`
	Server        string `json:"server" yaml:"server"`
	FailureDomain string `json:"failureDomain" yaml:"failureDomain"`
	State         string `json:"state" yaml:"state"`
}

// ShopSetRecord is a ShopSet with its tier and cluster resolved, as list -o json|yaml
// prints it.
type ShopSetRecord struct {
	Name          string        `json:"name" yaml:"name"`
	Namespace     string        `json:"namespace" yaml:"namespace"`
	Tier          string        `json:"tier" yaml:"tier"`
	TierIndex     int           `json:"tierIndex" yaml:"tierIndex"`
	Branch        string        `json:"branch" yaml:"branch"`
	Configuration string        `json:"configuration" yaml:"configuration"`
	Components    []string      `json:"components" yaml:"components"`
	Cluster       ClusterRecord `json:"cluster" yaml:"cluster"`
}

func records(inv *inventory.Inventory) []ShopSetRecord {
	out := []ShopSetRecord{}
	for _, s := range inv.Sorted() {
		tier, idx, _ := inv.Tier(s.Tier)
		cl, _ := inv.Cluster(s.Cluster)
		out = append(out, ShopSetRecord{
			Name: s.Name, Namespace: s.Namespace, Tier: s.Tier, TierIndex: idx, Branch: tier.Branch,
			Configuration: s.Configuration, Components: append([]string{}, s.Components...),
			Cluster: ClusterRecord{Name: cl.Name, Server: cl.Server, FailureDomain: cl.FailureDomain, State: string(cl.State)},
		})
	}
	return out
}

func newList(env Env) *cobra.Command {
	var path, output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the ShopSets grouped by tier (lowest first), then cluster",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inv, err := inventory.Load(path)
			if err != nil {
				return err
			}
			return printList(env.Stdout, output, records(inv))
		},
	}
	addInventoryFlag(cmd, &path)
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: table (default), wide, json or yaml")
	return cmd
}

func printList(w io.Writer, output string, recs []ShopSetRecord) error {
	switch output {
	case "", "table", "wide":
		tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
		header := "TIER\tCLUSTER\tNAME\tCONFIGURATION\tNAMESPACE\tCOMPONENTS"
		if output == "wide" {
			header += "\tBRANCH\tFAILURE DOMAIN\tSTATE\tSERVER"
		}
		fmt.Fprintln(tw, header)
		for _, r := range recs {
			components := strings.Join(r.Components, ",")
			if components == "" {
				components = "<none>"
			}
			line := strings.Join([]string{r.Tier, r.Cluster.Name, r.Name, r.Configuration, r.Namespace, components}, "\t")
			if output == "wide" {
				line += "\t" + strings.Join([]string{r.Branch, r.Cluster.FailureDomain, r.Cluster.State, r.Cluster.Server}, "\t")
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
