package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/routing"
	"github.com/shopset/shopset/snapshot"
)

func newList(env Env) *cobra.Command {
	var (
		path, output string
		repo         repoFlags
		noHeaders    bool
		previews     bool
		filter       listFilter
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the ShopSets grouped by tier (lowest first), then cluster",
		Long: `list prints the ShopSets of an inventory, grouped by tier (lowest first), then cluster.
With --repo it reads the inventory and the tier branches from Git the way the generator does,
and -o json|yaml prints exactly the generator's parameter sets, pinned revisions included.
--tier, --cluster and --configuration select, as the generator's filters do; -o name
prints shopset/NAME lines for scripts.

--previews (with --repo) lists the previews of topic branches instead, as the generator
serves them now (kind previews), newest first; the matching branches left out, and why,
go to stderr.`,
		Example: `  # Every ShopSet, grouped by tier, then cluster
  shopctl list

  # The prod tier, with branches, revisions, failure domains and servers
  shopctl list --tier prod -o wide

  # What the generator serves for cluster-a, pinned revisions included
  shopctl list --repo . --cluster cluster-a -o json

  # Names only, for scripts
  shopctl list --configuration staging -o name

  # The previews of topic branches, and why others are not previewed
  shopctl list --repo . --previews -o wide

  # Count the ShopSets of two tiers
  shopctl list --tier dev,beta --no-headers | wc -l`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var (
				inv    *inventory.Inventory
				params []snapshot.Params
			)
			if previews {
				return listPreviews(cmd, env, &repo, filter, output, noHeaders)
			}
			if repo.repo != "" {
				snap, _, cleanup, err := repo.snapshot(cmd.Context())
				if err != nil {
					return err
				}
				defer cleanup()
				inv, params = snap.Inventory, snap.Params
			} else {
				var err error
				if inv, err = inventory.Load(path); err != nil {
					return err
				}
				params = snapshot.Parameters(inv, routing.Place(inv), "", nil)
			}
			selected, err := filter.apply(inv, params)
			if err != nil {
				return err
			}
			return printList(env.Stdout, output, noHeaders, selected)
		},
	}
	addInventoryFlag(cmd, &path)
	repo.add(cmd, env)
	f := cmd.Flags()
	f.BoolVar(&noHeaders, "no-headers", false, "with table and wide: print no header line")
	f.BoolVar(&previews, "previews", false, "with --repo: list the previews of topic branches instead of the ShopSets")
	f.StringSliceVar(&filter.tiers, "tier", nil, "only these tiers (repeatable, or comma-separated)")
	f.StringSliceVar(&filter.clusters, "cluster", nil, "only these clusters")
	f.StringSliceVar(&filter.configurations, "configuration", nil, "only these configurations")
	cmd.MarkFlagsMutuallyExclusive("inventory", "repo")
	cmd.MarkFlagsMutuallyExclusive("previews", "inventory")
	_ = cmd.RegisterFlagCompletionFunc("tier", completeNames(tierNames))
	_ = cmd.RegisterFlagCompletionFunc("cluster", completeNames(clusterNames))
	_ = cmd.RegisterFlagCompletionFunc("configuration", completeNames(configurationNames))
	addOutputFlag(cmd, &output, "", "table", "wide", "name", "json", "yaml")
	return cmd
}

// listPreviews prints the previews the generator serves now, and on stderr the matching
// branches it leaves out.
func listPreviews(cmd *cobra.Command, env Env, repo *repoFlags, filter listFilter, output string, noHeaders bool) error {
	switch {
	case repo.repo == "":
		return errors.New("--previews needs --repo: previews are topic branches in Git (shopctl list --previews --repo R)")
	case len(filter.tiers)+len(filter.clusters)+len(filter.configurations) > 0:
		return errors.New("--previews takes no --tier, --cluster or --configuration: previews run on the inventory's previews cluster with its configuration")
	}
	snap, _, cleanup, err := repo.snapshot(cmd.Context())
	if err != nil {
		return err
	}
	defer cleanup()
	if snap.Inventory.Previews == nil {
		return fmt.Errorf("%s at %s has no previews section: no branch is previewed", repo.path, repo.revision)
	}
	served := snap.Previews.At(time.Now())
	if err := printList(env.Stdout, output, noHeaders, nonNilParams(served.Params)); err != nil {
		return err
	}
	for _, s := range served.Skipped {
		fmt.Fprintf(env.Stderr, "not previewed: %s (%s): %s\n", s.Branch.Name, s.Reason, s.Detail)
	}
	return nil
}

func nonNilParams(p []snapshot.Params) []snapshot.Params {
	if p == nil {
		return []snapshot.Params{}
	}
	return p
}

// listFilter selects ShopSets as the generator's filters do: every name must be in the
// inventory, so a typo is an error rather than an empty list.
type listFilter struct{ tiers, clusters, configurations []string }

func (f listFilter) apply(inv *inventory.Inventory, params []snapshot.Params) ([]snapshot.Params, error) {
	for _, check := range []struct {
		what         string
		names, known []string
	}{{"tier", f.tiers, tierNames(inv)}, {"cluster", f.clusters, clusterNames(inv)}, {"configuration", f.configurations, configurationNames(inv)}} {
		for _, n := range check.names {
			if !slices.Contains(check.known, n) {
				return nil, fmt.Errorf("unknown %s %q (known: %s)", check.what, n, strings.Join(check.known, ", "))
			}
		}
	}
	match := func(names []string, v string) bool { return len(names) == 0 || slices.Contains(names, v) }
	out := make([]snapshot.Params, 0, len(params))
	for _, p := range params {
		if match(f.tiers, p.Tier) && match(f.clusters, p.Cluster.Name) && match(f.configurations, p.Configuration) {
			out = append(out, p)
		}
	}
	return out, nil
}

func printList(w io.Writer, output string, noHeaders bool, recs []snapshot.Params) error {
	switch output {
	case "name":
		for _, r := range recs {
			if _, err := fmt.Fprintf(w, "shopset/%s\n", r.Name); err != nil {
				return err
			}
		}
		return nil
	case "", "table", "wide":
		tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
		header := "TIER\tCLUSTER\tNAME\tCONFIGURATION\tNAMESPACE\tCOMPONENTS"
		if output == "wide" {
			header += "\tBRANCH\tREVISION\tSYNC\tFAILURE DOMAIN\tSTATE\tSERVER"
		}
		if !noHeaders {
			fmt.Fprintln(tw, header)
		}
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
	case "json", "yaml":
		_, err := printStructured(w, output, recs)
		return err
	default:
		return fmt.Errorf("unknown output format %q (want table, wide, name, json or yaml)", output)
	}
}
