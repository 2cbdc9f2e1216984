package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/snapshot"
)

// repoFlags select an inventory in Git instead of a file: what the generator serves.
type repoFlags struct {
	repo, revision, path string
	creds                gitrepo.Credentials
	progress             *progress
}

func (f *repoFlags) add(cmd *cobra.Command, env Env) {
	f.progress = newProgress(env)
	fs := cmd.Flags()
	fs.StringVar(&f.repo, "repo", "", "read the inventory and tier branches from this Git repository (a local path or a URL) instead of --inventory")
	fs.StringVar(&f.revision, "revision", inventory.DefaultRevision, "with --repo: the inventory's revision")
	fs.StringVar(&f.path, "path", inventory.DefaultPath, "with --repo: the inventory's path in the repository")
	addGitCredentialFlags(fs, &f.creds)
}

// snapshot reads the repository the way the generator does: the inventory at revision,
// every tier pinned. The returned cleanup removes a temporary mirror (see open).
func (f *repoFlags) snapshot(ctx context.Context) (*snapshot.Snapshot, *gitrepo.Repo, func(), error) {
	m, repo, cleanup, err := f.model(ctx)
	if err != nil {
		return nil, nil, func() {}, err
	}
	snap, err := m.Pin(ctx, repo, f.revision)
	if err != nil {
		cleanup()
		return nil, nil, func() {}, err
	}
	return snap, repo, cleanup, nil
}

// model reads the inventory at revision and derives its model, for the commands that
// need no tier pinned (plan, render --routing).
func (f *repoFlags) model(ctx context.Context) (*snapshot.Model, *gitrepo.Repo, func(), error) {
	repo, cleanup, err := f.open(ctx)
	if err != nil {
		return nil, nil, cleanup, err
	}
	m, err := snapshot.LoadModelAt(ctx, repo, f.repo, f.revision, f.path)
	if err != nil {
		cleanup()
		return nil, nil, func() {}, err
	}
	return m, repo, cleanup, nil
}

// open opens --repo, the one way every command does: a local directory is read in
// place; a URL is fetched into a temporary mirror that the returned cleanup removes.
func (f *repoFlags) open(ctx context.Context) (*gitrepo.Repo, func(), error) {
	cleanup := func() {}
	var (
		repo *gitrepo.Repo
		err  error
	)
	if isLocalRepo(f.repo) {
		repo, err = gitrepo.OpenLocal(f.repo)
	} else {
		dir, tmpErr := os.MkdirTemp("", "shopctl-mirror-")
		if tmpErr != nil {
			return nil, cleanup, tmpErr
		}
		cleanup = func() { os.RemoveAll(dir) }
		repo, err = gitrepo.OpenMirror(f.repo, dir, f.creds)
		if err == nil {
			// The whole history comes over the network: say so, or a large
			// repository looks like a hang.
			f.progress.say("fetching %s into a temporary mirror...", repoName(f.repo))
			err = repo.Fetch(ctx)
			f.progress.clear()
		}
	}
	if err != nil {
		cleanup()
		return nil, func() {}, fmt.Errorf("repository %s: %w", repoName(f.repo), err)
	}
	return repo, cleanup, nil
}

// isLocalRepo tells a local repository from a URL the way repoFlags.open does.
func isLocalRepo(repo string) bool {
	info, err := os.Stat(repo)
	return err == nil && info.IsDir()
}

// repoName is how errors name a repository: never with credentials.
func repoName(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return "(a URL with credentials)"
	}
	return raw
}
