package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/installcheck"
	"github.com/shopset/shopset/rollout"
	"github.com/shopset/shopset/snapshot"
)

// kubeFlags say where Argo CD's Applications are read, as kubectl's flags do.
type kubeFlags struct {
	kubeconfig, context, namespace string
}

func (k *kubeFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&k.kubeconfig, "kubeconfig", "", "kubeconfig to read Argo CD's Applications with (default: $KUBECONFIG, ~/.kube/config)")
	f.StringVar(&k.context, "context", "", "the kubeconfig context to use (default: the current one)")
	_ = cmd.RegisterFlagCompletionFunc("context", completeContexts)
	f.StringVarP(&k.namespace, "argocd-namespace", "n", installcheck.DefaultNamespace, "the namespace of Argo CD's Applications")
}

// kubeTimeout bounds reading the Applications.
const kubeTimeout = 30 * time.Second

// apps reads the ShopSets' Applications once, by ShopSet name, with what was seen and
// not acted on.
func (k *kubeFlags) apps(ctx context.Context) (map[string]rollout.App, []string, error) {
	cfg, err := argoapps.ClientConfig(k.kubeconfig, k.context)
	if err != nil {
		return nil, nil, err
	}
	cfg.Timeout = kubeTimeout
	ctx, cancel := context.WithTimeout(ctx, kubeTimeout)
	defer cancel()
	list, err := argoapps.ListOnce(ctx, cfg, k.namespace)
	if err != nil {
		return nil, nil, fmt.Errorf("reading Argo CD's Applications: %w", err)
	}
	apps, notes := argoapps.Index(list)
	return apps, notes, nil
}

// rollouts is what the generator would decide now: every tier's rollout planned over
// snap from the Applications read once, with the Applications and what was noted.
type rollouts struct {
	plans []rollout.TierPlan
	apps  map[string]rollout.App
	notes []string
	at    time.Time
}

func (k *kubeFlags) plan(ctx context.Context, snap *snapshot.Snapshot, repo *gitrepo.Repo) (*rollouts, error) {
	apps, notes, err := k.apps(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	plans, err := snap.PlanRollouts(ctx, snapshot.Ancestry(repo), apps, false, now)
	if err != nil {
		return nil, err
	}
	return &rollouts{plans: plans, apps: apps, notes: append(notes, snap.ActionNotes...), at: now}, nil
}
