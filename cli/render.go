package cli

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/plugin"
	"github.com/shopset/shopset/policy"
	"github.com/shopset/shopset/render"
	"github.com/shopset/shopset/routing"
)

func newRender(env Env) *cobra.Command {
	var (
		path, dir   string
		showOverlay bool
		repo        repoFlags
		routingOpts struct {
			on                 bool
			cluster, namespace string
		}
	)
	cmd := &cobra.Command{
		Use:         "render NAME",
		Annotations: map[string]string{isolation: "network"},
		Short:       "Render a ShopSet's manifests from a checkout of its tier branch",
		Long: `Render prints the manifests of ShopSet NAME, byte for byte what Argo CD's shopset
plugin gives for its Application, from a checkout of the ShopSet's tier branch (--dir).
Pipe it to kubectl to review or apply by hand:

  git worktree add /tmp/prod tier/prod
  shopctl render a-2 --dir /tmp/prod | kubectl diff -f -

With --repo it reads the inventory at --revision and the ShopSet's tier content at its
pinned revision from Git, exactly as the generator and the plugin do:

  shopctl render a-2 --repo https://git.example/platform.git | kubectl apply --server-side -f -

With --routing it renders the routing table (a ConfigMap) for --cluster instead, as the
plugin does for a routing Application:

  shopctl render --routing --cluster cluster-a -f shopsets.yaml

When the tier content has policies/, the manifests are checked as the plugin checks them:
a deny fails the render with every violation listed and prints no manifests; warnings
and exemptions go to stderr.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if routingOpts.on {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if routingOpts.on {
				inv, err := loadInventory(cmd.Context(), path, &repo)
				if err != nil {
					return err
				}
				out, err := routing.Render(inv, routingOpts.cluster, routingOpts.namespace)
				if err != nil {
					return err
				}
				_, err = env.Stdout.Write(out)
				return err
			}
			if repo.repo != "" {
				return renderFromRepo(cmd.Context(), env, &repo, args[0], showOverlay)
			}
			inv, err := inventory.Load(path)
			if err != nil {
				return err
			}
			s, ok := inv.ShopSet(args[0])
			if !ok {
				return fmt.Errorf("shopset %q not found in %s", args[0], path)
			}
			if showOverlay {
				out, err := render.Overlay(render.FromInventory(inv, s))
				if err != nil {
					return err
				}
				_, err = env.Stdout.Write(out)
				return err
			}
			root, err := os.OpenRoot(dir)
			if err != nil {
				return fmt.Errorf("shopset %q: opening checkout: %w", s.Name, err)
			}
			defer root.Close()
			out, res, err := policy.Render(cmd.Context(), root.FS(), render.FromInventory(inv, s))
			res.Report(env.Stderr, s.Name)
			if err != nil {
				return err
			}
			_, err = env.Stdout.Write(out)
			return err
		},
	}
	addInventoryFlag(cmd, &path)
	repo.add(cmd)
	cmd.Flags().StringVarP(&dir, "dir", "d", ".", "checkout of the ShopSet's tier branch")
	cmd.Flags().BoolVar(&routingOpts.on, "routing", false, "render the routing table ConfigMap instead of a ShopSet")
	cmd.Flags().StringVar(&routingOpts.cluster, "cluster", "", "with --routing: the cluster the routing table is for")
	cmd.Flags().StringVar(&routingOpts.namespace, "namespace", routing.DefaultNamespace, "with --routing: the ConfigMap's namespace")
	cmd.Flags().BoolVar(&showOverlay, "overlay", false, "print the kustomization synthesised for the ShopSet instead of its manifests\n(it builds with `kustomize build` from "+render.OverlayDir+"/ beside apps/)")
	return cmd
}

func renderFromRepo(ctx context.Context, env Env, f *repoFlags, name string, showOverlay bool) error {
	snap, repo, cleanup, err := f.snapshot(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	s, ok := snap.Inventory.ShopSet(name)
	if !ok {
		return fmt.Errorf("shopset %q not found in %s at %s", name, f.path, f.revision)
	}
	params := render.FromInventory(snap.Inventory, s)
	if showOverlay {
		out, err := render.Overlay(params)
		if err != nil {
			return err
		}
		_, err = env.Stdout.Write(out)
		return err
	}
	tier, _ := snap.Tier(s.Tier)
	tree, err := repo.Tree(ctx, tier.Pinned)
	if err != nil {
		return fmt.Errorf("shopset %q: reading %s at %.12s: %w", name, tier.Branch, tier.Pinned, err)
	}
	out, res, err := policy.Render(ctx, tree, params)
	res.Report(env.Stderr, name)
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(out)
	return err
}

func newPlugin(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "Argo CD Config Management Plugin commands (run by the sidecar)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:         "generate",
		Annotations: map[string]string{isolation: "network,exec"},
		Short:       "Render the Application's ShopSet from the current directory (the CMP generate command)",
		Long: `generate is the command plugin.yaml runs in Argo CD's CMP sidecar. The working
directory is the checkout Argo CD streamed; the ShopSet comes from the Application's
plugin env or plugin parameters:

  plugin env                     plugin parameter     required
  SHOPSET_NAME                   name                 yes
  SHOPSET_TIER                   tier                 yes
  SHOPSET_CONFIGURATION          configuration        yes
  SHOPSET_CLUSTER                cluster              yes
  SHOPSET_NAMESPACE              namespace            no (default shopset-<name>)
  SHOPSET_COMPONENTS             components           no (env: comma-separated; parameter: array)
  SHOPSET_MAX_MEMORY_LIMIT       maxMemoryLimit       no (a quantity such as 10Gi, for the policies)
  SHOPSET_ALLOW_CLUSTER_SCOPED   allowClusterScoped   no (default none; env: comma-separated; parameter: array)

SHOPSET_ALLOW_CLUSTER_SCOPED is the inventory's allowClusterScoped: the kinds (Namespace,
ClusterRole, ...) the ShopSet may render as cluster-scoped objects. Any other cluster-scoped
object fails the render.

Argo CD passes plugin env as ARGOCD_ENV_<name> and parameters as ARGOCD_APP_PARAMETERS;
nothing else of the environment is read. Manifests go to stdout only on success.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// One render, then exit: collecting garbage would cost more than it frees. The
			// soft limit still collects before a sidecar's memory limit is reached.
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
			return plugin.Generate(cmd.Context(), env.Getenv, ".", env.Stdout, env.Stderr)
		},
	})
	return cmd
}

// loadInventory reads the inventory from --repo (at --revision) or from the file path.
func loadInventory(ctx context.Context, path string, repo *repoFlags) (*inventory.Inventory, error) {
	if repo.repo == "" {
		return inventory.Load(path)
	}
	snap, _, cleanup, err := repo.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	cleanup()
	return snap.Inventory, nil
}
