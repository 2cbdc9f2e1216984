package cli

import (
	"github.com/spf13/cobra"

	"github.com/shopset/shopset/inventory"
)

// Shell completion reads the inventory file the command would read (-f, default
// shopsets.yaml); with --repo it offers nothing rather than reach Git from a shell's tab.

func completeNames(names func(*inventory.Inventory) []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if f := cmd.Flags().Lookup("repo"); f != nil && f.Value.String() != "" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		path := defaultInventory
		if f := cmd.Flags().Lookup("inventory"); f != nil {
			path = f.Value.String()
		}
		inv, err := inventory.Load(path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return names(inv), cobra.ShellCompDirectiveNoFileComp
	}
}

func shopSetNames(inv *inventory.Inventory) []string {
	out := make([]string, 0, len(inv.ShopSets))
	for _, s := range inv.ShopSets {
		out = append(out, s.Name)
	}
	return out
}

func tierNames(inv *inventory.Inventory) []string {
	out := make([]string, 0, len(inv.Tiers))
	for _, t := range inv.Tiers {
		out = append(out, t.Name)
	}
	return out
}

func clusterNames(inv *inventory.Inventory) []string {
	out := make([]string, 0, len(inv.Clusters))
	for _, c := range inv.Clusters {
		out = append(out, c.Name)
	}
	return out
}

func configurationNames(inv *inventory.Inventory) []string {
	out := make([]string, 0, len(inv.Configurations))
	for _, c := range inv.Configurations {
		out = append(out, c.Name)
	}
	return out
}

// firstArg completes the first argument only.
func firstArg(f cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f(cmd, args, toComplete)
	}
}

// outputs completes -o with the formats a command takes.
func outputs(cmd *cobra.Command, formats ...string) {
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}
