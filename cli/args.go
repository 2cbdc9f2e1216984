package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// oneName checks the arguments of a command that takes one name, saying what is
// missing or extra in the command's own words rather than cobra's "accepts 1 arg(s)".
// With optional, no name is fine too (render checks that itself, with its flags).
func oneName(what, usage string, optional bool) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == 0 && !optional:
			return fmt.Errorf("%s is required: %s", article(what), usage)
		case len(args) > 1:
			return fmt.Errorf("one %s, not %d (%s): %s", what, len(args), strings.Join(args, " "), usage)
		}
		return nil
	}
}

func article(what string) string {
	if strings.ContainsRune("aeiou", rune(what[0])) {
		return "an " + what
	}
	return "a " + what
}

// group makes cmd a command that only holds others: alone it prints its help, as kubectl
// rollout does, and a word that is none of its commands is an error, not its help.
func group(cmd *cobra.Command) {
	cmd.SuggestionsMinimumDistance = 2 // cobra's own default, which SuggestionsFor does not apply
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += " (did you mean " + strings.Join(s, ", ") + "?)"
		}
		return fmt.Errorf("%s\nSee '%s --help'", msg, cmd.CommandPath())
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
}
