package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sigsyaml "sigs.k8s.io/yaml"
)

// Shell completion, through cobra's own __complete entry point as a shell calls it.
func TestCompletion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"render", "-f", exampleInventory, "a-"}, []string{"a-1", "a-2"}},
		{[]string{"cordon", "-f", exampleInventory, ""}, []string{"cluster-a", "cluster-b", "cluster-c"}},
		{[]string{"list", "-f", exampleInventory, "--configuration", ""}, []string{"production", "staging"}},
		{[]string{"list", "-o", ""}, []string{"table", "wide", "name", "json", "yaml"}},
		{[]string{"plan", "-f", exampleInventory, "--cordon", "cluster-"}, []string{"cluster-a", "cluster-b", "cluster-c"}},
	} {
		r := run(t, nil, append([]string{"__complete"}, tc.args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if !strings.HasPrefix(line, ":") {
				got = append(got, line)
			}
		}
		// cobra filters by prefix for most shells; the names offered must be these.
		var want []string
		last := tc.args[len(tc.args)-1]
		for _, w := range tc.want {
			if strings.HasPrefix(w, last) {
				want = append(want, w)
			}
		}
		for _, w := range want {
			assert.Contains(t, got, w, tc.args)
		}
	}

	// promote reads ./shopsets.yaml (it has no -f), and nothing once --repo is given.
	data, err := os.ReadFile(exampleInventory)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shopsets.yaml"), data, 0o644))
	t.Chdir(dir)
	r := run(t, nil, "__complete", "promote", "")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "dev\nbeta\nbeta-prod\nprod\n:4\n")
	r = run(t, nil, "__complete", "promote", "--repo", "https://git.example/x.git", "")
	assert.Equal(t, ":4\n", r.stdout)
}

// -o json and yaml say the same, with kubectl's field names.
func TestStructuredOutputs(t *testing.T) {
	for _, args := range [][]string{
		{"validate", "-f", exampleInventory},
		{"plan", "-f", exampleInventory},
		{"version"},
	} {
		j := run(t, nil, append(args, "-o", "json")...)
		require.Equal(t, 0, j.code, j.stderr)
		y := run(t, nil, append(args, "-o", "yaml")...)
		require.Equal(t, 0, y.code, y.stderr)
		var fromJSON, fromYAML any
		require.NoError(t, json.Unmarshal([]byte(j.stdout), &fromJSON))
		require.NoError(t, sigsyaml.Unmarshal([]byte(y.stdout), &fromYAML))
		assert.Equal(t, fromJSON, fromYAML, args)
	}
	r := run(t, nil, "validate", "-f", exampleInventory, "-o", "json")
	assert.JSONEq(t, `{"file":"../examples/shopsets.yaml","valid":true,"tiers":4,"clusters":3,"configurations":2,"shopsets":9,"shops":10}`, r.stdout)
}

// An output format a command does not print is refused before any work, with the formats
// it does print: a repository that does not exist is never reached.
func TestUnknownOutputFormat(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", "-f", exampleInventory}, "text, json or yaml"},
		{[]string{"validate", "--repo", none}, "text, json or yaml"},
		{[]string{"list", "-f", exampleInventory}, "table, wide, name, json or yaml"},
		{[]string{"plan", "-f", exampleInventory}, "text, json or yaml"},
		{[]string{"status", "--repo", none}, "text, json or yaml"},
		{[]string{"promote", "beta", "--repo", none, "--dry-run"}, "text, json or yaml"},
		{[]string{"rollout", "status", "--repo", none}, "text, json or yaml"},
		{[]string{"version"}, "text, json or yaml"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, nil, append(tc.args, "-o", "bogus")...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.Equal(t, `error: unknown output format "bogus" (want `+tc.want+")\n", r.stderr)
		})
	}
}
