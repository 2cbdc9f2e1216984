package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/offline"
)

// Env is what a command may touch of the process it runs in.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Isolate, when set, is called before a command that renders checkouts written by
	// others: main takes the process off the network with it (offline.Enforce). Tests
	// share one process with other work and leave it nil, or record the call.
	Isolate func(...offline.Option)
	// StderrIsTerminal says Stderr is a terminal: long operations (validate --render,
	// diff, fetching a repository's mirror) then show their progress there.
	StderrIsTerminal bool
}

// troubleExit is the annotation of a command whose errors exit with a code other than 1
// (diff: 2, as diff(1) does), flag and argument errors included.
const troubleExit = "shopset.io/trouble-exit"

// isolation is the annotation of a command that renders untrusted checkouts: "network"
// takes the process off the network, "network,exec" also keeps it from starting
// programs by name (for the plugin, which starts none; the others run git themselves).
const isolation = "shopset.io/isolation"

func isolate(env Env, cmd *cobra.Command) {
	if env.Isolate == nil {
		return
	}
	switch cmd.Annotations[isolation] {
	case "network":
		env.Isolate()
	case "network,exec":
		env.Isolate(offline.NoExec)
	}
}

// Execute runs shopctl with args and returns the process exit code: 0 on success, 1 on
// any error (printed to Stderr as one "error: ..." message), or the code of an
// *ExitError a command returns (diff: 1 for differences, 2 for trouble).
func Execute(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	root := Command(env)
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			printError(env.Stderr, exit.Err)
		}
		return exit.Code
	}
	printError(env.Stderr, err)
	if code, convErr := strconv.Atoi(cmd.Annotations[troubleExit]); convErr == nil {
		return code
	}
	return 1
}

// printError prints one "error: " line per problem, like kubectl: an inventory with
// several problems gets them all, each with its file:line:column.
func printError(w io.Writer, err error) {
	var many problems
	if errors.As(err, &many) {
		for _, e := range many {
			printError(w, e)
		}
		return
	}
	var invErrs inventory.Errors
	if errors.As(err, &invErrs) {
		for _, e := range invErrs {
			fmt.Fprintf(w, "error: %v\n", e)
		}
		return
	}
	fmt.Fprintf(w, "error: %v\n", err)
}

// Command returns shopctl's command tree, for tests and documentation to inspect.
func Command(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "shopctl",
		Short: "Run ShopSets on Argo CD: validate, list and render them, and serve Argo CD's plugins",
		Long: `shopctl validates and lists the ShopSets of a shopsets.yaml inventory and renders any
ShopSet's manifests exactly as Argo CD's shopset plugin does, so a person can review or
apply by hand anything the platform does.`,
		Example: `  # Check the inventory and list its ShopSets
  shopctl validate
  shopctl list -o wide

  # Render a ShopSet as Argo CD does, straight from Git
  shopctl render a-2 --repo https://git.example/platform.git

  # Try it all on the bundled example platform
  shopctl demo`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			isolate(env, cmd)
		},
	}
	group(root)
	// Like kubectl: a flag error says where to look.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w\nSee '%s --help'", err, c.CommandPath())
	})
	root.AddCommand(
		newValidate(env),
		newList(env),
		newRender(env),
		newPlugin(env),
		newDemo(env),
		newGenerator(env),
		newPlan(env),
		newCordon(env, "cordon", inventory.StateCordoned),
		newCordon(env, "uncordon", inventory.StateActive),
		newStatus(env),
		newPromote(env),
		newRollout(env),
		newDiff(env),
		newPolicy(env),
		newVersion(env),
		newCheck(env),
	)
	return root
}

func openRoot(dir string) (*os.Root, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening checkout: %w", err)
	}
	return root, nil
}
