package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
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

// list's filters, -o name and --no-headers, as kubectl's habits go.
func TestListFiltersAndFormats(t *testing.T) {
	r := run(t, nil, "list", "-f", exampleInventory, "--tier", "prod", "-o", "name")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "shopset/a-2\nshopset/b-1\nshopset/c-3\n", r.stdout)

	r = run(t, nil, "list", "-f", exampleInventory, "--tier", "dev,beta", "--cluster", "cluster-c", "--no-headers")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "TIER")
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		assert.Contains(t, line, "cluster-c", line)
	}

	r = run(t, nil, "list", "-f", exampleInventory, "--configuration", "prodution")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "error: unknown configuration \"prodution\" (known: production, staging)\n", r.stderr)

	r = run(t, nil, "list", "--bogus")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "error: unknown flag: --bogus\nSee 'shopctl list --help'\n", r.stderr)

	r = run(t, nil, "render", "a-3", "-f", exampleInventory)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "error: shopset \"a-3\" not found in ../examples/shopsets.yaml (did you mean a-1, a-2, c-3?)\n", r.stderr)
}
