package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/internal/gittest"
)

// Shell completion, through cobra's own __complete entry point as a shell calls it: the
// names come from the inventory the command would read, -f or a local --repo.
func TestCompletion(t *testing.T) {
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(t.TempDir(), "repo"))
	require.NoError(t, err)
	// Main's inventory differs from ./shopsets.yaml: completion must read the one --repo names.
	g := gittest.Open(t, repo.Dir)
	data, err := os.ReadFile(exampleInventory)
	require.NoError(t, err)
	g.Commit(t, "main", map[string]string{"shopsets.yaml": strings.Replace(string(data), "name: a-1\n", "name: z-1\n", 1)}, "Rename a-1")
	example, err := filepath.Abs(exampleInventory)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shopsets.yaml"), data, 0o644))
	t.Chdir(dir)

	shopSets := []string{"a-1", "a-2", "b-1", "b-2", "c-1", "c-3", "c-4", "c-2", "s-1"}
	atMain := append([]string{"z-1"}, shopSets[1:]...)
	tiers := []string{"dev", "beta", "beta-prod", "prod"}
	clusters := []string{"cluster-a", "cluster-b", "cluster-c"}
	textJSONYAML := []string{"text", "json", "yaml"}
	kube := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(kube, []byte(`apiVersion: v1
kind: Config
clusters: [{name: a, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: me, user: {token: t}}]
contexts: [{name: prod-eu, context: {cluster: a, user: me}}, {name: dev, context: {cluster: a, user: me}}]
current-context: dev
`), 0o600))
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"render", "-f", example, ""}, shopSets},
		{[]string{"render", ""}, shopSets},
		{[]string{"render", "a-1", ""}, nil},
		{[]string{"render", "--repo", repo.Dir, ""}, atMain},
		{[]string{"render", "--repo", repo.Dir, "--revision", "main~1", ""}, shopSets},
		{[]string{"render", "--repo", repo.Dir, "--revision", "no-such-branch", ""}, nil},
		{[]string{"render", "--repo", "https://git.example/x.git", ""}, nil},
		{[]string{"render", "--routing", "--cluster", ""}, clusters},
		{[]string{"cordon", "-f", example, ""}, clusters},
		{[]string{"uncordon", ""}, clusters},
		{[]string{"list", "-f", example, "--configuration", ""}, []string{"production", "staging"}},
		{[]string{"list", "--tier", ""}, tiers},
		{[]string{"list", "--repo", repo.Dir, "--cluster", ""}, clusters},
		{[]string{"plan", "-f", example, "--cordon", ""}, clusters},
		{[]string{"plan", "--down", ""}, clusters},
		{[]string{"promote", "--repo", repo.Dir, ""}, tiers},
		{[]string{"promote", ""}, tiers},
		{[]string{"promote", "--repo", "https://git.example/x.git", ""}, nil},
		{[]string{"rollout", "status", "--repo", repo.Dir, ""}, tiers},
		{[]string{"rollout", "resume", "--repo", repo.Dir, ""}, tiers},
		{[]string{"rollout", "retry", ""}, tiers},
		{[]string{"diff", "--repo", repo.Dir, "--promote", ""}, tiers},
		{[]string{"diff", "--repo", repo.Dir, "--tier", ""}, tiers},
		{[]string{"demo", "--shopset", ""}, shopSets},
		{[]string{"list", "-o", ""}, []string{"table", "wide", "name", "json", "yaml"}},
		{[]string{"validate", "-o", ""}, textJSONYAML},
		{[]string{"plan", "-o", ""}, textJSONYAML},
		{[]string{"status", "-o", ""}, textJSONYAML},
		{[]string{"promote", "-o", ""}, textJSONYAML},
		{[]string{"rollout", "status", "-o", ""}, textJSONYAML},
		{[]string{"version", "-o", ""}, textJSONYAML},
		{[]string{"diff", "-o", ""}, []string{"text", "markdown"}},
		{[]string{"check", "--kubeconfig", kube, "--context", ""}, []string{"dev", "prod-eu"}},
		{[]string{"status", "--kubeconfig", kube, "--context", ""}, []string{"dev", "prod-eu"}},
		{[]string{"rollout", "status", "--kubeconfig", kube, "--context", ""}, []string{"dev", "prod-eu"}},
		{[]string{"check", "--kubeconfig", filepath.Join(dir, "none"), "--context", ""}, nil},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, nil, append([]string{"__complete"}, tc.args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			// The last line is the directive: no file names, whatever is offered.
			assert.Equal(t, ":4", lines[len(lines)-1])
			var got []string
			for _, l := range lines[:len(lines)-1] {
				// cobra offers a required flag not yet given (--repo) before the names.
				if !strings.HasPrefix(l, "--") {
					got = append(got, l)
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// -o json and yaml say the same, with kubectl's field names.
func TestStructuredOutputs(t *testing.T) {
	for _, args := range [][]string{
		{"validate", "-f", exampleInventory},
		{"plan", "-f", exampleInventory},
		{"version"},
		{"list", "-f", exampleInventory},
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
