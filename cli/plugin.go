package cli

import (
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/plugin"
)

const pluginExample = `  # What the sidecar runs, by hand, in a checkout of a ShopSet's tier branch
  ARGOCD_ENV_SHOPSET_NAME=a-1 ARGOCD_ENV_SHOPSET_TIER=beta-prod \
    ARGOCD_ENV_SHOPSET_CONFIGURATION=production ARGOCD_ENV_SHOPSET_CLUSTER=cluster-a \
    shopctl plugin generate`

func newPlugin(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "plugin",
		Short:   "Argo CD Config Management Plugin commands (run by the sidecar)",
		Example: pluginExample,
	}
	group(cmd)
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
		Example: pluginExample,
		Args:    cobra.NoArgs,
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
