package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// Errors of the write operations, told apart with errors.Is like the others.
var (
	// ErrRefChanged means a branch is not where the caller last saw it: it moved in the
	// meantime, or the remote's branch is not the local one. Nothing was written.
	ErrRefChanged = errors.New("branch moved")
	// ErrRejected means the remote refused a push: not a fast-forward, a protected branch,
	// a hook. Nothing was written.
	ErrRejected = errors.New("push rejected")
	// ErrCheckedOut means a branch to move is checked out in a work tree. Nothing was
	// written.
	ErrCheckedOut = errors.New("branch checked out")
)

// commitID matches a full SHA-1 or SHA-256 object name; writes take nothing else, so
// what moves is exactly what the caller checked.
var commitID = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)

func checkCommitIDs(what string, ids ...string) error {
	for _, id := range ids {
		if !commitID.MatchString(id) {
			return fmt.Errorf("%s: %q is not a full commit ID", what, id)
		}
	}
	return nil
}

// checkBranch refuses branch names git could take for something else; git itself checks
// the rest of the ref name rules.
func checkBranch(what, branch string) error {
	if branch == "" || strings.HasPrefix(branch, "-") || strings.HasPrefix(branch, "refs/") ||
		strings.ContainsAny(branch, ": \t\r\n\x00\\^~?*[") {
		return fmt.Errorf("%s: invalid branch name %q", what, branch)
	}
	return nil
}

// UpdateBranch moves refs/heads/<branch> from old to new, as one compare-and-swap
// (git update-ref): ErrRefChanged when the branch is no longer at old. Both must be full
// commit IDs. A branch checked out in a work tree is refused: its files and index would
// stay at old, and the next commit there would undo the move.
func (r *Repo) UpdateBranch(ctx context.Context, branch, newID, oldID string) error {
	what := fmt.Sprintf("moving %s from %.12s to %.12s", branch, oldID, newID)
	if err := checkBranch(what, branch); err != nil {
		return err
	}
	if err := checkCommitIDs(what, newID, oldID); err != nil {
		return err
	}
	ref := "refs/heads/" + branch
	worktrees, err := r.read(ctx, cmd{args: []string{"worktree", "list", "--porcelain"}})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	dir := ""
	for _, field := range strings.Split(string(worktrees), "\n") {
		if p, ok := strings.CutPrefix(field, "worktree "); ok {
			dir = p
		}
		if field == "branch "+ref {
			return fmt.Errorf("%s: %w in %s; switch that work tree to another branch first", what, ErrCheckedOut, dir)
		}
	}
	_, err = r.read(ctx, cmd{args: []string{"update-ref", "-m", "shopctl", ref, newID, oldID}})
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if now, rerr := r.ResolveCommit(ctx, ref); rerr == nil && now != oldID {
		return fmt.Errorf("%s: %w: it is at %.12s now", what, ErrRefChanged, now)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// remoteTarget is what git talks to for remote: a mirror's URL (remote is ignored), or
// the named remote of a local repository, which must exist (else ErrUnavailable).
func (r *Repo) remoteTarget(ctx context.Context, remote string) (target, name string, err error) {
	if r.mirror {
		return r.remote, r.url, nil
	}
	if remote == "" || strings.HasPrefix(remote, "-") || strings.ContainsAny(remote, " \t\r\n\x00") {
		return "", "", fmt.Errorf("invalid remote name %q", remote)
	}
	out, err := r.read(ctx, cmd{args: []string{"config", "--get", "remote." + remote + ".url"}})
	if err != nil {
		if exitCode(err) == 1 {
			return "", "", fmt.Errorf("the repository %s has no remote %q: %w", r.url, remote, ErrUnavailable)
		}
		return "", "", fmt.Errorf("reading remote %q: %w", remote, err)
	}
	return remote, fmt.Sprintf("%s (%s)", remote, redact(strings.TrimSpace(string(out)))), nil
}

// RemoteBranch asks the remote where its branch is (git ls-remote): the commit, or ""
// when the remote has no such branch. For a mirror the remote is the mirror's URL; for a
// local repository it is one of its remotes, by name (e.g. "origin"), and a missing one
// is ErrUnavailable, like a remote that cannot be reached.
func (r *Repo) RemoteBranch(ctx context.Context, remote, branch string) (string, error) {
	what := fmt.Sprintf("asking the remote for %s", branch)
	if err := checkBranch(what, branch); err != nil {
		return "", err
	}
	target, name, err := r.remoteTarget(ctx, remote)
	if err != nil {
		return "", err
	}
	what = fmt.Sprintf("asking %s for %s", name, branch)
	out, err := r.read(ctx, cmd{remote: true, args: []string{"ls-remote", "--heads", target, "refs/heads/" + branch}})
	if err != nil {
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return "", fmt.Errorf("%s: %w", what, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		id, ref, ok := strings.Cut(line, "\t")
		if ok && ref == "refs/heads/"+branch {
			return id, nil
		}
	}
	return "", nil
}

// Push sets branch on the remote to commit, without force, and only if the remote's
// branch is at old right before (else ErrRefChanged, nothing pushed): the remote takes
// a fast-forward and refuses anything else (ErrRejected). Remote is as for RemoteBranch.
// Network and authentication failures are ErrUnavailable.
func (r *Repo) Push(ctx context.Context, remote, branch, commit, old string) error {
	what := fmt.Sprintf("pushing %.12s to %s", commit, branch)
	if err := checkBranch(what, branch); err != nil {
		return err
	}
	if err := checkCommitIDs(what, commit, old); err != nil {
		return err
	}
	target, name, err := r.remoteTarget(ctx, remote)
	if err != nil {
		return err
	}
	what = fmt.Sprintf("pushing %.12s to %s on %s", commit, branch, name)
	at, err := r.RemoteBranch(ctx, remote, branch)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if at != old {
		if at == "" {
			return fmt.Errorf("%s: %w: the remote has no branch %s", what, ErrRefChanged, branch)
		}
		return fmt.Errorf("%s: %w: the remote's %s is at %.12s, not at %.12s; fetch first", what, ErrRefChanged, branch, at, old)
	}
	_, err = r.read(ctx, cmd{remote: true, args: []string{
		// The advice that follows a rejection tells people to pull and force; the error
		// says what to do instead.
		"-c", "advice.pushUpdateRejected=false",
		"push", "--quiet", "--no-signed", target, commit + ":refs/heads/" + branch,
	}})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnavailable):
		return fmt.Errorf("%s: %w", what, err)
	case exitCode(err) == 1:
		// git push exits 1 when the remote refused a ref, 128 when it could not talk
		// to it at all.
		return fmt.Errorf("%s: %w: %w", what, ErrRejected, err)
	default:
		return fmt.Errorf("%s: %w: %w", what, ErrUnavailable, err)
	}
}

// CommitEmpty makes a commit whose tree is parent's and whose parent is parent, with
// message (trailers and all), and returns its ID; no branch moves (UpdateBranch, Push).
// The author and committer are the person's, as for git commit: GIT_AUTHOR_NAME and the
// like, else user.name and user.email of their Git configuration.
func (r *Repo) CommitEmpty(ctx context.Context, parent, message string) (string, error) {
	what := fmt.Sprintf("making a commit on %.12s", parent)
	if err := checkCommitIDs(what, parent); err != nil {
		return "", err
	}
	who, err := r.identity(ctx)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	out, err := r.read(ctx, cmd{args: []string{"commit-tree", parent + "^{tree}", "-p", parent, "-F", "-"},
		env: who, stdin: strings.NewReader(message)})
	if err != nil {
		return "", fmt.Errorf("%s (is git's user.name and user.email set?): %w", what, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// identity returns the environment that names the person who commits. Every other git
// command runs without the user's and the system's configuration (behaviour must not
// depend on the host), but who makes a commit is exactly what that configuration says:
// only user.name and user.email are read from it, nothing else that could change what
// git does.
func (r *Repo) identity(ctx context.Context) ([]string, error) {
	var env []string
	for _, v := range []struct{ key, author, committer string }{
		{"user.name", "GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"},
		{"user.email", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"},
	} {
		_, haveAuthor := os.LookupEnv(v.author)
		_, haveCommitter := os.LookupEnv(v.committer)
		if haveAuthor && haveCommitter {
			continue
		}
		c := exec.CommandContext(ctx, "git", "--git-dir="+r.dir, "config", "--get", v.key)
		c.Env = append(inheritedEnv(), "LC_ALL=C")
		c.WaitDelay = waitDelay
		out, err := c.Output()
		value := strings.TrimSpace(string(out))
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: not set
			return nil, fmt.Errorf("reading %s of the Git configuration: %w", v.key, err)
		}
		if value == "" {
			// git commit-tree says what is missing, and how to set it.
			continue
		}
		if strings.ContainsAny(value, "\r\n\x00<>") {
			return nil, fmt.Errorf("%s of the Git configuration holds a line break or angle bracket", v.key)
		}
		if !haveAuthor {
			env = append(env, v.author+"="+value)
		}
		if !haveCommitter {
			env = append(env, v.committer+"="+value)
		}
	}
	return env, nil
}
