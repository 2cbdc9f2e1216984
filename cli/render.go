package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/policy"
	"github.com/shopset/shopset/render"
	"github.com/shopset/shopset/routing"
)

// renderOptions are shopctl render's flags.
type renderOptions struct {
	path, dir   string
	showOverlay bool
	repo        repoFlags
	routing     bool
	cluster     string
	namespace   string
	preview     string // a topic branch, rendered as its preview
	name        string // the ShopSet, the one argument
}

func newRender(env Env) *cobra.Command {
	var o renderOptions
	cmd := &cobra.Command{
		Use:         "render NAME",
		Annotations: map[string]string{isolation: "network"},
		Short:       "Render a ShopSet's manifests from a checkout of its tier branch",
		Long: `Render prints the manifests of ShopSet NAME, byte for byte what Argo CD's shopset
plugin gives for its Application, from a checkout of the ShopSet's tier branch (--dir).
Pipe it to kubectl to review or apply by hand.

With --repo it reads the inventory at --revision and the ShopSet's tier content at its
pinned revision from Git, exactly as the generator and the plugin do.

With --preview BRANCH and --repo it renders the preview of a topic branch instead, at the
branch's head with the inventory's previews settings, as the plugin does for its
Application.

With --routing it renders the routing table (a ConfigMap) for --cluster instead, as the
plugin does for a routing Application.

When the tier content has policies/, the manifests are checked as the plugin checks them:
a deny fails the render with every violation listed and prints no manifests; warnings
and exemptions go to stderr.`,
		Example: `  # From a checkout of the ShopSet's tier branch, compared with the cluster
  git worktree add /tmp/prod tier/prod
  shopctl render a-2 --dir /tmp/prod | kubectl diff -f -

  # Straight from Git, as Argo CD renders it, applied by hand during an outage
  shopctl render a-2 --repo https://git.example/platform.git | kubectl apply --server-side -f -

  # The kustomization synthesised for the ShopSet
  shopctl render a-2 --overlay

  # The preview of a topic branch, as its Application renders it
  shopctl render --preview preview/checkout-redesign --repo .

  # The routing table of cluster-a
  shopctl render --routing --cluster cluster-a -f shopsets.yaml`,
		Args: oneName("ShopSet name", "shopctl render NAME", true),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.name = args[0]
			}
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context(), env)
		},
	}
	addInventoryFlag(cmd, &o.path)
	o.repo.add(cmd, env)
	f := cmd.Flags()
	f.StringVarP(&o.dir, "dir", "d", ".", "checkout of the ShopSet's tier branch")
	f.BoolVar(&o.routing, "routing", false, "render the routing table ConfigMap instead of a ShopSet")
	f.StringVar(&o.preview, "preview", "", "with --repo: render the preview of this topic branch instead of a ShopSet")
	f.StringVar(&o.cluster, "cluster", "", "with --routing: the cluster the routing table is for")
	f.StringVar(&o.namespace, "namespace", routing.DefaultNamespace, "with --routing: the ConfigMap's namespace")
	f.BoolVar(&o.showOverlay, "overlay", false, "print the kustomization synthesised for the ShopSet instead of its manifests\n(it builds with `kustomize build` from "+render.OverlayDir+"/ beside apps/)")
	cmd.ValidArgsFunction = firstArg(completeNames(shopSetNames))
	_ = cmd.RegisterFlagCompletionFunc("cluster", completeNames(clusterNames))
	cmd.MarkFlagsMutuallyExclusive("inventory", "repo")
	cmd.MarkFlagsMutuallyExclusive("routing", "overlay")
	cmd.MarkFlagsMutuallyExclusive("routing", "dir")
	cmd.MarkFlagsMutuallyExclusive("routing", "preview")
	cmd.MarkFlagsMutuallyExclusive("preview", "dir")
	cmd.MarkFlagsMutuallyExclusive("preview", "inventory")
	return cmd
}

// validate says what is missing or does not go together, in the words of the command.
func (o *renderOptions) validate() error {
	switch {
	case o.routing && o.name != "":
		return fmt.Errorf("--routing renders a cluster's routing table, not a ShopSet: drop %q (shopctl render --routing --cluster C)", o.name)
	case o.routing && o.cluster == "":
		return errors.New("--routing needs --cluster: the routing table is per cluster (shopctl render --routing --cluster C)")
	case o.preview != "" && o.name != "":
		return fmt.Errorf("--preview renders a topic branch's preview, not a ShopSet: drop %q (shopctl render --preview BRANCH --repo R)", o.name)
	case o.preview != "" && o.repo.repo == "":
		return errors.New("--preview needs --repo: a preview is rendered from its branch in Git (shopctl render --preview BRANCH --repo R)")
	case o.preview != "":
		return nil
	case !o.routing && o.name == "":
		return errors.New("a ShopSet name is required: shopctl render NAME")
	case !o.routing && o.cluster != "":
		return errors.New("--cluster goes with --routing; a ShopSet's cluster comes from the inventory")
	}
	return nil
}

func (o *renderOptions) run(ctx context.Context, env Env) error {
	if o.routing {
		inv, previews, err := routingInputs(ctx, o.path, &o.repo)
		if err != nil {
			return err
		}
		out, err := routing.Render(inv, o.cluster, o.namespace, previews)
		if err != nil {
			return err
		}
		_, err = env.Stdout.Write(out)
		return err
	}
	if o.preview != "" {
		return renderPreview(ctx, env, &o.repo, o.preview, o.showOverlay)
	}
	if o.repo.repo != "" {
		return renderFromRepo(ctx, env, &o.repo, o.name, o.showOverlay)
	}
	inv, err := inventory.Load(o.path)
	if err != nil {
		return err
	}
	s, ok := inv.ShopSet(o.name)
	if !ok {
		return fmt.Errorf("shopset %q not found in %s%s", o.name, o.path, didYouMean(inv.SimilarShopSets(o.name)))
	}
	if o.showOverlay {
		out, err := render.Overlay(render.FromInventory(inv, s))
		if err != nil {
			return err
		}
		_, err = env.Stdout.Write(out)
		return err
	}
	root, err := os.OpenRoot(o.dir)
	if err != nil {
		return fmt.Errorf("shopset %q: opening checkout: %w", s.Name, err)
	}
	defer root.Close()
	out, res, err := policy.Render(ctx, root.FS(), render.FromInventory(inv, s))
	res.Report(env.Stderr, s.Name)
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(out)
	return err
}

func renderFromRepo(ctx context.Context, env Env, f *repoFlags, name string, showOverlay bool) error {
	snap, repo, cleanup, err := f.snapshot(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	s, ok := snap.Inventory.ShopSet(name)
	if !ok {
		return fmt.Errorf("shopset %q not found in %s at %s%s", name, f.path, f.revision, didYouMean(snap.Inventory.SimilarShopSets(name)))
	}
	tier, _ := snap.Tier(s.Tier)
	return renderAt(ctx, env, repo, tier.Branch, tier.Pinned, render.FromInventory(snap.Inventory, s), showOverlay)
}

// renderAt renders params from the repository at commit (of branch, for messages), checked
// against the policies there, as the plugin does; or prints the overlay.
func renderAt(ctx context.Context, env Env, repo *gitrepo.Repo, branch, commit string, params render.ShopSet, showOverlay bool) error {
	if showOverlay {
		out, err := render.Overlay(params)
		if err != nil {
			return err
		}
		_, err = env.Stdout.Write(out)
		return err
	}
	tree, err := repo.Tree(ctx, commit)
	if err != nil {
		return fmt.Errorf("shopset %q: reading %s at %.12s: %w", params.Name, branch, commit, err)
	}
	out, res, err := policy.Render(ctx, tree, params)
	res.Report(env.Stderr, params.Name)
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(out)
	return err
}

// renderPreview renders a topic branch's preview from its head, whether or not the time
// serves it now (it may have expired or be past the maximum): what its Application
// renders while it is served.
func renderPreview(ctx context.Context, env Env, f *repoFlags, branch string, showOverlay bool) error {
	snap, repo, cleanup, err := f.snapshot(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	set := snap.Inventory.Previews
	if set == nil {
		return fmt.Errorf("%s at %s has no previews section: no branch is previewed", f.path, f.revision)
	}
	p, skipped, ok := snap.Previews.Find(branch)
	switch {
	case skipped != nil:
		return fmt.Errorf("branch %q is not previewed (%s): %s", branch, skipped.Reason, skipped.Detail)
	case !ok && !set.Matches(branch):
		return fmt.Errorf("branch %q does not match previews.branches %q", branch, set.Branches)
	case !ok:
		return fmt.Errorf("branch %q not found in %s", branch, repo.URL())
	}
	return renderAt(ctx, env, repo, branch, p.Revision, p.RenderInput(), showOverlay)
}

// routingInputs reads the inventory from the file, or from --repo with the previews the
// generator serves now, as a routing Application's parameter set names them.
func routingInputs(ctx context.Context, path string, repo *repoFlags) (*inventory.Inventory, []string, error) {
	if repo.repo == "" {
		inv, err := inventory.Load(path)
		return inv, nil, err
	}
	snap, _, cleanup, err := repo.snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer cleanup()
	params, _, err := snap.RoutingAt(time.Now())
	if err != nil || len(params) == 0 {
		return snap.Inventory, nil, err
	}
	return snap.Inventory, params[0].Previews, nil
}

// loadInventory reads the inventory from --repo (at --revision) or from the file path.
func loadInventory(ctx context.Context, path string, repo *repoFlags) (*inventory.Inventory, error) {
	if repo.repo == "" {
		return inventory.Load(path)
	}
	m, _, cleanup, err := repo.model(ctx)
	if err != nil {
		return nil, err
	}
	cleanup()
	return m.Inventory, nil
}

// didYouMean suggests names, or says nothing when there are none.
func didYouMean(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(names, ", ") + "?)"
}
