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
}

func (f *repoFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.repo, "repo", "", "read the inventory and tier branches from this Git repository (a local path or a URL) instead of --inventory")
	fs.StringVar(&f.revision, "revision", inventory.DefaultRevision, "with --repo: the inventory's revision")
	fs.StringVar(&f.path, "path", inventory.DefaultPath, "with --repo: the inventory's path in the repository")
	addGitCredentialFlags(fs, &f.creds)
}

// snapshot reads the repository the way the generator does: the inventory at revision,
// every tier pinned. A local directory is read in place; a URL is fetched into a
// temporary mirror that the returned cleanup removes.
func (f *repoFlags) snapshot(ctx context.Context) (*snapshot.Snapshot, *gitrepo.Repo, func(), error) {
	cleanup := func() {}
	var (
		repo *gitrepo.Repo
		err  error
	)
	if info, statErr := os.Stat(f.repo); statErr == nil && info.IsDir() {
		repo, err = gitrepo.OpenLocal(f.repo)
	} else {
		dir, tmpErr := os.MkdirTemp("", "shopctl-mirror-")
		if tmpErr != nil {
			return nil, nil, cleanup, tmpErr
		}
		cleanup = func() { os.RemoveAll(dir) }
		repo, err = gitrepo.OpenMirror(f.repo, dir, f.creds)
		if err == nil {
			err = repo.Fetch(ctx)
		}
	}
	if err != nil {
		cleanup()
		return nil, nil, func() {}, fmt.Errorf("repository %s: %w", repoName(f.repo), err)
	}
	snap, err := snapshot.Build(ctx, repo, f.repo, f.revision, f.path)
	if err != nil {
		cleanup()
		return nil, nil, func() {}, err
	}
	return snap, repo, cleanup, nil
}

// repoName is how errors name a repository: never with credentials.
func repoName(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return "(a URL with credentials)"
	}
	return raw
}
