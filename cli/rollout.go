package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/promotion"
	"github.com/shopset/shopset/rollout"
	"github.com/shopset/shopset/snapshot"
)

func newRollout(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "Show where each tier's rollout stands, from Git and Argo CD's Applications",
		Long: `rollout works with the rollouts of tiers that have a rollout section in
shopsets.yaml: waves of one failure domain each, soaked before the next is released,
halted (and rolled back, where the tier says so) when a ShopSet degrades. It decides
exactly as the generator does, from the repository and the Applications that Argo CD
has now, read with your kubeconfig.`,
	}
	cmd.AddCommand(newRolloutStatus(env))
	return cmd
}

// rolloutReport is rollout status's answer.
type rolloutReport struct {
	Repo      string             `json:"repo"`
	Revision  string             `json:"revision"`
	DecidedAt time.Time          `json:"decidedAt"`
	Notes     []string           `json:"notes,omitempty"`
	Tiers     []rollout.TierPlan `json:"tiers"`
	ShopSets  []rolloutShopSet   `json:"shopsets"`
	Policies  map[string]string  `json:"policies"`
}

// rolloutShopSet is one ShopSet: the revision it is given and what Argo CD reports.
type rolloutShopSet struct {
	Name     string `json:"name"`
	Tier     string `json:"tier"`
	Cluster  string `json:"cluster"`
	Revision string `json:"revision"`
	Live     string `json:"live,omitempty"`
	Sync     string `json:"sync,omitempty"`
	Health   string `json:"health,omitempty"`
}

func newRolloutStatus(env Env) *cobra.Command {
	var (
		repo   repoFlags
		kube   kubeFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "status [TIER]",
		Short: "Show each tier's target, proven revision, waves and halt, and each ShopSet's live state",
		Long: `rollout status prints, per tier (or for TIER): the revision Git pins, the target
(the pin held back to what the tier below has proven), the revision the tier has proven
for the tier above, a freeze, each wave with its state (pending, released, soaking with
the time left, done, halted), a halt with the ShopSet and Argo CD's health message, and
each ShopSet's given revision beside what its Application runs.

  shopctl rollout status --repo https://git.example/platform.git
  shopctl rollout status beta-prod --repo . --context prod-argocd -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			snap, r, cleanup, err := repo.snapshot(ctx)
			if err != nil {
				return err
			}
			defer cleanup()
			if len(args) == 1 {
				if _, err := promotion.FindTier(snap.Inventory, args[0]); err != nil {
					return err
				}
			}
			apps, notes, err := kube.apps(ctx)
			if err != nil {
				return err
			}
			now := time.Now()
			plans, err := snap.PlanRollouts(ctx, snapshot.Ancestry(r), apps, false, now)
			if err != nil {
				return err
			}
			rep := report(snap, plans, apps, notes, now)
			rep.Repo, rep.Revision = repoName(repo.repo), repo.revision
			if len(args) == 1 {
				rep.only(args[0])
			}
			if ok, err := printStructured(env.Stdout, output, rep); ok {
				return err
			}
			return rep.print(env.Stdout)
		},
	}
	repo.add(cmd)
	_ = cmd.MarkFlagRequired("repo")
	kube.add(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text, json or yaml")
	outputs(cmd, "text", "json", "yaml")
	cmd.ValidArgsFunction = firstArg(completeNames(tierNames))
	return cmd
}

func report(snap *snapshot.Snapshot, plans []rollout.TierPlan, apps map[string]rollout.App, notes []string, now time.Time) *rolloutReport {
	rep := &rolloutReport{DecidedAt: now, Notes: notes, Tiers: plans, Policies: map[string]string{}}
	given := map[string]string{}
	for _, p := range plans {
		for n, r := range p.Revisions {
			given[n] = r
		}
	}
	for _, t := range snap.Inventory.Tiers {
		if r := t.Rollout; r != nil {
			rb := "off"
			if r.Rollback {
				rb = "on"
			}
			rep.Policies[t.Name] = fmt.Sprintf("waves by failure domain, soak %s, health timeout %s, rollback %s", r.Soak, r.HealthTimeout, rb)
		}
	}
	for _, p := range snap.Params {
		s := rolloutShopSet{Name: p.Name, Tier: p.Tier, Cluster: p.Cluster.Name, Revision: given[p.Name]}
		if a, ok := apps[p.Name]; ok {
			s.Live, s.Health, s.Sync = a.Revision, a.Health, "OutOfSync"
			if a.Synced {
				s.Sync = "Synced"
			}
		}
		rep.ShopSets = append(rep.ShopSets, s)
	}
	return rep
}

// only keeps one tier.
func (r *rolloutReport) only(tier string) {
	r.Tiers = slices.DeleteFunc(r.Tiers, func(p rollout.TierPlan) bool { return p.Name != tier })
	r.ShopSets = slices.DeleteFunc(r.ShopSets, func(s rolloutShopSet) bool { return s.Tier != tier })
}

func (r *rolloutReport) print(w io.Writer) error {
	var b strings.Builder
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for i, t := range r.Tiers {
		if i > 0 || len(r.Notes) > 0 {
			b.WriteString("\n")
		}
		policy, ok := r.Policies[t.Name]
		if !ok {
			policy = "no rollout: every ShopSet takes the target at once"
		}
		fmt.Fprintf(&b, "TIER %s (%s)\n", t.Name, policy)
		fmt.Fprintf(&b, "  pinned    %.12s\n", t.Pinned)
		target := fmt.Sprintf("%.12s", t.Target)
		if t.Target != t.Pinned {
			target += " (held back to what the tier below has proven)"
		}
		fmt.Fprintf(&b, "  target    %s\n", orDash(target))
		fmt.Fprintf(&b, "  proven    %s\n", orDash(fmt.Sprintf("%.12s", t.Proven)))
		if t.Frozen != "" {
			fmt.Fprintf(&b, "  frozen    %s\n", t.Frozen)
		}
		if t.Halt != nil {
			back := ""
			if t.RolledBack {
				back = " (rolled back)"
			}
			fmt.Fprintf(&b, "  halted    %s%s\n", t.Halt.Reason, back)
		}
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "  note      %s\n", n)
		}
		if t.Rollout && len(t.Waves) > 0 {
			tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  WAVE\tFAILURE DOMAIN\tSHOPS\tSTATE\tSHOPSETS")
			for k, wv := range t.Waves {
				state := string(wv.State)
				if wv.State == rollout.Soaking {
					state += fmt.Sprintf(" (%s left)", wv.SoakLeft.Round(time.Second))
				}
				fmt.Fprintf(tw, "  %d\t%s\t%d\t%s\t%s\n", k+1, wv.FailureDomain, wv.Shops, state, strings.Join(wv.ShopSets, ","))
			}
			tw.Flush()
		}
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  SHOPSET\tCLUSTER\tGIVEN\tLIVE\tSYNC\tHEALTH")
		for _, s := range r.ShopSets {
			if s.Tier != t.Name {
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%.12s\t%s\t%s\t%s\n", s.Name, s.Cluster, s.Revision,
				orDash(fmt.Sprintf("%.12s", s.Live)), orDash(s.Sync), orDash(s.Health))
		}
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}
