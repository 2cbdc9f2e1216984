package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/policy"
	"github.com/shopset/shopset/render"
	"github.com/shopset/shopset/review"
)

const policyExample = `  # Test the policies of tier dev's branch
  git worktree add /tmp/dev tier/dev
  shopctl policy test --dir /tmp/dev`

func newPolicy(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "policy",
		Short:   "Work with the Rego policies of a tier checkout",
		Example: policyExample,
	}
	group(cmd)
	var dir string
	test := &cobra.Command{
		Use:         "test",
		Annotations: map[string]string{isolation: "network"},
		Short:       "Run the Rego unit tests in policies/ of a tier checkout, as opa test does",
		Long: `test compiles the policies in ` + policy.Dir + `/ of the checkout at --dir with the same
restrictions as a render (no http.send, opa.runtime or net.*) and runs their unit tests:
the test_* rules, usually in *_test.rego files. It prints PASS, FAIL or ERROR per test
and exits 1 if any test does not pass.`,
		Example: policyExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyTests(cmd.Context(), env.Stdout, dir)
		},
	}
	test.Flags().StringVarP(&dir, "dir", "d", ".", "checkout of a tier branch")
	cmd.AddCommand(test)
	return cmd
}

func runPolicyTests(ctx context.Context, w io.Writer, dir string) error {
	root, err := openRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if info, err := root.Stat(policy.Dir); err != nil || !info.IsDir() {
		return fmt.Errorf("%s: no %s/ directory", dir, policy.Dir)
	}
	results, err := policy.Test(ctx, root.FS(), policy.Dir)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("%s/%s: no tests (test_* rules) found", dir, policy.Dir)
	}
	failed := 0
	for _, r := range results {
		outcome := "PASS"
		switch {
		case r.Err != nil:
			outcome = "ERROR"
		case !r.Pass:
			outcome = "FAIL"
		}
		line := fmt.Sprintf("%s %s (%s)", outcome, r.Name, r.Location)
		if r.Err != nil {
			line += ": " + r.Err.Error()
		}
		fmt.Fprintln(w, line)
		if !r.Pass {
			failed++
			for _, l := range strings.Split(strings.TrimRight(string(r.Output), "\n"), "\n") {
				if l != "" {
					fmt.Fprintln(w, "    "+l)
				}
			}
		}
	}
	fmt.Fprintf(w, "%d/%d passed\n", len(results)-failed, len(results))
	if failed > 0 {
		return fmt.Errorf("%d of %d policy tests failed", failed, len(results))
	}
	return nil
}

// checkouts reads each commit's tree once and compiles its policies once, for commands
// that render and check many ShopSets of a few tier commits.
type checkouts struct {
	trees   *review.Trees
	commits map[string]checkout
}

type checkout struct {
	tree fs.FS
	loaded
}

// get returns commit's tree and its policies; an error reading the tree is returned, one
// loading the policies is kept for each render to report (see loaded.render).
func (c *checkouts) get(ctx context.Context, commit string) (fs.FS, loaded, error) {
	if co, ok := c.commits[commit]; ok {
		return co.tree, co.loaded, nil
	}
	tree, err := c.trees.Tree(ctx, commit)
	if err != nil {
		return nil, loaded{}, err
	}
	co := checkout{tree: tree}
	co.policies, co.err = policy.LoadCheckout(tree)
	if c.commits == nil {
		c.commits = map[string]checkout{}
	}
	c.commits[commit] = co
	return tree, co.loaded, nil
}

// loaded is a checkout's policies, or why they did not load.
type loaded struct {
	policies *policy.Policies
	err      error
}

// render is policy.Render with the policies compiled once per commit.
func (l loaded) render(ctx context.Context, tree fs.FS, s render.ShopSet) ([]byte, policy.Result, error) {
	if l.err != nil {
		return nil, policy.Result{}, fmt.Errorf("shopset %q: %w", s.Name, l.err)
	}
	return policy.RenderWith(ctx, tree, l.policies, s)
}

// check is policy.CheckManifests with the policies compiled once per commit.
func (l loaded) check(ctx context.Context, m render.Manifests, s render.ShopSet) (policy.Result, error) {
	if l.err != nil {
		return policy.Result{}, fmt.Errorf("shopset %q: %w", s.Name, l.err)
	}
	return policy.CheckManifests(ctx, l.policies, m, s)
}

// problems is several errors printed one "error: " line each (see printError).
type problems []error

func (p problems) Error() string { return errors.Join(p...).Error() }

// policyCheck is one head-side ShopSet of a diff checked against its tier's policies.
type policyCheck struct {
	name, tier, cluster string
	res                 policy.Result
	err                 error // a *policy.DeniedError, or the trouble checking
}

// checkHeadPolicies checks, on the head side of a diff, every ShopSet whose manifests
// differ, every ShopSet whose parameters as policies see them changed (a configuration's
// maxMemoryLimit in the inventory) and every ShopSet of a tier whose revision moved (its
// policies may have): what the plugin would refuse once the change is merged.
func checkHeadPolicies(ctx context.Context, trees *review.Trees, report *review.Report, progress *progress) []policyCheck {
	inReport := map[string]bool{}
	for _, s := range report.ShopSets {
		if s.Head != nil {
			inReport[s.Name] = true
		}
	}
	baseParams := map[string]map[string]any{}
	for _, s := range report.Base.Inventory.ShopSets {
		baseParams[s.Name] = policy.Params(render.FromInventory(report.Base.Inventory, s))
	}
	head := report.Head
	commits := checkouts{trees: trees}
	var out []policyCheck
	for _, t := range head.Inventory.Tiers {
		for _, s := range head.Inventory.ShopSets {
			if s.Tier != t.Name {
				continue
			}
			commit := head.Revisions[t.Name]
			params := render.FromInventory(head.Inventory, s)
			if !inReport[s.Name] && report.Base.Revisions[t.Name] == commit &&
				reflect.DeepEqual(baseParams[s.Name], policy.Params(params)) {
				continue
			}
			c := policyCheck{name: s.Name, tier: s.Tier, cluster: s.Cluster}
			progress.say("diff: checking %s against its tier's policies", s.Name)
			tree, policies, err := commits.get(ctx, commit)
			if err != nil {
				c.err = fmt.Errorf("shopset %q: reading %s at %.12s: %w", s.Name, t.Branch, commit, err)
				out = append(out, c)
				continue
			}
			if m, ok := report.HeadManifests[s.Name]; ok {
				c.res, c.err = policies.check(ctx, m, params) // rendered by the diff already
			} else {
				_, c.res, c.err = policies.render(ctx, tree, params)
			}
			if c.err != nil || len(c.res.Warn) > 0 || len(c.res.Exempt) > 0 {
				out = append(out, c)
			}
		}
	}
	return out
}

// policyFailures counts the checks that failed.
func policyFailures(checks []policyCheck) int {
	n := 0
	for _, c := range checks {
		if c.err != nil {
			n++
		}
	}
	return n
}

// writePolicyChecks prints the head side's policy violations after a diff's report.
func writePolicyChecks(w io.Writer, checks []policyCheck, markdown bool) error {
	if len(checks) == 0 {
		return nil
	}
	var b strings.Builder
	if markdown {
		b.WriteString("\n#### Policies (head side)\n\n| ShopSet | Tier | Cluster | Result |\n|---|---|---|---|\n")
		for _, c := range checks {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.name, c.tier, c.cluster, policyOutcome(c))
		}
		for _, c := range checks {
			fmt.Fprintf(&b, "\n<details><summary><code>%s</code>: %s</summary>\n\n```\n", c.name, policyOutcome(c))
			writePolicyLines(&b, c, "")
			b.WriteString("```\n\n</details>\n")
		}
	} else {
		b.WriteString("\n# policies (head side)\n")
		for _, c := range checks {
			fmt.Fprintf(&b, "%s (tier %s, cluster %s): %s\n", c.name, c.tier, c.cluster, policyOutcome(c))
			writePolicyLines(&b, c, "  ")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func policyOutcome(c policyCheck) string {
	var denied *policy.DeniedError
	switch {
	case errors.As(c.err, &denied):
		return fmt.Sprintf("denied (%d violation(s))", len(denied.Violations))
	case c.err != nil:
		return "error"
	case len(c.res.Warn) > 0:
		return fmt.Sprintf("passes with %d warning(s)", len(c.res.Warn))
	}
	return "passes"
}

func writePolicyLines(b *strings.Builder, c policyCheck, indent string) {
	var denied *policy.DeniedError
	switch {
	case errors.As(c.err, &denied):
		for _, v := range denied.Violations {
			fmt.Fprintf(b, "%sdeny: %s\n", indent, v)
		}
	case c.err != nil:
		fmt.Fprintf(b, "%serror: %v\n", indent, c.err)
	}
	for _, v := range c.res.Warn {
		fmt.Fprintf(b, "%swarn: %s\n", indent, v)
	}
	for _, v := range c.res.Exempt {
		fmt.Fprintf(b, "%sexempted (%s): %s\n", indent, v.Exempted, v)
	}
}
