package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/installcheck"
	"github.com/shopset/shopset/installcheck/cluster"
	"github.com/shopset/shopset/manifests"
)

// checkOptions are shopctl check's flags.
type checkOptions struct {
	kubeconfig, context, namespace string
	pre                            bool
	output                         string
}

func newCheck(env Env) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check that shopset's install in Argo CD's namespace can work",
		Long: `check reads the cluster (read only, with your kubeconfig) and checks shopset's install in
Argo CD's namespace against the install's own files (manifests/):

  Argo CD      its Application, ApplicationSet and AppProject CRDs served at
               argoproj.io/v1alpha1; the repo-server Deployment with Argo CD's container
               first; Argo CD's version (shopset supports v2.14 and v3.x); the volumes the
               sidecar mounts; argocd-cmd-params-cm and what shopset sets in it
  plugin       the shopset-cmp sidecar in the repo-server, its command, user, volume
               mounts and volumes as manifests/argocd's patch adds them; the plugin.yaml
               ConfigMap it reads
  generator    its Deployment (and whether replicas are available), its --argocd-namespace
               and --repo, the one release the sidecar and the generator run, its
               Service, the plugin generator's ConfigMap whose baseUrl must reach that
               Service, and its Secret (the keys used, the label Argo CD needs, no
               example values left)
  AppProject   shopsets

Each failure and warning says what to do. With --pre, only what shopset's install needs of
Argo CD is checked: run it before installing. It exits 1 when any check fails; warnings
do not fail it.`,
		Example: `  # After the install (README, Install): every check, in namespace argocd
  shopctl check

  # Before installing shopset: is Argo CD there, in a version shopset supports?
  shopctl check --pre

  # Argo CD in another namespace, on another cluster of the kubeconfig, as JSON
  shopctl check -n gitops --context prod-eu -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), env)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig to read the cluster with (default: $KUBECONFIG, ~/.kube/config)")
	f.StringVar(&o.context, "context", "", "the kubeconfig context to use (default: the current one)")
	_ = cmd.RegisterFlagCompletionFunc("context", completeContexts)
	f.StringVarP(&o.namespace, "namespace", "n", installcheck.DefaultNamespace, "Argo CD's namespace, where shopset is installed")
	f.BoolVar(&o.pre, "pre", false, "check only what shopset's install needs of Argo CD, before installing it")
	addOutputFlag(cmd, &o.output, " (json and yaml: every check)", "text", "json", "yaml")
	return cmd
}

func (o *checkOptions) run(ctx context.Context, env Env) error {
	want, err := installcheck.Load(manifests.FS)
	if err != nil {
		return err
	}
	cfg, err := argoapps.ClientConfig(o.kubeconfig, o.context)
	if err != nil {
		return err
	}
	cfg.Timeout = kubeTimeout
	clients, err := cluster.New(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, kubeTimeout)
	defer cancel()
	state, err := cluster.Read(ctx, clients, o.namespace, want, o.pre)
	if err != nil {
		return fmt.Errorf("reading the cluster: %w", err)
	}
	report := installcheck.Check(state, want, o.pre)
	ok, err := printStructured(env.Stdout, o.output, report)
	if !ok {
		err = report.WriteText(env.Stdout)
	}
	if err != nil {
		return err
	}
	if report.Failed > 0 {
		return &ExitError{Code: 1, Err: fmt.Errorf("%d of %d checks failed", report.Failed, len(report.Checks))}
	}
	return nil
}
