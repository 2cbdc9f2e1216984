package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/gitrepo"
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
		Example: `  # Where every tier's rollout stands
  shopctl rollout status --repo .

  # Go on with a halted rollout once its cause is fixed
  shopctl rollout resume beta-prod --repo . --reason "the database migration finished" --push`,
	}
	group(cmd)
	cmd.AddCommand(newRolloutStatus(env), newRolloutAction(env, rollout.Resume), newRolloutAction(env, rollout.Retry))
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
each ShopSet's given revision beside what its Application runs.`,
		Example: `  # Every tier, from the repository's URL and the current kubeconfig context
  shopctl rollout status --repo https://git.example/platform.git

  # One tier as JSON, reading the Applications through another context
  shopctl rollout status beta-prod --repo . --context prod-argocd -o json`,
		Args: oneName("tier name", "shopctl rollout status [TIER]", true),
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
			ro, err := kube.plan(ctx, snap, r)
			if err != nil {
				return err
			}
			rep := report(snap, ro)
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
	repo.add(cmd, env)
	_ = cmd.MarkFlagRequired("repo")
	kube.add(cmd)
	addOutputFlag(cmd, &output, "", "text", "json", "yaml")
	cmd.ValidArgsFunction = firstArg(completeNames(tierNames))
	return cmd
}

func report(snap *snapshot.Snapshot, ro *rollouts) *rolloutReport {
	rep := &rolloutReport{DecidedAt: ro.at, Notes: ro.notes, Tiers: ro.plans, Policies: map[string]string{}}
	apps := ro.apps
	given := map[string]string{}
	for _, p := range ro.plans {
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

// rolloutActionOptions are shopctl rollout resume|retry's flags and argument.
type rolloutActionOptions struct {
	kind         string
	repo         repoFlags
	kube         kubeFlags
	tier, reason string
	remote       string
	dryRun, push bool
}

func newRolloutAction(env Env, kind string) *cobra.Command {
	o := rolloutActionOptions{kind: kind}
	what := map[string]string{
		rollout.Resume: `resume ends the halt of TIER's rollout and goes on from where it stopped: what
halted it (a rollback, a health timeout) no longer counts, the halted wave gets the target
again, waves already soaked stay done, and a health timeout counts from now.`,
		rollout.Retry: `retry ends the halt of TIER's rollout and starts it again: what halted it (a
rollback, a health timeout) no longer counts, and every wave soaks again from now, in order,
the halted wave getting the target again when its turn comes.`,
	}[kind]
	cmd := &cobra.Command{
		Use:   kind + " TIER",
		Short: map[string]string{rollout.Resume: "End a halted rollout and go on from where it stopped", rollout.Retry: "End a halted rollout and start it again from the first wave"}[kind],
		Long: what + `

It says what it will do first. The decision is a commit on the inventory's branch (by
default main) with the trailer ` + map[string]string{rollout.Resume: snapshot.ResumeTrailer, rollout.Retry: snapshot.RetryTrailer}[kind] + `: TIER COMMIT, reviewed and
shared like any change; every generator replica reads it from Git. A ShopSet that is still
Degraded at the target halts the rollout again.`,
		Example: `  # What ` + kind + ` would do, changing nothing
  shopctl rollout ` + kind + ` beta-prod --repo . --dry-run

  # Record it on main and push it
  shopctl rollout ` + kind + ` beta-prod --repo . --reason "the database migration finished" --push`,
		Args: oneName("tier name", "shopctl rollout "+kind+" TIER", false),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.tier = args[0]
			return o.run(cmd, env)
		},
	}
	o.repo.add(cmd, env)
	_ = cmd.MarkFlagRequired("repo")
	o.kube.add(cmd)
	f := cmd.Flags()
	f.StringVar(&o.reason, "reason", "", "why: goes into the commit message")
	f.BoolVar(&o.dryRun, "dry-run", false, "say what would be done and change nothing")
	f.BoolVar(&o.push, "push", false, "push the commit to the remote (fast-forward only)")
	f.StringVar(&o.remote, "remote", "origin", "with a local --repo: the remote --push pushes to")
	cmd.ValidArgsFunction = firstArg(completeNames(tierNames))
	return cmd
}

func (o *rolloutActionOptions) run(cmd *cobra.Command, env Env) error {
	ctx := cmd.Context()
	local := isLocalRepo(o.repo.repo)
	if !local && !o.push && !o.dryRun {
		return errors.New("--repo is not a local directory: " + o.kind + " works on a temporary mirror of it, so it needs --push (or --dry-run)")
	}
	snap, r, cleanup, err := o.repo.snapshot(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	k, err := promotion.FindTier(snap.Inventory, o.tier)
	if err != nil {
		return err
	}
	if snap.Inventory.Tiers[k].Rollout == nil {
		return fmt.Errorf("tier %q has no rollout (shopsets.yaml: tiers[%d].rollout): there is nothing to %s", o.tier, k, o.kind)
	}
	ro, err := o.kube.plan(ctx, snap, r)
	if err != nil {
		return err
	}
	p := ro.plans[k]
	if p.Halt == nil {
		return fmt.Errorf("the rollout of %.12s on %s is not halted: there is nothing to %s (shopctl rollout status %s)", p.Target, o.tier, o.kind, o.tier)
	}
	var b strings.Builder
	verb := map[string]string{rollout.Resume: "Resume", rollout.Retry: "Retry"}[o.kind]
	fmt.Fprintf(&b, "%s the rollout of %.12s on %s, halted: %s\n", verb, p.Target, o.tier, p.Halt.Reason)
	b.WriteString(describeAction(o.kind, p, ro.apps))
	msg := snapshot.ActionMessage(o.kind, o.tier, p.Target, o.reason)
	branch := o.repo.revision
	if o.dryRun {
		fmt.Fprintf(&b, "\nDry run: nothing was changed. The commit on %s would say:\n\n%s", branch, indent(msg))
		_, err := io.WriteString(env.Stdout, b.String())
		return err
	}
	_, said, err := record(ctx, r, &o.repo, snap.InventoryCommit, msg, local, o.push, o.remote)
	if err != nil {
		return err
	}
	b.WriteString("\n" + said)
	_, err = io.WriteString(env.Stdout, b.String())
	return err
}

// record makes an empty commit with msg on the inventory's branch (at head), moves the
// branch in a local repository and, with push, pushes it; it says what it did. The
// branch checked out in the person's own work tree is not moved: without push that is an
// error that gives the commit to make there.
func record(ctx context.Context, r *gitrepo.Repo, f *repoFlags, head, msg string, local, push bool, remote string) (id, said string, err error) {
	branch := f.revision
	if id, err = r.CommitEmpty(ctx, head, msg); err != nil {
		return "", "", err
	}
	if local && !push {
		// Refused before anything is written when the branch is checked out.
		if err := r.UpdateBranch(ctx, branch, id, head); errors.Is(err, gitrepo.ErrCheckedOut) {
			return "", "", fmt.Errorf("%s is checked out in %s, so shopctl does not move it; make the commit there:\n\n  git commit --allow-empty -F - <<'EOF'\n%sEOF\n\nor run again with --push",
				branch, f.repo, msg)
		} else if err != nil {
			return "", "", err
		}
		return id, fmt.Sprintf("Committed %.12s on %s in %s. Nothing changes until it is pushed: git push %s %s\n", id, branch, f.repo, remote, branch), nil
	}
	if err := r.Push(ctx, remote, branch, id, head); err != nil {
		return "", "", err
	}
	said = fmt.Sprintf("Committed %.12s on %s and pushed it: the generator acts on it at its next refresh.\n", id, branch)
	if local {
		switch err := r.UpdateBranch(ctx, branch, id, head); {
		case errors.Is(err, gitrepo.ErrCheckedOut):
			said += fmt.Sprintf("%s is checked out in %s and did not move: git pull --ff-only %s %s\n", branch, f.repo, remote, branch)
		case err != nil:
			return "", "", fmt.Errorf("pushed %s, but the local branch was not moved: %w", branch, err)
		}
	}
	return id, said, nil
}

// describeAction says what resume or retry will do to the tier's waves.
func describeAction(kind string, p rollout.TierPlan, apps map[string]rollout.App) string {
	var b strings.Builder
	for i, w := range p.Waves {
		var state string
		switch {
		case kind == rollout.Retry && w.State != rollout.Pending:
			state = "soaks again from now"
			if w.State == rollout.Halted {
				state = "gets the target again"
			}
			if i == 0 {
				state += " (the first wave)"
			}
		case w.State == rollout.Halted:
			state = "gets the target again"
		case w.State == rollout.Done:
			state = "stays done"
		case w.State == rollout.Pending:
			state = "follows when the waves before it have soaked"
		default:
			state = "goes on (" + string(w.State) + ")"
		}
		fmt.Fprintf(&b, "  wave %d (%s: %s) %s\n", i+1, w.FailureDomain, strings.Join(w.ShopSets, ", "), state)
		for _, n := range w.ShopSets {
			if a, ok := apps[n]; ok && a.Revision == p.Target && a.Health == rollout.Degraded {
				fmt.Fprintf(&b, "  warning: %s is still Degraded at %.12s: the rollout will halt again\n", n, p.Target)
			}
		}
	}
	return b.String()
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n") + "\n"
}
