package gitrepo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// Errors a caller tells apart with errors.Is.
var (
	// ErrUnavailable covers everything that keeps us from talking to the remote or from
	// finishing in time: network, authentication, timeouts, a missing remote or a mirror
	// that was never fetched. It is never a statement about the repository's content.
	ErrUnavailable = errors.New("git repository unavailable")
	// ErrUnknownRevision means the repository has no such branch, tag or commit.
	ErrUnknownRevision = errors.New("unknown revision")
	// ErrNotFound means the commit has no file at that path.
	ErrNotFound = errors.New("file not found")
	// ErrNoMergeBase means the two commits share no history.
	ErrNoMergeBase = errors.New("no common history")
	// ErrCredentialsInURL refuses URLs such as https://user:token@host/repo.git: the URL
	// ends up in logs and errors. Its message never includes the URL.
	ErrCredentialsInURL = errors.New("repository URL must not contain credentials")
)

// Credentials authenticate to a remote. The zero value is anonymous access.
type Credentials struct {
	Username       string // HTTPS user name sent with the token; default "git"
	UsernameFile   string // file holding Username instead (a Secret's key); read at every use like the token
	TokenFile      string // HTTPS password or token; read at every use so a rotated Secret takes effect
	SSHKeyFile     string // private key for ssh:// and scp-style URLs
	KnownHostsFile string // ssh known_hosts; when empty, ssh's StrictHostKeyChecking=yes with the user's defaults
}

// Commit is one entry of Log.
type Commit struct {
	ID       string              `json:"id"`
	Subject  string              `json:"subject"`
	Trailers map[string][]string `json:"trailers,omitempty"` // keys as written, e.g. "Shopset-Confirm-Removal"
}

// Repo reads one repository: a bare mirror of a remote (OpenMirror) or a local repository
// in place (OpenLocal). It is safe for concurrent use.
type Repo struct {
	url    string // as given
	remote string // what git fetches from: url, or an absolute path for a local path
	dir    string // the git directory
	mirror bool
	creds  Credentials

	mu       sync.Mutex
	fetching *fetchCall // the fetch in flight, if any
	// waiters counts the callers waiting on the fetch in flight.
	waiters atomic.Int32
}

// fetchCall is one fetch that concurrent Fetch calls share.
type fetchCall struct {
	done     chan struct{}
	err      error
	canceled bool // the fetch stopped because its caller's context ended
}

// OpenMirror returns a Repo backed by a bare mirror of url under cacheDir (one directory
// per URL, named by a hash of the URL). url may be https://, http://, ssh://, scp-style
// (git@host:org/repo.git), file:// or a plain local path. A URL with user info
// (https://user:pass@host/...) is refused with ErrCredentialsInURL. Nothing is fetched yet.
func OpenMirror(url, cacheDir string, creds Credentials) (*Repo, error) {
	remote, err := checkURL(url)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(creds.Username, "\r\n\x00") {
		return nil, errors.New("opening mirror: user name contains a line break")
	}
	if cacheDir == "" {
		return nil, errors.New("opening mirror: no cache directory")
	}
	cacheDir, err = filepath.Abs(cacheDir)
	if err != nil {
		return nil, fmt.Errorf("opening mirror: %w", err)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("opening mirror: creating cache directory: %w", err)
	}
	sum := sha256.Sum256([]byte(url))
	return &Repo{
		url:    url,
		remote: remote,
		dir:    filepath.Join(cacheDir, hex.EncodeToString(sum[:])[:16]+".git"),
		mirror: true,
		creds:  creds,
	}, nil
}

// OpenLocal reads an existing local repository (bare or not) in place; Fetch is a no-op and
// RemoteHeads returns its local branches.
func OpenLocal(path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("opening local repository %s: %w: %w", path, ErrUnavailable, err)
	}
	r := &Repo{url: path}
	out, err := r.run(context.Background(), cmd{
		dir:  abs,
		args: []string{"rev-parse", "--absolute-git-dir"},
		// Stop discovery at path: a directory inside some other repository is not that
		// repository.
		env: []string{"GIT_CEILING_DIRECTORIES=" + filepath.Dir(abs)},
	})
	if err != nil {
		return nil, fmt.Errorf("opening local repository %s: %w: %w", path, ErrUnavailable, err)
	}
	r.dir = strings.TrimSpace(string(out))
	r.remote = r.dir
	return r, nil
}

// URL returns the URL or path the Repo was opened with; it never contains credentials.
func (r *Repo) URL() string { return r.url }

// checkURL refuses URLs carrying credentials and returns what git should fetch from.
// Errors never quote the URL, which may hold a secret.
func checkURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("opening mirror: empty repository URL")
	}
	if strings.ContainsAny(raw, "\r\n\x00") || strings.HasPrefix(raw, "-") {
		return "", errors.New("opening mirror: malformed repository URL")
	}
	if scheme, _, ok := strings.Cut(raw, "://"); ok && scheme != "" && !strings.ContainsAny(scheme, "/:@") {
		u, err := url.Parse(raw)
		if err != nil {
			// url.Error quotes the URL, secret and all.
			return "", errors.New("opening mirror: malformed repository URL")
		}
		if u.User != nil {
			_, hasPassword := u.User.Password()
			// An ssh user name is how ssh URLs say who to log in as; over HTTP a bare user
			// name is as often a token.
			if hasPassword || (u.Scheme != "ssh" && u.Scheme != "git+ssh" && u.Scheme != "ssh+git") {
				return "", ErrCredentialsInURL
			}
		}
		return raw, nil
	}
	if isSCPLike(raw) {
		// scp syntax has no password, but user:secret@host:path reads as one to people
		// and would end up in logs.
		host, _, _ := strings.Cut(raw, "/")
		if i := strings.LastIndex(host, "@"); i >= 0 && strings.Contains(host[:i], ":") {
			return "", ErrCredentialsInURL
		}
		return raw, nil
	}
	// A plain path: make it absolute so it does not depend on where git runs.
	abs, err := filepath.Abs(raw)
	if err != nil {
		return "", fmt.Errorf("opening mirror: %w", err)
	}
	return abs, nil
}

// isSCPLike follows git's rule: host:path is scp syntax when a colon comes before any
// slash (and the host part is not empty).
func isSCPLike(s string) bool {
	colon := strings.Index(s, ":")
	slash := strings.Index(s, "/")
	return colon > 0 && (slash < 0 || colon < slash)
}

// Fetch brings the mirror up to date with the remote (init --bare on first use, then
// fetch --prune of branches and tags). Concurrent calls share one fetch: a call that finds
// a fetch in flight waits for it and returns its result. Errors wrap ErrUnavailable.
func (r *Repo) Fetch(ctx context.Context) error {
	if !r.mirror {
		return nil
	}
	for {
		r.mu.Lock()
		c := r.fetching
		if c == nil {
			c = &fetchCall{done: make(chan struct{})}
			r.fetching = c
			r.mu.Unlock()

			c.err = r.fetch(ctx)
			c.canceled = ctx.Err() != nil
			r.mu.Lock()
			r.fetching = nil
			r.mu.Unlock()
			close(c.done)
			return c.err
		}
		r.waiters.Add(1)
		r.mu.Unlock()

		select {
		case <-c.done:
		case <-ctx.Done():
			r.waiters.Add(-1)
			return fmt.Errorf("fetching %s: %w: %w", r.url, ErrUnavailable, ctx.Err())
		}
		r.waiters.Add(-1)
		// The fetch we joined gave up because its caller went away, not because the remote
		// failed; ours is still wanted, so run one.
		if c.err != nil && c.canceled && ctx.Err() == nil {
			continue
		}
		return c.err
	}
}

// fetch runs one fetch; only Fetch calls it, never two at once.
func (r *Repo) fetch(ctx context.Context) error {
	created, err := r.ensureMirror(ctx)
	if err == nil && !created {
		err = r.fetchInto(ctx, r.dir)
	}
	if err != nil && !errors.Is(err, ErrUnavailable) {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err != nil {
		return fmt.Errorf("fetching %s: %w", r.url, err)
	}
	return nil
}

// fetchInto fetches branches and tags into the bare repository dir, removing those the
// remote no longer has.
func (r *Repo) fetchInto(ctx context.Context, dir string) error {
	_, err := r.run(ctx, cmd{
		gitDir: dir,
		remote: true,
		args: []string{
			// A detached auto-gc would outlive the fetch and race with the next one.
			"-c", "gc.autoDetach=false", "-c", "maintenance.autoDetach=false",
			"fetch", "--quiet", "--prune", "--no-tags", "--no-write-fetch-head",
			"origin", "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*",
		},
	})
	if err != nil && !errors.Is(err, ErrUnavailable) {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// ensureMirror leaves a usable mirror of r.remote at r.dir and reports whether it just
// created (and so fetched) it. A missing mirror is created by a first fetch into a temporary directory renamed into place on success, so a failed
// first fetch never leaves an empty mirror that would read as a repository without
// branches. A broken mirror, or one of another URL, is removed and created again.
func (r *Repo) ensureMirror(ctx context.Context) (created bool, err error) {
	if _, err := os.Stat(r.dir); err == nil {
		out, err := r.run(ctx, cmd{gitDir: r.dir, args: []string{"config", "--get", "remote.origin.url"}})
		if err == nil && strings.TrimSpace(string(out)) == r.remote {
			return false, nil
		}
		if ctx.Err() != nil {
			return false, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
		}
		if err := os.RemoveAll(r.dir); err != nil {
			return false, fmt.Errorf("removing broken mirror: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("checking mirror: %w", err)
	}

	// Leftovers of a process that died during its first fetch.
	stale, _ := filepath.Glob(r.dir + ".tmp-*")
	for _, s := range stale {
		os.RemoveAll(s)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(r.dir), filepath.Base(r.dir)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("creating mirror: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if _, err := r.run(ctx, cmd{args: []string{"init", "--quiet", "--bare", "--initial-branch=main", tmp}}); err != nil {
		return false, fmt.Errorf("creating mirror: %w", err)
	}
	if _, err := r.run(ctx, cmd{gitDir: tmp, args: []string{"config", "remote.origin.url", r.remote}}); err != nil {
		return false, fmt.Errorf("creating mirror: %w", err)
	}
	if err := r.fetchInto(ctx, tmp); err != nil {
		return false, err
	}
	if err := os.Rename(tmp, r.dir); err != nil {
		return false, fmt.Errorf("creating mirror: %w", err)
	}
	return true, nil
}
