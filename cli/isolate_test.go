package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/cli"
	"github.com/shopset/shopset/offline"
)

// TestRenderingCommandsAreIsolated proves that every command that renders a checkout
// asks to be taken off the network before it runs (main passes offline.Enforce), the
// plugin also off exec, and that the others are left alone.
func TestRenderingCommandsAreIsolated(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" not isolated, "network", "network,exec"
	}{
		{[]string{"plugin", "generate"}, "network,exec"},
		{[]string{"render", "a-1", "-f", exampleInventory, "--dir", "."}, "network"},
		{[]string{"validate", "-f", exampleInventory}, "network"},
		{[]string{"diff", "--repo", "."}, "network"},
		{[]string{"demo", "--keep", "/nonexistent/x"}, "network"},
		{[]string{"policy", "test", "--dir", "."}, "network"},
		{[]string{"list", "-f", exampleInventory}, ""},
		{[]string{"plan", "-f", exampleInventory}, ""},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			got := ""
			var out bytes.Buffer
			cli.Execute(context.Background(), tc.args, cli.Env{
				Stdout: &out, Stderr: &out,
				Isolate: func(opts ...offline.Option) {
					got = "network"
					for _, o := range opts {
						if o == offline.NoExec {
							got += ",exec"
						}
					}
				},
			})
			assert.Equal(t, tc.want, got, out.String())
		})
	}
}

func TestVersion(t *testing.T) {
	r := run(t, nil, "version", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var info map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &info))
	for _, k := range []string{"version", "commit", "date", "goVersion"} {
		assert.NotEmpty(t, info[k], k)
	}
	r = run(t, nil, "version")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^shopctl \S+\ncommit \S+.*\ndate \S+\ngo1\.`, r.stdout)
}
