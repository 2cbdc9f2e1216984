package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/internal/gittest"
)

// pair is a repository and a local clone of it (its remote "origin"); first and second
// are commits of both, second a child of first, and tier/beta is at first.
type pair struct {
	origin, clone *gittest.Repo
	first, second string // second is a child of first
	repo          *gitrepo.Repo
}

func newPair(t *testing.T) *pair {
	t.Helper()
	origin := gittest.Init(t)
	first := origin.Commit(t, "main", map[string]string{"a": "1\n"}, "First")
	origin.Branch(t, "tier/beta", first)
	second := origin.Commit(t, "main", map[string]string{"a": "2\n"}, "Second")
	clone := gittest.Init(t)
	clone.Git(t, "remote", "add", "origin", origin.Dir)
	clone.Git(t, "fetch", "--quiet", "--update-head-ok", "origin", "+refs/heads/*:refs/heads/*")
	repo, err := gitrepo.OpenLocal(clone.Dir)
	require.NoError(t, err)
	return &pair{origin: origin, clone: clone, first: first, second: second, repo: repo}
}

func TestUpdateBranch(t *testing.T) {
	ctx := context.Background()
	p := newPair(t)
	require.NoError(t, p.repo.UpdateBranch(ctx, "tier/beta", p.second, p.first))
	assert.Equal(t, p.second, p.clone.Head(t, "tier/beta"))

	// The branch is no longer at first: compare-and-swap fails, nothing moves.
	err := p.repo.UpdateBranch(ctx, "tier/beta", p.first, p.first)
	require.Error(t, err)
	assert.True(t, errors.Is(err, gitrepo.ErrRefChanged), "%v", err)
	assert.Contains(t, err.Error(), "it is at "+p.second[:12]+" now")
	assert.Equal(t, p.second, p.clone.Head(t, "tier/beta"))

	// A checked-out branch stays where it is.
	p.clone.Git(t, "checkout", "--quiet", "tier/beta")
	err = p.repo.UpdateBranch(ctx, "tier/beta", p.first, p.second)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "branch checked out in "+p.clone.Dir+"; switch that work tree to another branch first")
	assert.Equal(t, p.second, p.clone.Head(t, "tier/beta"))

	for _, tc := range []struct{ branch, newID, oldID, want string }{
		{"tier/beta", "main", p.second, `"main" is not a full commit ID`},
		{"-x", p.first, p.second, `invalid branch name "-x"`},
		{"refs/heads/x", p.first, p.second, `invalid branch name "refs/heads/x"`},
	} {
		err := p.repo.UpdateBranch(ctx, tc.branch, tc.newID, tc.oldID)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestPush(t *testing.T) {
	ctx := context.Background()
	t.Run("fast-forward", func(t *testing.T) {
		p := newPair(t)
		at, err := p.repo.RemoteBranch(ctx, "origin", "tier/beta")
		require.NoError(t, err)
		assert.Equal(t, p.first, at)
		require.NoError(t, p.repo.Push(ctx, "origin", "tier/beta", p.second, p.first))
		assert.Equal(t, p.second, p.origin.Head(t, "tier/beta"))
	})
	t.Run("remote moved", func(t *testing.T) {
		p := newPair(t)
		moved := p.origin.Commit(t, "tier/beta", map[string]string{"b": "x\n"}, "Straight to beta")
		err := p.repo.Push(ctx, "origin", "tier/beta", p.second, p.first)
		require.Error(t, err)
		assert.True(t, errors.Is(err, gitrepo.ErrRefChanged), "%v", err)
		assert.Contains(t, err.Error(), "the remote's tier/beta is at "+moved[:12]+", not at "+p.first[:12]+"; fetch first")
		assert.Equal(t, moved, p.origin.Head(t, "tier/beta"), "nothing pushed")
	})
	t.Run("not a fast-forward", func(t *testing.T) {
		p := newPair(t)
		// The remote is where we think, but the new commit does not descend from it.
		p.origin.Branch(t, "tier/beta", p.second)
		err := p.repo.Push(ctx, "origin", "tier/beta", p.first, p.second)
		require.Error(t, err)
		assert.True(t, errors.Is(err, gitrepo.ErrRejected), "%v", err)
		assert.Contains(t, err.Error(), "[rejected]")
		assert.Equal(t, p.second, p.origin.Head(t, "tier/beta"), "nothing pushed")
	})
	t.Run("missing remote", func(t *testing.T) {
		p := newPair(t)
		err := p.repo.Push(ctx, "upstream", "tier/beta", p.second, p.first)
		require.Error(t, err)
		assert.True(t, errors.Is(err, gitrepo.ErrUnavailable), "%v", err)
		assert.Contains(t, err.Error(), `has no remote "upstream"`)
		assert.Equal(t, p.first, p.origin.Head(t, "tier/beta"))
	})
	t.Run("unreachable remote", func(t *testing.T) {
		p := newPair(t)
		p.clone.Git(t, "remote", "set-url", "origin", filepath.Join(t.TempDir(), "gone"))
		_, err := p.repo.RemoteBranch(ctx, "origin", "tier/beta")
		require.Error(t, err)
		assert.True(t, errors.Is(err, gitrepo.ErrUnavailable), "%v", err)
	})
	t.Run("mirror over HTTP", func(t *testing.T) {
		p := newPair(t)
		srv := gittest.Serve(t, filepath.Dir(p.origin.Dir))
		mirror, err := gitrepo.OpenMirror(srv.URL+"/"+filepath.Base(p.origin.Dir), t.TempDir(), gitrepo.Credentials{})
		require.NoError(t, err)
		require.NoError(t, mirror.Fetch(ctx))
		// A mirror pushes to the URL it mirrors; the remote name is not used.
		require.NoError(t, mirror.Push(ctx, "", "tier/beta", p.second, p.first))
		assert.Equal(t, p.second, p.origin.Head(t, "tier/beta"))
		at, err := mirror.RemoteBranch(ctx, "", "tier/none")
		require.NoError(t, err)
		assert.Empty(t, at)
	})
	t.Run("bad arguments", func(t *testing.T) {
		p := newPair(t)
		for _, tc := range []struct{ remote, branch, commit, want string }{
			{"origin", "tier/beta", "HEAD", `"HEAD" is not a full commit ID`},
			{"--upload-pack=x", "tier/beta", p.second, `invalid remote name "--upload-pack=x"`},
			{"origin", "a b", p.second, `invalid branch name "a b"`},
		} {
			err := p.repo.Push(ctx, tc.remote, tc.branch, tc.commit, p.first)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tc.want), "%q does not contain %q", err, tc.want)
		}
		assert.Equal(t, p.first, p.origin.Head(t, "tier/beta"))
	})
}

// A commit shopctl makes is the person's: their name and e-mail from GIT_AUTHOR_NAME and
// the like, else from their own Git configuration, which every other command ignores.
func TestCommitEmptyIdentity(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, config string
		env          map[string]string
		want, err    string
	}{
		{name: "the person's configuration", config: "[user]\n\tname = Ops Person\n\temail = ops@shop.example\n",
			want: "Ops Person <ops@shop.example>|Ops Person <ops@shop.example>"},
		{name: "the environment wins", config: "[user]\n\tname = Ops Person\n\temail = ops@shop.example\n",
			env:  map[string]string{"GIT_AUTHOR_NAME": "Env Person", "GIT_COMMITTER_EMAIL": "ci@shop.example"},
			want: "Env Person <ops@shop.example>|Ops Person <ci@shop.example>"},
		{name: "nobody", err: "is git's user.name and user.email set?"},
		{name: "a line break", config: "[user]\n\tname = \"Ops\\nPerson\"\n\temail = ops@shop.example\n",
			err: "user.name of the Git configuration holds a line break"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			home := t.TempDir()
			t.Setenv("HOME", home)
			t.Setenv("XDG_CONFIG_HOME", home)
			t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			for _, name := range []string{"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"} {
				t.Setenv(name, "") // restored after the test
				require.NoError(t, os.Unsetenv(name))
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if tc.config != "" {
				require.NoError(t, os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(tc.config), 0o644))
			}
			id, err := p.repo.CommitEmpty(ctx, p.second, "Record\n\nShopset-Rollout-Resume: beta "+p.second+"\n")
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.clone.Git(t, "log", "-1", "--format=%an <%ae>|%cn <%ce>", id))
			assert.Equal(t, p.second, p.clone.Git(t, "rev-parse", id+"^"))
		})
	}
}
