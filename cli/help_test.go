package cli_test

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/cli"
)

// Every command's --help has examples, and every example is a command line shopctl
// accepts: the command exists, its flags exist and go together, its arguments count.
func TestEveryCommandHasExamplesThatParse(t *testing.T) {
	var walk func(*cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		// cobra's own help and completion commands are not ours to document.
		if c.Name() == "help" || c.Name() == "completion" {
			return
		}
		seen++
		t.Run(c.CommandPath(), func(t *testing.T) {
			require.NotEmpty(t, c.Example, "%s has no examples", c.CommandPath())
			invoked := 0
			for _, line := range exampleLines(c.Example) {
				words := shellWords(t, line)
				if cmd := parseExample(t, words); strings.HasPrefix(cmd.CommandPath()+" ", c.CommandPath()+" ") {
					invoked++
				}
			}
			assert.NotZero(t, invoked, "no example of %s runs it:\n%s", c.CommandPath(), c.Example)
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cli.Command(cli.Env{}))
	assert.Greater(t, seen, 15, "the walk reached the command tree")
}

// exampleLines gives the shopctl command lines of an Example: comments and other
// programs left out, continued lines joined, each cut at a pipe.
func exampleLines(example string) []string {
	var out []string
	joined := strings.ReplaceAll(example, "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		_, call, ok := strings.Cut(line, "shopctl ")
		if !ok {
			continue
		}
		call, _, _ = strings.Cut(call, "|")
		out = append(out, call)
	}
	return out
}

// shellWords splits as a shell does for what examples use: spaces, double quotes.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var (
		words   []string
		cur     strings.Builder
		quoted  bool
		hasWord bool
	)
	for _, r := range line {
		switch {
		case r == '"':
			quoted, hasWord = !quoted, true
		case r == ' ' && !quoted:
			if hasWord {
				words = append(words, cur.String())
			}
			cur.Reset()
			hasWord = false
		default:
			cur.WriteRune(r)
			hasWord = true
		}
	}
	require.False(t, quoted, "unbalanced quote in %q", line)
	if hasWord {
		words = append(words, cur.String())
	}
	return words
}

// parseExample checks words the way cobra would before running the command.
func parseExample(t *testing.T, words []string) *cobra.Command {
	t.Helper()
	cmd, rest, err := cli.Command(cli.Env{}).Find(words)
	require.NoError(t, err, words)
	require.True(t, cmd.Runnable(), "%v: %s runs nothing", words, cmd.CommandPath())
	require.NoError(t, cmd.ParseFlags(rest), words)
	require.NoError(t, cmd.ValidateArgs(cmd.Flags().Args()), words)
	require.NoError(t, cmd.ValidateRequiredFlags(), words)
	require.NoError(t, cmd.ValidateFlagGroups(), words)
	return cmd
}
