package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/cli"
	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/internal/gittest"
)

// Long operations say what they do on stderr when it is a terminal, on one line rewritten
// in place and erased at the end; otherwise stderr stays empty. Stdout is the same either way.
func TestProgressOnlyOnATerminal(t *testing.T) {
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(t.TempDir(), "repo"))
	require.NoError(t, err)
	g := gittest.Open(t, repo.Dir)
	data, err := os.ReadFile(exampleInventory)
	require.NoError(t, err)
	g.Branch(t, "rename", "main")
	g.Commit(t, "rename", map[string]string{"shopsets.yaml": strings.Replace(string(data), "name: a-1\n", "name: z-1\n", 1)}, "Rename a-1")

	const erase = "\r\x1b[K"
	for _, tc := range []struct {
		name string
		args []string
		code int
		says []string // on a terminal, in this order
	}{
		{"validate --render", []string{"validate", "--render", "--repo", repo.Dir}, 0,
			[]string{erase + "rendering 1/9: a-1", erase + "rendering 9/9: s-1"}},
		{"diff", []string{"diff", "--repo", repo.Dir, "--base", "main", "--head", "rename"}, 1,
			[]string{erase + "diff: comparing the inputs of 10 ShopSets", erase + "diff: rendering the 2 ShopSets whose inputs differ (2 renders)",
				erase + "diff: checking z-1 against its tier's policies"}},
		{"first fetch of a mirror", []string{"list", "--repo", "file://" + repo.Dir, "-o", "name"}, 0,
			[]string{erase + "fetching file://" + repo.Dir + " into a temporary mirror..."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := runOn(t, false, tc.args...)
			require.Equal(t, tc.code, plain.code, plain.stderr)
			assert.Empty(t, plain.stderr, "no progress when stderr is not a terminal")

			term := runOn(t, true, tc.args...)
			require.Equal(t, tc.code, term.code, term.stderr)
			assert.Equal(t, plain.stdout, term.stdout, "progress never reaches stdout")
			rest := term.stderr
			for _, s := range tc.says {
				i := strings.Index(rest, s)
				require.GreaterOrEqual(t, i, 0, "%q not in %q", s, term.stderr)
				rest = rest[i+len(s):]
			}
			assert.True(t, strings.HasSuffix(term.stderr, erase), "the line is erased at the end: %q", term.stderr)
			assert.NotContains(t, term.stderr, "\n", "progress is one line rewritten in place")
		})
	}
}

func runOn(t *testing.T, terminal bool, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Execute(context.Background(), args, cli.Env{Stdout: &stdout, Stderr: &stderr, StderrIsTerminal: terminal})
	return result{code, stdout.String(), stderr.String()}
}
