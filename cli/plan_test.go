package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// cordon and uncordon say when they change nothing, and then leave the file as it was.
func TestCordonNothingChanged(t *testing.T) {
	original, err := os.ReadFile(exampleInventory)
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		setup []string // run first, and must succeed
		args  []string
		want  string // the first line of stdout
	}{
		{"cordon a cordoned cluster", []string{"cordon", "cluster-b"}, []string{"cordon", "cluster-b"},
			"shopsets.yaml: cluster cluster-b is already cordoned: nothing changed"},
		{"uncordon an active cluster", nil, []string{"uncordon", "cluster-b"},
			"shopsets.yaml: cluster cluster-b is already active: nothing changed"},
		{"cordon --dry-run", nil, []string{"cordon", "cluster-b", "--dry-run"},
			"shopsets.yaml: cluster cluster-b would be cordoned (dry run: nothing changed)"},
		{"uncordon --dry-run", []string{"cordon", "cluster-b"}, []string{"uncordon", "cluster-b", "--dry-run"},
			"shopsets.yaml: cluster cluster-b would be active (dry run: nothing changed)"},
		{"cordon --dry-run of a cordoned cluster", []string{"cordon", "cluster-b"}, []string{"cordon", "cluster-b", "--dry-run"},
			"shopsets.yaml: cluster cluster-b is already cordoned: nothing changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			require.NoError(t, os.WriteFile("shopsets.yaml", original, 0o644))
			if tc.setup != nil {
				r := run(t, nil, tc.setup...)
				require.Equal(t, 0, r.code, r.stderr)
			}
			before, err := os.ReadFile("shopsets.yaml")
			require.NoError(t, err)
			r := run(t, nil, tc.args...)
			require.Equal(t, 0, r.code, r.stderr)
			first, _, _ := strings.Cut(r.stdout, "\n")
			assert.Equal(t, tc.want, first)
			after, err := os.ReadFile("shopsets.yaml")
			require.NoError(t, err)
			assert.Equal(t, string(before), string(after), "nothing written")
		})
	}
}

// Shops that no ShopSet serves are unserved, listed apart from degraded ones, and the plan
// exits 1 whether the inventory itself or a what-if leaves them so.
func TestPlanUnserved(t *testing.T) {
	original, err := os.ReadFile(exampleInventory)
	require.NoError(t, err)
	downInFile := strings.NewReplacer("    failureDomain: onprem-a\n", "    failureDomain: onprem-a\n    state: down\n",
		"    failureDomain: cloud-eks\n", "    failureDomain: cloud-eks\n    state: cordoned\n").Replace(string(original))
	require.NotEqual(t, string(original), downInFile)
	for _, tc := range []struct {
		name      string
		inventory string
		args      []string
		unserved  string // "" when every shop is served
	}{
		{"all served", string(original), nil, ""},
		{"down and cordoned in the file", downInFile, nil, "grault.shop.example"},
		{"down and cordoned by what-if", string(original), []string{"--down", "cluster-a", "--cordon", "cluster-b"}, "grault.shop.example"},
		{"as JSON", downInFile, []string{"-o", "json"}, "grault.shop.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := inventoryFile(t, tc.inventory)
			r := run(t, nil, append([]string{"plan", "-f", path}, tc.args...)...)
			if tc.unserved == "" {
				assert.Equal(t, 0, r.code, r.stderr)
				assert.NotContains(t, r.stdout, "UNSERVED")
				return
			}
			assert.Equal(t, 1, r.code)
			assert.Equal(t, "error: 1 shop no ShopSet would serve: "+tc.unserved+"\n", r.stderr)
			if slices.Contains(tc.args, "json") {
				assert.Contains(t, r.stdout, "\"unserved\": [\n    \""+tc.unserved+"\"\n  ]")
			} else {
				assert.Contains(t, r.stdout, "\nUNSERVED SHOPS: "+tc.unserved+"\n")
				degraded, _, _ := strings.Cut(r.stdout[strings.Index(r.stdout, "DEGRADED SHOPS:"):], "\n")
				assert.NotContains(t, degraded, tc.unserved, "unserved is not degraded")
			}
		})
	}
}
