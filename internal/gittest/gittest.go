// Package gittest builds real Git repositories for tests and serves them over HTTP with
// git http-backend (net/http/cgi), the way a Git server does.
//
//	origin := gittest.Init(t)
//	c1 := origin.Commit(t, "main", map[string]string{"shopsets.yaml": "shopsets: []\n"}, "Start")
//	origin.Branch(t, "tier/dev", c1)
//	srv := gittest.Serve(t, filepath.Dir(origin.Dir))
//	url := srv.URL + "/" + filepath.Base(origin.Dir)
//
// Commits are reproducible: identities are fixed and each commit is dated one minute after
// its parent, so the same test builds the same commit IDs on every run.
package gittest

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// epoch is the date of every root commit (2024-01-01T00:00:00Z).
const epoch = 1704067200

// Repo is a Git repository on disk.
type Repo struct{ Dir string }

// Init creates a non-bare repository in t.TempDir() with branch main and no commits.
func Init(t testing.TB) *Repo {
	t.Helper()
	r := &Repo{Dir: t.TempDir()}
	r.Git(t, "init", "--quiet", "--initial-branch=main")
	// Commits are made with plumbing, so the working tree is stale by design; let pushes
	// move the checked-out branch without touching it.
	r.Git(t, "config", "receive.denyCurrentBranch", "ignore")
	return r
}

// Open wraps an existing repository.
func Open(t testing.TB, dir string) *Repo {
	t.Helper()
	r := &Repo{Dir: dir}
	r.Git(t, "rev-parse", "--git-dir")
	return r
}

// File is one path for CommitFiles. The zero value deletes the path; Mode 0 with content
// is a regular file (0644); fs.ModeSymlink makes a symlink to Content.
type File struct {
	Content string
	Mode    fs.FileMode
}

// Commit writes files (path -> content; "" deletes the file) onto branch, which is created
// as an orphan when it does not exist yet, commits with msg and returns the commit ID.
// Other branches, the index and the working tree are left alone.
func (r *Repo) Commit(t testing.TB, branch string, files map[string]string, msg string) string {
	t.Helper()
	entries := make(map[string]File, len(files))
	for path, content := range files {
		entries[path] = File{Content: content}
	}
	return r.CommitFiles(t, branch, entries, msg)
}

// CommitFiles is Commit for executables, symlinks and empty files.
func (r *Repo) CommitFiles(t testing.TB, branch string, files map[string]File, msg string) string {
	t.Helper()
	return r.commit(t, branch, files, msg, time.Time{})
}

// CommitAt is Commit dated when, for what depends on how old a commit is (previews
// expire); Commit's dates are fixed, a minute after the parent's.
func (r *Repo) CommitAt(t testing.TB, branch string, files map[string]string, msg string, when time.Time) string {
	t.Helper()
	entries := make(map[string]File, len(files))
	for path, content := range files {
		entries[path] = File{Content: content}
	}
	return r.commit(t, branch, entries, msg, when)
}

func (r *Repo) commit(t testing.TB, branch string, files map[string]File, msg string, when time.Time) string {
	t.Helper()
	ref := "refs/heads/" + branch
	parent, _ := r.git(nil, nil, "rev-parse", "--verify", "--quiet", ref+"^{commit}")

	// A private index keeps the commit from touching the repository's own index, which
	// belongs to the checked-out branch.
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(t.TempDir(), "index")}
	if parent != "" {
		r.gitEnv(t, env, nil, "read-tree", parent)
	} else {
		r.gitEnv(t, env, nil, "read-tree", "--empty")
	}

	paths := make([]string, 0, len(files))
	for path := range files {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		f := files[path]
		if f == (File{}) {
			r.gitEnv(t, env, nil, "update-index", "--force-remove", "--", path)
			continue
		}
		mode := "100644"
		switch {
		case f.Mode&fs.ModeSymlink != 0:
			mode = "120000"
		case f.Mode&0o111 != 0:
			mode = "100755"
		}
		blob := r.gitEnv(t, env, strings.NewReader(f.Content), "hash-object", "-w", "--stdin")
		r.gitEnv(t, env, nil, "update-index", "--add", "--cacheinfo", mode+","+blob+","+path)
	}
	tree := r.gitEnv(t, env, nil, "write-tree")

	date := int64(epoch)
	args := []string{"commit-tree", tree, "-F", "-"}
	if parent != "" {
		ct, err := strconv.ParseInt(r.Git(t, "show", "-s", "--format=%ct", parent), 10, 64)
		require.NoError(t, err, "reading the date of %s", parent)
		date = ct + 60
		args = append(args, "-p", parent)
	}
	if !when.IsZero() {
		date = when.Unix()
	}
	stamp := fmt.Sprintf("@%d +0000", date)
	env = append(env, "GIT_AUTHOR_DATE="+stamp, "GIT_COMMITTER_DATE="+stamp)
	commit := r.gitEnv(t, env, strings.NewReader(msg), args...)

	// The old value makes a concurrent move of the branch fail the test instead of
	// being lost.
	old := parent
	if old == "" {
		old = strings.Repeat("0", len(commit))
	}
	r.Git(t, "update-ref", ref, commit, old)
	return commit
}

// Branch creates or moves branch name to rev.
func (r *Repo) Branch(t testing.TB, name, rev string) {
	t.Helper()
	commit := r.Git(t, "rev-parse", "--verify", "--end-of-options", rev+"^{commit}")
	r.Git(t, "update-ref", "refs/heads/"+name, commit)
}

// Head returns the commit of branch.
func (r *Repo) Head(t testing.TB, branch string) string {
	t.Helper()
	return r.Git(t, "rev-parse", "--verify", "--end-of-options", "refs/heads/"+branch+"^{commit}")
}

// Git runs git in the repository, fails the test on error and returns trimmed stdout.
func (r *Repo) Git(t testing.TB, args ...string) string {
	t.Helper()
	return r.gitEnv(t, nil, nil, args...)
}

func (r *Repo) gitEnv(t testing.TB, env []string, stdin io.Reader, args ...string) string {
	t.Helper()
	out, err := r.git(env, stdin, args...)
	require.NoError(t, err)
	return out
}

// git runs git in the repository with extra environment and optional stdin.
func (r *Repo) git(env []string, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.Dir
	cmd.Env = append(gitEnv(), env...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s in %s: %w: %s", strings.Join(args, " "), r.Dir, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// gitEnv is the environment gittest runs git with: the process environment without
// variables that would point git at another repository, no system or user configuration,
// no prompts, fixed identities and dates, and no automatic gc (which could still be
// writing when t.TempDir is removed).
func gitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GIT_") {
			continue
		}
		env = append(env, kv)
	}
	stamp := fmt.Sprintf("@%d +0000", epoch)
	return append(env,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
		"GIT_AUTHOR_NAME=Shopset Test",
		"GIT_AUTHOR_EMAIL=test@shopset.invalid",
		"GIT_AUTHOR_DATE="+stamp,
		"GIT_COMMITTER_NAME=Shopset Test",
		"GIT_COMMITTER_EMAIL=test@shopset.invalid",
		"GIT_COMMITTER_DATE="+stamp,
		"GIT_CONFIG_COUNT=2",
		"GIT_CONFIG_KEY_0=gc.auto", "GIT_CONFIG_VALUE_0=0",
		"GIT_CONFIG_KEY_1=maintenance.auto", "GIT_CONFIG_VALUE_1=false",
	)
}
