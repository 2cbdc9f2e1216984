// Package gitrepo reads Git repositories with the git CLI: local repositories in place,
// remote ones through a bare mirror kept up to date with fetch.
//
// The git CLI is used rather than a Go implementation so that transports, credentials and
// history walks (merge-base, rev-list) behave exactly as in Argo CD's repo-server, which
// also shells out to git.
//
// Errors are classified so that a caller never mistakes a Git failure for an empty
// repository: ErrUnavailable (network, authentication, timeouts, missing remote),
// ErrUnknownRevision, ErrNotFound and ErrNoMergeBase, all matched with errors.Is.
//
//	repo, err := gitrepo.OpenMirror("https://git.example.com/platform/shops.git", "/var/cache/shopset",
//		gitrepo.Credentials{TokenFile: "/etc/shopset/git/token"})
//	if err != nil {
//		return err
//	}
//	if err := repo.Fetch(ctx); err != nil {
//		return err // errors.Is(err, gitrepo.ErrUnavailable): serve the last good answer
//	}
//	main, err := repo.ResolveCommit(ctx, "main")
//	if err != nil {
//		return err
//	}
//	inventory, err := repo.ReadFile(ctx, main, "shopsets.yaml")
//
// A Repo is safe for concurrent use. Only Fetch writes to the mirror, and concurrent Fetch
// calls share one git fetch. One process should own a cache directory.
package gitrepo
