package cli

import (
	"context"
	"errors"
	"path"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
)

// Shell completion reads the inventory the command would read: -f (default
// shopsets.yaml), or with a local --repo the inventory at --revision and --path from Git.
// With a URL it offers nothing rather than reach the network from a shell's tab.

// completionTimeout bounds reading a local repository for one tab.
const completionTimeout = 5 * time.Second

// completeContexts offers the contexts of the kubeconfig the command would read
// (--kubeconfig, else $KUBECONFIG or ~/.kube/config).
func completeContexts(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	kubeconfig := ""
	if f := cmd.Flags().Lookup("kubeconfig"); f != nil {
		kubeconfig = f.Value.String()
	}
	names, err := argoapps.Contexts(kubeconfig)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func completeNames(names func(*inventory.Inventory) []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		inv, err := completionInventory(cmd)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return names(inv), cobra.ShellCompDirectiveNoFileComp
	}
}

func completionInventory(cmd *cobra.Command) (*inventory.Inventory, error) {
	value := func(name, def string) string {
		if f := cmd.Flags().Lookup(name); f != nil {
			return f.Value.String()
		}
		return def
	}
	repo := value("repo", "")
	if repo == "" {
		return inventory.Load(value("inventory", defaultInventory))
	}
	if !isLocalRepo(repo) {
		return nil, errNotLocal
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	r, err := gitrepo.OpenLocal(repo)
	if err != nil {
		return nil, err
	}
	commit, err := r.ResolveCommit(ctx, value("revision", inventory.DefaultRevision))
	if err != nil {
		return nil, err
	}
	file := value("path", inventory.DefaultPath)
	data, err := r.ReadFile(ctx, commit, file)
	if err != nil {
		return nil, err
	}
	return inventory.ParseFiles(file, data, func(name string) ([]byte, error) {
		return r.ReadFile(ctx, commit, path.Join(path.Dir(file), name))
	})
}

var errNotLocal = errors.New("--repo is not a local directory")

// exampleNames completes from the bundled example platform, which demo builds.
func exampleNames(names func(*inventory.Inventory) []string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		inv, err := examples.Inventory()
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

// outputs completes -o for a command that checks its formats itself (diff takes "md"
// for markdown without offering it).
func outputs(cmd *cobra.Command, formats ...string) {
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}
