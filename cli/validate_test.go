package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/internal/gittest"
)

// validate --repo reads the repository's inventory, with or without --render, never the
// shopsets.yaml of the directory it runs in.
func TestValidateRepo(t *testing.T) {
	repo, err := examples.BuildRepo(context.Background(), filepath.Join(t.TempDir(), "repo"))
	require.NoError(t, err)

	r := run(t, nil, "validate", "--repo", repo.Dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, repo.Dir+": shopsets.yaml at main (")
	assert.Contains(t, r.stdout, "): valid: 4 tiers, 3 clusters, 2 configurations, 9 shopsets, 10 shops\n")

	// --render's summary as data, like validate's own.
	r = run(t, nil, "validate", "--render", "--repo", repo.Dir, "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.JSONEq(t, `{"file":"shopsets.yaml","repo":"`+repo.Dir+`","revision":"main","commit":"`+repo.Branches["main"]+`",
		"valid":true,"tiers":4,"clusters":3,"configurations":2,"shopsets":9,"shops":10,"rendered":9}`, r.stdout)

	// main's inventory broken, a valid one in the working directory: --repo must say so.
	g := gittest.Open(t, repo.Dir)
	valid, err := os.ReadFile(exampleInventory)
	require.NoError(t, err)
	g.Commit(t, "main", map[string]string{"shopsets.yaml": string(valid) + "unknownField: 1\n"}, "Break the inventory")
	wd := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(wd, "shopsets.yaml"), valid, 0o644))
	t.Chdir(wd)
	r = run(t, nil, "validate", "--repo", repo.Dir)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `unknown field "unknownField"`)
	assert.Empty(t, r.stdout)

	// At another revision it is valid again; the file flag and --repo exclude each other.
	r = run(t, nil, "validate", "--repo", repo.Dir, "--revision", "main~1")
	assert.Equal(t, 0, r.code, r.stderr)
	r = run(t, nil, "validate", "--repo", repo.Dir, "-f", "shopsets.yaml")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "none of the others can be")
}
