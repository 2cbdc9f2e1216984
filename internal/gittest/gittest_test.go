package gittest_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/internal/gittest"
)

func TestCommitLeavesOtherBranchesAlone(t *testing.T) {
	r := gittest.Init(t)
	c1 := r.Commit(t, "main", map[string]string{"a.txt": "a\n", "dir/b.txt": "b\n"}, "First")
	r.Branch(t, "tier/dev", c1)
	c2 := r.Commit(t, "main", map[string]string{"a.txt": "", "c.txt": "c\n"}, "Second")

	assert.Equal(t, c1, r.Head(t, "tier/dev"), "tier/dev must not move")
	assert.Equal(t, c2, r.Head(t, "main"))
	assert.Equal(t, c1, r.Git(t, "rev-parse", c2+"^"), "a commit builds on the branch head")
	assert.Equal(t, "c.txt\ndir/b.txt", r.Git(t, "ls-tree", "-r", "--name-only", c2), "\"\" deletes, others add")
	assert.Equal(t, "a\n", r.Git(t, "show", c1+":a.txt")+"\n")

	// The working tree and index are untouched: nothing was checked out.
	entries, err := os.ReadDir(r.Dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, ".git", entries[0].Name())
	assert.Empty(t, r.Git(t, "ls-files"))
}

func TestCommitOrphanAndReproducible(t *testing.T) {
	build := func() (main, other string) {
		r := gittest.Init(t)
		main = r.Commit(t, "main", map[string]string{"a": "1"}, "Main")
		other = r.Commit(t, "other", map[string]string{"b": "2"}, "Other")
		_, err := exec.Command("git", "-C", r.Dir, "merge-base", main, other).Output()
		require.Error(t, err, "a new branch starts as an orphan")
		return main, other
	}
	m1, o1 := build()
	m2, o2 := build()
	assert.Equal(t, m1, m2, "fixed identities and dates give the same IDs")
	assert.Equal(t, o1, o2)
}

func TestCommitFilesModes(t *testing.T) {
	r := gittest.Init(t)
	c := r.CommitFiles(t, "main", map[string]gittest.File{
		"run.sh":   {Content: "#!/bin/sh\n", Mode: 0o755},
		"link":     {Content: "run.sh", Mode: fs.ModeSymlink},
		"empty":    {Mode: 0o644},
		"plain.md": {Content: "x"},
	}, "Modes")
	got := r.Git(t, "ls-tree", c)
	for _, want := range []string{"100755 blob", "120000 blob", "100644 blob"} {
		assert.Contains(t, got, want)
	}
	assert.Equal(t, "run.sh", r.Git(t, "cat-file", "blob", c+":link"))
	assert.Empty(t, r.Git(t, "cat-file", "blob", c+":empty"))
}

func TestServeFetchPushAndDown(t *testing.T) {
	origin := gittest.Init(t)
	c1 := origin.Commit(t, "main", map[string]string{"a": "1"}, "First")
	srv := gittest.Serve(t, filepath.Dir(origin.Dir))
	url := srv.URL + "/" + filepath.Base(origin.Dir)

	client := gittest.Init(t)
	client.Git(t, "fetch", "--quiet", "--update-head-ok", url, "main:main")
	assert.Equal(t, c1, client.Head(t, "main"))

	c2 := client.Commit(t, "main", map[string]string{"b": "2"}, "Second")
	client.Git(t, "push", "--quiet", url, "main")
	assert.Equal(t, c2, origin.Head(t, "main"), "push over HTTP updates the origin")

	srv.SetDown(true)
	out, err := exec.Command("git", "ls-remote", url).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "503")

	srv.SetDown(false)
	assert.True(t, strings.HasPrefix(client.Git(t, "ls-remote", url, "refs/heads/main"), c2))
}

func TestOpen(t *testing.T) {
	r := gittest.Init(t)
	c := r.Commit(t, "main", map[string]string{"a": "1"}, "First")
	assert.Equal(t, c, gittest.Open(t, r.Dir).Head(t, "main"))
}

func TestServeBasicAuth(t *testing.T) {
	origin := gittest.Init(t)
	c1 := origin.Commit(t, "main", map[string]string{"a": "1"}, "First")
	srv := gittest.Serve(t, filepath.Dir(origin.Dir))
	url := srv.URL + "/" + filepath.Base(origin.Dir)
	srv.SetBasicAuth("reader", "pa55")

	helper := func(user, password string) string {
		return "credential.helper=!f() { echo username=" + user + "; echo password=" + password + "; }; f"
	}
	client := gittest.Init(t)
	lsRemote := func(args ...string) (string, error) {
		cmd := exec.Command("git", append(args, "ls-remote", url, "refs/heads/main")...)
		cmd.Dir = client.Dir
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := lsRemote()
	require.Error(t, err, "anonymous: %s", out)
	out, err = lsRemote("-c", helper("reader", "wrong"))
	require.Error(t, err, "a wrong password: %s", out)
	assert.Contains(t, out, "Authentication failed")
	assert.Empty(t, srv.Authenticated(), "nothing got through")

	out, err = lsRemote("-c", helper("reader", "pa55"), "-c", "http.userAgent=gittest-client/1")
	require.NoError(t, err, out)
	assert.True(t, strings.HasPrefix(out, c1), out)
	assert.Positive(t, srv.Authenticated()["gittest-client/1"])

	srv.SetBasicAuth("", "")
	out, err = lsRemote()
	require.NoError(t, err, "open again: %s", out)
}
