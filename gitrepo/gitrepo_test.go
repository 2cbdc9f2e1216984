package gitrepo_test

import (
	"context"
	"crypto/subtle"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/internal/gittest"
	"github.com/shopset/shopset/version"
)

// origin is a repository with two commits on main, tier/dev at the first, an annotated
// tag, an unrelated orphan branch, nested directories, an executable and a symlink.
type origin struct {
	*gittest.Repo
	first, second, orphan string
}

const confirmMsg = `Add shop-c

Removes shop-a and shop-b on purpose.

Shopset-Confirm-Removal: shop-a
Shopset-Confirm-Removal: shop-b
Signed-off-by: Platform Team <platform@example.com>
`

func newOrigin(t *testing.T) *origin {
	t.Helper()
	r := gittest.Init(t)
	o := &origin{Repo: r}
	o.first = r.CommitFiles(t, "main", map[string]gittest.File{
		"shopsets.yaml":                       {Content: "shopsets: [a, b]\n"},
		"base/kustomization.yaml":             {Content: "resources: [nested/deep/cm.yaml]\n"},
		"base/nested/deep/cm.yaml":            {Content: "kind: ConfigMap\n"},
		"scripts/check.sh":                    {Content: "#!/bin/sh\nexit 0\n", Mode: 0o755},
		"overlays/dev/kustomization.yaml":     {Content: "resources: [../../base]\n"},
		"overlays/dev/base-kustomization.lnk": {Content: "../../base/kustomization.yaml", Mode: fs.ModeSymlink},
	}, "Start")
	r.Branch(t, "tier/dev", o.first)
	r.Git(t, "tag", "-a", "-m", "Release 1", "v1", o.first)
	o.second = r.Commit(t, "main", map[string]string{"shopsets.yaml": "shopsets: [c]\n"}, confirmMsg)
	o.orphan = r.Commit(t, "unrelated", map[string]string{"other.txt": "x\n"}, "Unrelated")
	return o
}

// url returns how a test reaches the origin: "file", "path" or "http".
func (o *origin) url(t *testing.T, kind string) string {
	t.Helper()
	switch kind {
	case "file":
		return "file://" + o.Dir
	case "path":
		return o.Dir
	case "http":
		return gittest.Serve(t, filepath.Dir(o.Dir)).URL + "/" + filepath.Base(o.Dir)
	}
	t.Fatalf("unknown kind %q", kind)
	return ""
}

func TestRepoReads(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"file", "path", "http", "local"} {
		t.Run(kind, func(t *testing.T) {
			o := newOrigin(t)
			var repo *gitrepo.Repo
			var err error
			if kind == "local" {
				repo, err = gitrepo.OpenLocal(o.Dir)
				require.NoError(t, err)
				assert.Equal(t, o.Dir, repo.URL())
			} else {
				url := o.url(t, kind)
				repo, err = gitrepo.OpenMirror(url, filepath.Join(t.TempDir(), "cache"), gitrepo.Credentials{})
				require.NoError(t, err)
				assert.Equal(t, url, repo.URL())
			}
			require.NoError(t, repo.Fetch(ctx))

			wantHeads := map[string]string{"main": o.second, "tier/dev": o.first, "unrelated": o.orphan}
			heads, err := repo.Heads(ctx)
			require.NoError(t, err)
			assert.Equal(t, wantHeads, heads)
			remote, err := repo.RemoteHeads(ctx)
			require.NoError(t, err)
			assert.Equal(t, wantHeads, remote)

			for rev, want := range map[string]string{
				"main":         o.second,
				"tier/dev":     o.first,
				"v1":           o.first, // annotated tag, peeled
				o.first:        o.first,
				o.first[:12]:   o.first,
				"main~1":       o.first,
				"refs/tags/v1": o.first,
			} {
				got, err := repo.ResolveCommit(ctx, rev)
				require.NoError(t, err, rev)
				assert.Equal(t, want, got, rev)
			}

			data, err := repo.ReadFile(ctx, o.first, "shopsets.yaml")
			require.NoError(t, err)
			assert.Equal(t, "shopsets: [a, b]\n", string(data))
			data, err = repo.ReadFile(ctx, "main", "shopsets.yaml")
			require.NoError(t, err)
			assert.Equal(t, "shopsets: [c]\n", string(data))
			data, err = repo.ReadFile(ctx, o.second, "base/nested/deep/cm.yaml")
			require.NoError(t, err)
			assert.Equal(t, "kind: ConfigMap\n", string(data))

			base, err := repo.MergeBase(ctx, "main", "tier/dev")
			require.NoError(t, err)
			assert.Equal(t, o.first, base)

			for _, tc := range []struct {
				a, b string
				want bool
			}{
				{o.first, o.second, true},
				{o.second, o.first, false},
				{o.second, o.second, true},
				{o.orphan, o.second, false},
			} {
				got, err := repo.IsAncestor(ctx, tc.a, tc.b)
				require.NoError(t, err)
				assert.Equal(t, tc.want, got, "IsAncestor(%s, %s)", tc.a, tc.b)
			}

			confirm := gitrepo.Commit{
				ID:      o.second,
				Subject: "Add shop-c",
				Trailers: map[string][]string{
					"Shopset-Confirm-Removal": {"shop-a", "shop-b"},
					"Signed-off-by":           {"Platform Team <platform@example.com>"},
				},
			}
			start := gitrepo.Commit{ID: o.first, Subject: "Start", Trailers: map[string][]string{}}
			for _, tc := range []struct {
				name             string
				exclude, include string
				max              int
				want             []gitrepo.Commit
			}{
				{"since tier", "tier/dev", "main", 0, []gitrepo.Commit{confirm}},
				{"all", "", "main", 0, []gitrepo.Commit{confirm, start}},
				{"limited", "", "main", 1, []gitrepo.Commit{confirm}},
				{"nothing new", "main", "tier/dev", 0, []gitrepo.Commit{}},
			} {
				got, err := repo.Log(ctx, tc.exclude, tc.include, tc.max)
				require.NoError(t, err, tc.name)
				assert.Equal(t, tc.want, got, tc.name)
			}

			tree, err := repo.Tree(ctx, o.first)
			require.NoError(t, err)
			assert.Equal(t, map[string]string{
				"base":                                "dir",
				"base/kustomization.yaml":             "-rw-r--r-- resources: [nested/deep/cm.yaml]\n",
				"base/nested":                         "dir",
				"base/nested/deep":                    "dir",
				"base/nested/deep/cm.yaml":            "-rw-r--r-- kind: ConfigMap\n",
				"overlays":                            "dir",
				"overlays/dev":                        "dir",
				"overlays/dev/kustomization.yaml":     "-rw-r--r-- resources: [../../base]\n",
				"overlays/dev/base-kustomization.lnk": "symlink -> ../../base/kustomization.yaml",
				"scripts":                             "dir",
				"scripts/check.sh":                    "-rwxr-xr-x #!/bin/sh\nexit 0\n",
				"shopsets.yaml":                       "-rw-r--r-- shopsets: [a, b]\n",
			}, describe(t, tree))
		})
	}
}

// describe lists every entry of fsys as "dir", "symlink -> target" or "mode content".
func describe(t *testing.T, fsys fs.FS) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == "." {
			return err
		}
		switch {
		case d.IsDir():
			got[path] = "dir"
		case d.Type()&fs.ModeSymlink != 0:
			target, err := fs.ReadLink(fsys, path)
			if err != nil {
				return err
			}
			got[path] = "symlink -> " + target
		default:
			info, err := d.Info()
			if err != nil {
				return err
			}
			data, err := fs.ReadFile(fsys, path)
			if err != nil {
				return err
			}
			got[path] = info.Mode().String() + " " + string(data)
		}
		return nil
	})
	require.NoError(t, err)
	return got
}

func TestRepoReadErrors(t *testing.T) {
	ctx := context.Background()
	o := newOrigin(t)
	repo, err := gitrepo.OpenMirror("file://"+o.Dir, t.TempDir(), gitrepo.Credentials{})
	require.NoError(t, err)
	require.NoError(t, repo.Fetch(ctx))
	missing := strings.Repeat("0", 40)

	for _, tc := range []struct {
		name string
		call func() error
		want error // nil: any error that is none of the classes
	}{
		{"resolve unknown branch", func() error { _, err := repo.ResolveCommit(ctx, "tier/nope"); return err }, gitrepo.ErrUnknownRevision},
		{"resolve unknown commit", func() error { _, err := repo.ResolveCommit(ctx, missing); return err }, gitrepo.ErrUnknownRevision},
		{"resolve option-like", func() error { _, err := repo.ResolveCommit(ctx, "--all"); return err }, gitrepo.ErrUnknownRevision},
		{"resolve tree", func() error { _, err := repo.ResolveCommit(ctx, o.first+"^{tree}"); return err }, gitrepo.ErrUnknownRevision},
		{"read missing file", func() error { _, err := repo.ReadFile(ctx, o.first, "nope.yaml"); return err }, gitrepo.ErrNotFound},
		{"read deleted-later path", func() error { _, err := repo.ReadFile(ctx, o.orphan, "shopsets.yaml"); return err }, gitrepo.ErrNotFound},
		{"read directory", func() error { _, err := repo.ReadFile(ctx, o.first, "base/nested"); return err }, gitrepo.ErrNotFound},
		{"read in unknown commit", func() error { _, err := repo.ReadFile(ctx, missing, "shopsets.yaml"); return err }, gitrepo.ErrUnknownRevision},
		{"read dot-dot path", func() error { _, err := repo.ReadFile(ctx, o.first, "../shopsets.yaml"); return err }, nil},
		{"read absolute path", func() error { _, err := repo.ReadFile(ctx, o.first, "/shopsets.yaml"); return err }, nil},
		{"read unclean path", func() error { _, err := repo.ReadFile(ctx, o.first, "base//kustomization.yaml"); return err }, nil},
		{"merge base unrelated", func() error { _, err := repo.MergeBase(ctx, "main", "unrelated"); return err }, gitrepo.ErrNoMergeBase},
		{"merge base unknown", func() error { _, err := repo.MergeBase(ctx, "main", "tier/nope"); return err }, gitrepo.ErrUnknownRevision},
		{"ancestor unknown", func() error { _, err := repo.IsAncestor(ctx, missing, "main"); return err }, gitrepo.ErrUnknownRevision},
		{"log unknown include", func() error { _, err := repo.Log(ctx, "", "tier/nope", 0); return err }, gitrepo.ErrUnknownRevision},
		{"log unknown exclude", func() error { _, err := repo.Log(ctx, "tier/nope", "main", 0); return err }, gitrepo.ErrUnknownRevision},
		{"tree unknown", func() error { _, err := repo.Tree(ctx, missing); return err }, gitrepo.ErrUnknownRevision},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			}
			for _, class := range []error{gitrepo.ErrUnavailable, gitrepo.ErrUnknownRevision, gitrepo.ErrNotFound, gitrepo.ErrNoMergeBase} {
				if class != tc.want {
					assert.NotErrorIs(t, err, class)
				}
			}
		})
	}

	t.Run("canceled context", func(t *testing.T) {
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		_, err := repo.ResolveCommit(canceled, "main")
		assert.ErrorIs(t, err, gitrepo.ErrUnavailable, "a killed git says nothing about the revision")
		assert.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, gitrepo.ErrUnknownRevision)
	})
}

func TestFetchFollowsOrigin(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"file", "http"} {
		t.Run(kind, func(t *testing.T) {
			o := newOrigin(t)
			url := o.url(t, kind)
			repo, err := gitrepo.OpenMirror(url, t.TempDir(), gitrepo.Credentials{})
			require.NoError(t, err)
			require.NoError(t, repo.Fetch(ctx))

			// Push a new main from a clone, add a branch and delete one in the origin.
			clone := gittest.Init(t)
			clone.Git(t, "fetch", "--quiet", "--update-head-ok", url, "main:main")
			pushed := clone.Commit(t, "main", map[string]string{"shopsets.yaml": "shopsets: [c, d]\n"}, "Add shop-d")
			clone.Git(t, "push", "--quiet", url, "main")
			o.Branch(t, "tier/prod", o.first)
			o.Git(t, "branch", "-D", "unrelated")
			o.Git(t, "tag", "-d", "v1")

			before, err := repo.Heads(ctx)
			require.NoError(t, err)
			assert.Equal(t, o.second, before["main"], "nothing changes before Fetch")

			require.NoError(t, repo.Fetch(ctx))
			heads, err := repo.Heads(ctx)
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"main": pushed, "tier/dev": o.first, "tier/prod": o.first}, heads)
			data, err := repo.ReadFile(ctx, "main", "shopsets.yaml")
			require.NoError(t, err)
			assert.Equal(t, "shopsets: [c, d]\n", string(data))
			_, err = repo.ResolveCommit(ctx, "v1")
			assert.ErrorIs(t, err, gitrepo.ErrUnknownRevision, "deleted tags are pruned")
		})
	}
}

func TestFetchConcurrentCallsShareOneFetch(t *testing.T) {
	ctx := context.Background()
	o := newOrigin(t)

	// Hold the first fetch at the server until every caller has had time to join it.
	var fetches atomic.Int32
	release := make(chan struct{})
	var once sync.Once
	h := gittest.Handler(t, filepath.Dir(o.Dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasSuffix(req.URL.Path, "/info/refs") && fetches.Add(1) == 1 {
			<-release
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { once.Do(func() { close(release) }) })

	repo, err := gitrepo.OpenMirror(srv.URL+"/"+filepath.Base(o.Dir), t.TempDir(), gitrepo.Credentials{})
	require.NoError(t, err)

	const callers = 10
	errs := make([]error, callers)
	var started, done sync.WaitGroup
	for i := range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			errs[i] = repo.Fetch(ctx)
		}()
	}
	started.Wait()
	require.Eventually(t, func() bool { return fetches.Load() == 1 }, 10*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return gitrepo.FetchWaiters(repo) == callers-1 }, 10*time.Second, time.Millisecond,
		"every other caller joins the fetch in flight")
	once.Do(func() { close(release) })
	done.Wait()

	for i, err := range errs {
		assert.NoError(t, err, "caller %d", i)
	}
	assert.Equal(t, int32(1), fetches.Load(), "callers during a fetch share it")
	heads, err := repo.Heads(ctx)
	require.NoError(t, err)
	assert.Equal(t, o.second, heads["main"])

	require.NoError(t, repo.Fetch(ctx))
	assert.Equal(t, int32(2), fetches.Load(), "a call after the fetch ended fetches again")
}

func TestUnavailable(t *testing.T) {
	ctx := context.Background()

	t.Run("server down", func(t *testing.T) {
		o := newOrigin(t)
		srv := gittest.Serve(t, filepath.Dir(o.Dir))
		repo, err := gitrepo.OpenMirror(srv.URL+"/"+filepath.Base(o.Dir), t.TempDir(), gitrepo.Credentials{})
		require.NoError(t, err)

		srv.SetDown(true)
		err = repo.Fetch(ctx)
		assert.ErrorIs(t, err, gitrepo.ErrUnavailable)
		_, err = repo.RemoteHeads(ctx)
		assert.ErrorIs(t, err, gitrepo.ErrUnavailable)
		// A mirror that was never fetched must not look like a repository without branches.
		_, err = repo.Heads(ctx)
		assert.ErrorIs(t, err, gitrepo.ErrUnavailable)
		_, err = repo.ResolveCommit(ctx, "main")
		assert.ErrorIs(t, err, gitrepo.ErrUnavailable)

		srv.SetDown(false)
		require.NoError(t, repo.Fetch(ctx))

		// Once fetched, the mirror keeps serving reads while the server is down.
		srv.SetDown(true)
		assert.ErrorIs(t, repo.Fetch(ctx), gitrepo.ErrUnavailable)
		heads, err := repo.Heads(ctx)
		require.NoError(t, err)
		assert.Equal(t, o.second, heads["main"])
	})

	t.Run("missing local path", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope")
		for _, url := range []string{missing, "file://" + missing} {
			repo, err := gitrepo.OpenMirror(url, t.TempDir(), gitrepo.Credentials{})
			require.NoError(t, err)
			assert.ErrorIs(t, repo.Fetch(ctx), gitrepo.ErrUnavailable, url)
			_, err = repo.RemoteHeads(ctx)
			assert.ErrorIs(t, err, gitrepo.ErrUnavailable, url)
		}
		_, err := gitrepo.OpenLocal(missing)
		assert.ErrorIs(t, err, gitrepo.ErrUnavailable)
	})

	t.Run("ssh unreachable", func(t *testing.T) {
		// Real ssh, no server: it must fail at once instead of prompting, and it must have
		// received the key path intact despite the quote and space in it.
		dir := t.TempDir()
		key := filepath.Join(dir, "it's a key")
		repo, err := gitrepo.OpenMirror("ssh://git@127.0.0.1:1/org/repo.git", t.TempDir(), gitrepo.Credentials{
			SSHKeyFile:     key,
			KnownHostsFile: filepath.Join(dir, "known_hosts"),
		})
		require.NoError(t, err)
		short, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err = repo.Fetch(short)
		require.ErrorIs(t, err, gitrepo.ErrUnavailable)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), key)
		_, err = repo.RemoteHeads(short)
		assert.ErrorIs(t, err, gitrepo.ErrUnavailable)
	})

	t.Run("timeout", func(t *testing.T) {
		// A server that never answers: the caller's deadline ends the fetch.
		hang := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(hang) })
		repo, err := gitrepo.OpenMirror(srv.URL+"/repo", t.TempDir(), gitrepo.Credentials{})
		require.NoError(t, err)
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		err = repo.Fetch(short)
		assert.ErrorIs(t, err, gitrepo.ErrUnavailable)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestReadFileRefusesHugeFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 64 MiB blob")
	}
	ctx := context.Background()
	r := gittest.Init(t)
	c := r.Commit(t, "main", map[string]string{"huge.bin": strings.Repeat("\x00", 64<<20+1)}, "Huge")
	repo, err := gitrepo.OpenLocal(r.Dir)
	require.NoError(t, err)

	_, err = repo.ReadFile(ctx, c, "huge.bin")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than the limit")
	assert.NotErrorIs(t, err, gitrepo.ErrNotFound)
}

func TestFetchRepairsBrokenMirror(t *testing.T) {
	ctx := context.Background()
	o := newOrigin(t)
	cache := t.TempDir()
	repo, err := gitrepo.OpenMirror(o.Dir, cache, gitrepo.Credentials{})
	require.NoError(t, err)
	require.NoError(t, repo.Fetch(ctx))

	mirrors, err := filepath.Glob(filepath.Join(cache, "*.git"))
	require.NoError(t, err)
	require.Len(t, mirrors, 1)
	require.NoError(t, os.Remove(filepath.Join(mirrors[0], "HEAD")))

	require.NoError(t, repo.Fetch(ctx))
	got, err := repo.ResolveCommit(ctx, "main")
	require.NoError(t, err)
	assert.Equal(t, o.second, got)
}

func TestOpenMirrorRefusesCredentialsInURL(t *testing.T) {
	for _, tc := range []struct {
		url, secret string
	}{
		{"https://user:s3cr3t-pass@git.example.com/org/repo.git", "s3cr3t-pass"},
		{"http://ghp_t0k3nvalue@git.example.com/org/repo.git", "ghp_t0k3nvalue"},
		{"ssh://git:s3cr3t-pass@git.example.com/org/repo.git", "s3cr3t-pass"},
		{"git:s3cr3t-pass@git.example.com:org/repo.git", "s3cr3t-pass"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := gitrepo.OpenMirror(tc.url, t.TempDir(), gitrepo.Credentials{})
			require.ErrorIs(t, err, gitrepo.ErrCredentialsInURL)
			assert.NotContains(t, err.Error(), tc.secret)
		})
	}

	t.Run("malformed", func(t *testing.T) {
		_, err := gitrepo.OpenMirror("https://user:s3cr3t%zz@git.example.com/org/repo.git", t.TempDir(), gitrepo.Credentials{})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "s3cr3t")
	})

	for _, url := range []string{
		"https://git.example.com/org/repo.git",
		"ssh://git@git.example.com/org/repo.git",
		"git@git.example.com:org/repo.git",
		"file:///srv/git/repo.git",
		"relative/repo",
	} {
		t.Run("accepts "+url, func(t *testing.T) {
			repo, err := gitrepo.OpenMirror(url, t.TempDir(), gitrepo.Credentials{})
			require.NoError(t, err)
			assert.Equal(t, url, repo.URL())
		})
	}
}

// basicAuth lets through requests whose Basic credentials are user and the current token.
func basicAuth(user string, token *atomic.Value, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		want := token.Load().(string)
		if !ok || u != user || subtle.ConstantTimeCompare([]byte(p), []byte(want)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestTokenFile(t *testing.T) {
	ctx := context.Background()
	const token = "tok-9f8e7d6c5b4a"
	const wrong = "tok-wrong-0000"

	for _, tc := range []struct {
		name, username, usernameFile, serverUser string
	}{
		{"default user", "", "", "git"},
		{"named user", "x-access-token", "", "x-access-token"},
		{"user from a file", "", "x-access-token\n", "x-access-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrigin(t)
			var want atomic.Value
			want.Store(token)
			srv := httptest.NewServer(basicAuth(tc.serverUser, &want, gittest.Handler(t, filepath.Dir(o.Dir))))
			t.Cleanup(srv.Close)
			url := srv.URL + "/" + filepath.Base(o.Dir)

			tokenFile := filepath.Join(t.TempDir(), "token")
			// A mounted Secret often ends with a newline; it is not part of the token.
			require.NoError(t, os.WriteFile(tokenFile, []byte(token+"\n"), 0o600))
			creds := gitrepo.Credentials{Username: tc.username, TokenFile: tokenFile}
			if tc.usernameFile != "" {
				creds.UsernameFile = filepath.Join(t.TempDir(), "username")
				require.NoError(t, os.WriteFile(creds.UsernameFile, []byte(tc.usernameFile), 0o600))
			}
			repo, err := gitrepo.OpenMirror(url, t.TempDir(), creds)
			require.NoError(t, err)

			require.NoError(t, repo.Fetch(ctx))
			heads, err := repo.RemoteHeads(ctx)
			require.NoError(t, err)
			assert.Equal(t, o.second, heads["main"])

			noToken := func(err error) {
				t.Helper()
				require.Error(t, err)
				assert.ErrorIs(t, err, gitrepo.ErrUnavailable)
				assert.NotContains(t, err.Error(), token)
				assert.NotContains(t, err.Error(), wrong)
			}

			// The file is read at every use: a rotated Secret takes effect at once.
			require.NoError(t, os.WriteFile(tokenFile, []byte(wrong), 0o600))
			noToken(repo.Fetch(ctx))
			_, err = repo.RemoteHeads(ctx)
			noToken(err)

			// The server rotates too: the file matches again.
			want.Store(wrong)
			require.NoError(t, repo.Fetch(ctx))

			anonymous, err := gitrepo.OpenMirror(url, t.TempDir(), gitrepo.Credentials{})
			require.NoError(t, err)
			noToken(anonymous.Fetch(ctx))

			missingFile, err := gitrepo.OpenMirror(url, t.TempDir(), gitrepo.Credentials{TokenFile: filepath.Join(t.TempDir(), "none")})
			require.NoError(t, err)
			noToken(missingFile.Fetch(ctx))
		})
	}
}

func TestOpenLocalReadsInPlace(t *testing.T) {
	ctx := context.Background()
	o := newOrigin(t)
	repo, err := gitrepo.OpenLocal(o.Dir)
	require.NoError(t, err)

	// No Fetch needed: a new commit is visible at once.
	c := o.Commit(t, "tier/dev", map[string]string{"shopsets.yaml": "shopsets: [dev]\n"}, "Dev change")
	require.NoError(t, repo.Fetch(ctx))
	got, err := repo.ResolveCommit(ctx, "tier/dev")
	require.NoError(t, err)
	assert.Equal(t, c, got)
	data, err := repo.ReadFile(ctx, "tier/dev", "shopsets.yaml")
	require.NoError(t, err)
	assert.Equal(t, "shopsets: [dev]\n", string(data))

	// A bare repository works the same way.
	bare := filepath.Join(t.TempDir(), "bare.git")
	o.Git(t, "clone", "--quiet", "--bare", o.Dir, bare)
	repo, err = gitrepo.OpenLocal(bare)
	require.NoError(t, err)
	heads, err := repo.RemoteHeads(ctx)
	require.NoError(t, err)
	assert.Equal(t, c, heads["tier/dev"])

	// A directory inside a repository is not a repository.
	sub := filepath.Join(o.Dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	_, err = gitrepo.OpenLocal(sub)
	assert.ErrorIs(t, err, gitrepo.ErrUnavailable)
}

func TestErrorsAreDistinct(t *testing.T) {
	classes := []error{gitrepo.ErrUnavailable, gitrepo.ErrUnknownRevision, gitrepo.ErrNotFound, gitrepo.ErrNoMergeBase, gitrepo.ErrCredentialsInURL}
	for i, a := range classes {
		for j, b := range classes {
			assert.Equal(t, i == j, errors.Is(a, b))
		}
	}
}

func TestFileHistory(t *testing.T) {
	ctx := context.Background()
	r := gittest.Init(t)
	first := r.Commit(t, "main", map[string]string{"shopsets.yaml": "v1\n"}, "v1")
	r.Commit(t, "main", map[string]string{"other.txt": "x\n"}, "unrelated")
	second := r.Commit(t, "main", map[string]string{"shopsets.yaml": "v2\n"}, "v2")
	last := r.Commit(t, "main", map[string]string{"other.txt": "y\n"}, "unrelated again")
	// A file whose name is pathspec magic is still a name.
	r.Commit(t, "main", map[string]string{":(glob)*": "z\n"}, "odd name")
	repo, err := gitrepo.OpenLocal(r.Dir)
	require.NoError(t, err)

	got, err := repo.FileHistory(ctx, last, "shopsets.yaml", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{second, first}, got)
	got, err = repo.FileHistory(ctx, last, "shopsets.yaml", 1)
	require.NoError(t, err)
	assert.Equal(t, []string{second}, got)
	got, err = repo.FileHistory(ctx, "main", ":(glob)*", 10)
	require.NoError(t, err)
	assert.Len(t, got, 1, "the path is literal, not a pattern matching every file")
	_, err = repo.FileHistory(ctx, "no-such-branch", "shopsets.yaml", 10)
	assert.ErrorIs(t, err, gitrepo.ErrUnknownRevision)
	_, err = repo.FileHistory(ctx, "main", "../x", 10)
	assert.Error(t, err)
}

func TestReadFileAtAndGraph(t *testing.T) {
	ctx := context.Background()
	r := gittest.Init(t)
	first := r.Commit(t, "main", map[string]string{"shopsets.yaml": "v1\n"}, "v1")
	none := r.Commit(t, "main", map[string]string{"shopsets.yaml": ""}, "gone")
	r.Branch(t, "topic", none)
	topic := r.Commit(t, "topic", map[string]string{"other.txt": "x\n"}, "On a branch\n\nShopset-Confirm-Removal: 3\n")
	second := r.Commit(t, "main", map[string]string{"shopsets.yaml": "v2\n"}, "v2")
	r.Git(t, "checkout", "-q", "main")
	r.Git(t, "merge", "-q", "--no-ff", "-m", "Merge topic", "topic")
	merge := r.Head(t, "main")
	repo, err := gitrepo.OpenLocal(r.Dir)
	require.NoError(t, err)

	files, err := repo.ReadFileAt(ctx, "shopsets.yaml", []string{second, first, none})
	require.NoError(t, err)
	require.Len(t, files, 3)
	assert.Equal(t, "v2\n", string(files[0]))
	assert.Equal(t, "v1\n", string(files[1]))
	assert.Nil(t, files[2], "deleted at that commit")
	_, err = repo.ReadFileAt(ctx, "../x", []string{first})
	assert.Error(t, err)

	graph, err := repo.Graph(ctx, second, merge, 100)
	require.NoError(t, err)
	ids := map[string]gitrepo.GraphCommit{}
	for _, c := range graph {
		ids[c.ID] = c
	}
	assert.Len(t, graph, 2, "the merge and the branch's commit")
	assert.Equal(t, []string{second, topic}, ids[merge].Parents)
	assert.Equal(t, []string{"3"}, ids[topic].Trailers["Shopset-Confirm-Removal"])
}

// Git requests name shopset and its build, so a Git server's logs can tell them apart.
func TestUserAgent(t *testing.T) {
	o := newOrigin(t)
	h := gittest.Handler(t, filepath.Dir(o.Dir))
	var agents sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		agents.Store(req.UserAgent(), true)
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	repo, err := gitrepo.OpenMirror(srv.URL+"/"+filepath.Base(o.Dir), t.TempDir(), gitrepo.Credentials{})
	require.NoError(t, err)
	require.NoError(t, repo.Fetch(context.Background()))
	_, err = repo.RemoteHeads(context.Background())
	require.NoError(t, err)
	seen := 0
	agents.Range(func(k, _ any) bool {
		assert.Equal(t, version.UserAgent(), k)
		seen++
		return true
	})
	assert.Equal(t, 1, seen)
}

func TestCommitDatesAndTreeIDs(t *testing.T) {
	ctx := context.Background()
	r := gittest.Init(t)
	base := r.Commit(t, "main", map[string]string{"policies/a.rego": "package a\n", "x": "1\n"}, "base")
	r.Branch(t, "preview/a", base)
	when := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	a := r.CommitAt(t, "preview/a", map[string]string{"x": "2\n"}, "same policies", when)
	r.Branch(t, "preview/b", base)
	b := r.Commit(t, "preview/b", map[string]string{"policies/a.rego": "package b\n"}, "other policies")
	repo, err := gitrepo.OpenLocal(r.Dir)
	require.NoError(t, err)

	dates, err := repo.CommitDates(ctx, []string{a, base, a})
	require.NoError(t, err)
	assert.Len(t, dates, 2)
	assert.True(t, when.Equal(dates[a]), "%s != %s", when, dates[a])
	baseDate, err := time.Parse(time.RFC3339, strings.TrimSpace(r.Git(t, "show", "-s", "--format=%cI", base)))
	require.NoError(t, err)
	assert.True(t, baseDate.Equal(dates[base]))
	empty, err := repo.CommitDates(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, empty)
	_, err = repo.CommitDates(ctx, []string{strings.Repeat("1", 40)})
	assert.Error(t, err, "a commit the repository does not have")
	_, err = repo.CommitDates(ctx, []string{"--all"})
	assert.Error(t, err, "an option is not a commit")

	ids, err := repo.TreeIDs(ctx, "policies", []string{base, a, b, r.Commit(t, "main", map[string]string{"policies/a.rego": ""}, "no policies")})
	require.NoError(t, err)
	require.Len(t, ids, 4)
	assert.Equal(t, strings.TrimSpace(r.Git(t, "rev-parse", base+":policies")), ids[0])
	assert.Equal(t, ids[0], ids[1], "same directory, same ID")
	assert.NotEqual(t, ids[0], ids[2])
	assert.NotEmpty(t, ids[2])
	assert.Empty(t, ids[3], "no policies/ at all")
	_, err = repo.TreeIDs(ctx, "../policies", []string{base})
	assert.Error(t, err)
}
