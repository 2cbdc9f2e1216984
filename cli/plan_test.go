package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/internal/golden"
)

var testdata, _ = filepath.Abs("testdata")

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		unserved string // the error when shops are left with no ShopSet
	}{
		{"plan.txt", []string{"plan", "-f", exampleInventory}, ""},
		{"plan-cordon-cluster-b.txt", []string{"plan", "-f", exampleInventory, "--cordon", "cluster-b"}, ""},
		{"plan-down-a-cordon-b.json", []string{"plan", "-f", exampleInventory, "--down", "cluster-a", "--cordon", "cluster-b", "-o", "json"},
			"error: 1 shop no ShopSet would serve: grault.shop.example\n"},
		{"plan-down-a-cordon-b.txt", []string{"plan", "-f", exampleInventory, "--down", "cluster-a", "--cordon", "cluster-b"},
			"error: 1 shop no ShopSet would serve: grault.shop.example\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, tc.args...)
			if tc.unserved == "" {
				require.Equal(t, 0, r.code, r.stderr)
			} else {
				assert.Equal(t, 1, r.code, "a plan that leaves shops unserved exits 1")
				assert.Contains(t, r.stderr, tc.unserved)
			}
			golden.Assert(t, filepath.Join("testdata", tc.name), []byte(r.stdout))
		})
	}
}

// cordon then uncordon: the file changes in one line each way, shops move away and back,
// and the file ends as it began.
func TestCordonUncordon(t *testing.T) {
	original, err := os.ReadFile(exampleInventory)
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	path := "shopsets.yaml"
	require.NoError(t, os.WriteFile(path, original, 0o640))

	r := run(t, nil, "cordon", "cluster-b", "-f", path)
	require.Equal(t, 0, r.code, r.stderr)
	golden.Assert(t, filepath.Join(testdata, "cordon-cluster-b.txt"), []byte(r.stdout))
	cordoned, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(cordoned), "    failureDomain: cloud-eks\n    state: cordoned\n")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), info.Mode().Perm(), "the file keeps its mode")

	r = run(t, nil, "validate", "-f", path)
	require.Equal(t, 0, r.code, r.stderr)

	r = run(t, nil, "uncordon", "cluster-b", "-f", path)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "MOVES (5 shops)")
	restored, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(original), string(restored), "cordon then uncordon gives shopsets.yaml back byte for byte")

	r = run(t, nil, "uncordon", "cluster-b", "-f", path)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, path+": cluster cluster-b is already active: nothing changed\n", r.stdout)

	// --dry-run prints and leaves the file alone.
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	r = run(t, nil, "cordon", "cluster-a", "-f", path, "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, path+": cluster cluster-a would be cordoned (dry run: nothing changed)\n")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after))
}

func TestCordonBadInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shopsets.yaml")
	original, err := os.ReadFile(exampleInventory)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, original, 0o644))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"cordon an unknown cluster", []string{"cordon", "cluster-z", "-f", path},
			"error: " + path + ": cluster \"cluster-z\" not found (known: cluster-a, cluster-b, cluster-c)\n"},
		{"plan with an unknown cluster", []string{"plan", "-f", path, "--down", "cluster-z"},
			"error: cluster \"cluster-z\" not found in " + path + " (known: cluster-a, cluster-b, cluster-c)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, tc.args...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.Equal(t, tc.want, r.stderr)
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, string(original), string(after), "nothing written")
		})
	}
}
