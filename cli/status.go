package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/promotion"
)

// maxListed bounds the commits status and promote print per list.
const maxListed = 20

func newStatus(env Env) *cobra.Command {
	var (
		repo   repoFlags
		kube   kubeFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each tier's head, pinned revision, commits waiting to be promoted and held commits",
		Long: `status prints every tier, lowest first: its branch head, the revision its ShopSets
deploy (pinned to what the tier below carries), the commits that wait in the tier below to
be promoted into it (shopctl promote TIER), the commits held because they were pushed
straight to the tier's branch, and the tier's ShopSets by cluster. A tier that a freeze
holds says so. When a tier has a rollout, status also reads Argo CD's Applications with
your kubeconfig and shows each tier's target, proven revision, waves and halt (shopctl
rollout status has the detail); without access to them it says so and shows the rest.`,
		Example: `  # Every tier of the platform's repository
  shopctl status --repo https://git.example/platform.git

  # As JSON, with the rollouts read through another kubeconfig context
  shopctl status --repo . --context prod-argocd -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			snap, r, cleanup, err := repo.snapshot(cmd.Context())
			if err != nil {
				return err
			}
			defer cleanup()
			now := time.Now()
			tiers := promotion.Status(snap, now)
			if snap.HasRollouts() {
				ro, err := kube.plan(cmd.Context(), snap, r)
				if err != nil {
					fmt.Fprintf(env.Stderr, "warning: rollouts not shown: %v\n", err)
				} else {
					promotion.WithRollouts(tiers, ro.plans)
				}
			}
			if ok, err := printStructured(env.Stdout, output, tiers); ok {
				return err
			}
			return printStatus(env.Stdout, tiers)
		},
	}
	repo.add(cmd, env)
	cmd.MarkFlagRequired("repo")
	kube.add(cmd)
	addOutputFlag(cmd, &output, "", "text", "json", "yaml")
	return cmd
}

func printStatus(w io.Writer, tiers []promotion.TierStatus) error {
	var b strings.Builder
	for i, t := range tiers {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "TIER %s (branch %s)\n", t.Name, t.Branch)
		fmt.Fprintf(&b, "  head      %.12s\n", t.Head)
		fmt.Fprintf(&b, "  pinned    %.12s\n", t.Pinned)
		switch {
		case t.Below == "":
			fmt.Fprintf(&b, "  waiting   - (the lowest tier: changes land on %s)\n", t.Branch)
		case len(t.Waiting) == 0:
			fmt.Fprintf(&b, "  waiting   none: %s carries everything %s runs\n", t.Branch, t.Below)
		default:
			fmt.Fprintf(&b, "  waiting   %s%s in %s (shopctl promote %s)\n", count(len(t.Waiting), "commit"), more(t.WaitingCut), t.Below, t.Name)
			writeCommits(&b, "            ", t.Waiting)
		}
		if t.Frozen != "" {
			fmt.Fprintf(&b, "  frozen    %s\n", t.Frozen)
		}
		if p := t.Rollout; p != nil {
			target := fmt.Sprintf("%.12s", p.Target)
			if p.Target != p.Pinned {
				target += fmt.Sprintf(" (held back: %s has not proven more)", orDash(t.Below))
			}
			fmt.Fprintf(&b, "  target    %s\n", orDash(target))
			fmt.Fprintf(&b, "  proven    %s\n", orDash(fmt.Sprintf("%.12s", p.Proven)))
			if p.Rollout {
				var waves []string
				for _, w := range p.Waves {
					waves = append(waves, w.FailureDomain+" "+string(w.State))
				}
				fmt.Fprintf(&b, "  waves     %s (shopctl rollout status %s)\n", strings.Join(waves, ", "), t.Name)
			}
			if p.Halt != nil {
				fmt.Fprintf(&b, "  halted    %s\n", p.Halt.Reason)
			}
		}
		if len(t.Held) == 0 {
			b.WriteString("  held      none\n")
		} else {
			fmt.Fprintf(&b, "  held      %s%s pushed straight to %s, not deployed until %s carries them\n", count(len(t.Held), "commit"), more(t.HeldCut), t.Branch, orDash(t.Below))
			writeCommits(&b, "            ", t.Held)
		}
		if len(t.ShopSets) == 0 {
			b.WriteString("  shopsets  none\n")
		}
		var clusters []string
		byCluster := map[string][]string{}
		for _, s := range t.ShopSets {
			if byCluster[s.Cluster] == nil {
				clusters = append(clusters, s.Cluster)
			}
			byCluster[s.Cluster] = append(byCluster[s.Cluster], s.Name)
		}
		for j, c := range clusters {
			label := "          "
			if j == 0 {
				label = "shopsets  "
			}
			fmt.Fprintf(&b, "  %s%s: %s\n", label, c, strings.Join(byCluster[c], ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCommits(b *strings.Builder, indent string, commits []gitrepo.Commit) {
	for i, c := range commits {
		if i == maxListed {
			fmt.Fprintf(b, "%s... and %d more\n", indent, len(commits)-maxListed)
			break
		}
		fmt.Fprintf(b, "%s%.12s %s\n", indent, c.ID, c.Subject)
	}
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// more marks a count that a cut list only starts.
func more(cut bool) string {
	if cut {
		return " or more"
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
