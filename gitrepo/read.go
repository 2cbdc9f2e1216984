package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// maxFileSize bounds ReadFile: inventories and manifests are small, and a huge blob
// should fail loudly rather than exhaust memory.
const maxFileSize = 64 << 20

// maxBatchSize bounds what one ReadFileAt reads in all.
const maxBatchSize = 512 << 20

// read runs a git command that only reads the repository.
func (r *Repo) read(ctx context.Context, c cmd) ([]byte, error) {
	if r.mirror {
		// Reading a mirror that does not exist yet would fail as "not a git repository";
		// say what it means for the caller instead.
		if _, err := os.Stat(r.dir); err != nil {
			return nil, fmt.Errorf("%w: mirror not fetched yet", ErrUnavailable)
		}
	}
	c.gitDir = r.dir
	return r.run(ctx, c)
}

// checkRev refuses revisions git could take for an option or that our own syntax
// (rev:path, one per line) cannot carry. No branch, tag or commit ID looks like that, so
// the revision is unknown.
func checkRev(rev string) error {
	if rev == "" || strings.HasPrefix(rev, "-") || strings.ContainsAny(rev, ":\r\n\x00") {
		return fmt.Errorf("invalid revision %q: %w", rev, ErrUnknownRevision)
	}
	return nil
}

// RemoteHeads lists the remote's branches cheaply (git ls-remote --heads): branch name
// (without refs/heads/) -> commit. For a local repository it returns its branches.
// Errors wrap ErrUnavailable.
func (r *Repo) RemoteHeads(ctx context.Context) (map[string]string, error) {
	if !r.mirror {
		return r.Heads(ctx)
	}
	out, err := r.run(ctx, cmd{
		// Run in the cache directory so no repository around the process's working
		// directory lends its configuration.
		dir:    filepath.Dir(r.dir),
		remote: true,
		args:   []string{"ls-remote", "--heads", r.remote},
	})
	if err != nil {
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil, fmt.Errorf("listing branches of %s: %w", r.url, err)
	}
	heads := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		id, ref, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if name, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
			heads[name] = id
		}
	}
	return heads, nil
}

// Heads lists the branches the mirror (or local repository) holds now: name -> commit.
func (r *Repo) Heads(ctx context.Context) (map[string]string, error) {
	out, err := r.read(ctx, cmd{args: []string{"for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/"}})
	if err != nil {
		return nil, fmt.Errorf("listing branches of %s: %w", r.url, err)
	}
	heads := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		id, ref, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		heads[strings.TrimPrefix(ref, "refs/heads/")] = id
	}
	return heads, nil
}

// ResolveCommit turns a branch, tag or commit ID into a full commit ID (peeling tags);
// ErrUnknownRevision when the repository has no such revision.
func (r *Repo) ResolveCommit(ctx context.Context, rev string) (string, error) {
	if err := checkRev(rev); err != nil {
		return "", err
	}
	out, err := r.read(ctx, cmd{args: []string{"rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"}})
	if err != nil {
		// With --quiet, exit code 1 is exactly "no such commit".
		if exitCode(err) == 1 {
			return "", fmt.Errorf("resolving %q: %w", rev, ErrUnknownRevision)
		}
		return "", fmt.Errorf("resolving %q: %w", rev, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// ReadFile returns path at commit; ErrNotFound when absent (or a directory). Path must be a
// clean relative slash path without ".." (else an error, not a read).
func (r *Repo) ReadFile(ctx context.Context, commit, path string) ([]byte, error) {
	if err := checkRev(commit); err != nil {
		return nil, err
	}
	if !fs.ValidPath(path) || path == "." || strings.ContainsAny(path, "\r\n") {
		return nil, fmt.Errorf("reading %q: invalid path", path)
	}
	// One batch answers both questions: does the commit exist, and what is at path.
	query := commit + "^{commit}\n" + commit + ":" + path + "\n"
	out, err := r.read(ctx, cmd{args: []string{"cat-file", "--batch-check"}, stdin: strings.NewReader(query)})
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", path, commit, err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 2 {
		return nil, fmt.Errorf("reading %s at %s: unexpected git cat-file output %q", path, commit, out)
	}
	if _, _, _, ok := parseObjectLine(lines[0]); !ok {
		return nil, fmt.Errorf("reading %s at %s: %w", path, commit, ErrUnknownRevision)
	}
	id, typ, size, ok := parseObjectLine(lines[1])
	switch {
	case !ok:
		return nil, fmt.Errorf("reading %s at %s: %w", path, commit, ErrNotFound)
	case typ != "blob":
		return nil, fmt.Errorf("reading %s at %s: %w (it is a %s)", path, commit, ErrNotFound, typ)
	case size > maxFileSize:
		return nil, fmt.Errorf("reading %s at %s: file is %d bytes, more than the limit of %d", path, commit, size, maxFileSize)
	}
	data, err := r.read(ctx, cmd{args: []string{"cat-file", "blob", id}, max: maxFileSize})
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", path, commit, err)
	}
	return data, nil
}

// ReadFileAt returns path at each of commits, in one pass over the repository (two git
// processes, whatever the number of commits): nil for a commit where path is absent or
// not a file. All of it together is bounded by maxBatchSize.
func (r *Repo) ReadFileAt(ctx context.Context, path string, commits []string) ([][]byte, error) {
	what := fmt.Sprintf("reading %s at %d commits", path, len(commits))
	lines, err := r.batchCheck(ctx, what, path, commits)
	if err != nil {
		return nil, err
	}
	var ids strings.Builder
	var total int64
	blob := make([]string, len(commits))
	for i, l := range lines {
		id, typ, size, ok := parseObjectLine(l)
		if !ok || typ != "blob" {
			continue
		}
		if size > maxFileSize {
			return nil, fmt.Errorf("%s: %s at %s is %d bytes, more than the limit of %d", what, path, commits[i], size, maxFileSize)
		}
		if total += size; total > maxBatchSize {
			return nil, fmt.Errorf("%s: more than %d bytes together", what, maxBatchSize)
		}
		blob[i] = id
		ids.WriteString(id + "\n")
	}
	contents := map[string][]byte{}
	if ids.Len() > 0 {
		out, err := r.read(ctx, cmd{args: []string{"cat-file", "--batch"}, stdin: strings.NewReader(ids.String()),
			max: total + int64(len(commits))*128})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		// Each object: "<id> <type> <size>\n<content>\n".
		for len(out) > 0 {
			nl := bytes.IndexByte(out, '\n')
			if nl < 0 {
				return nil, fmt.Errorf("%s: unexpected git cat-file output", what)
			}
			id, _, size, ok := parseObjectLine(string(out[:nl]))
			if !ok || int64(len(out)) < int64(nl)+1+size+1 {
				return nil, fmt.Errorf("%s: unexpected git cat-file output", what)
			}
			contents[id] = out[nl+1 : int64(nl)+1+size]
			out = out[int64(nl)+1+size+1:]
		}
	}
	res := make([][]byte, len(commits))
	for i, id := range blob {
		if id != "" {
			res[i] = contents[id]
		}
	}
	return res, nil
}

// batchCheck asks `git cat-file --batch-check` for path at each commit, in one process,
// and returns its lines, one per commit.
func (r *Repo) batchCheck(ctx context.Context, what, path string, commits []string) ([]string, error) {
	if !fs.ValidPath(path) || path == "." || strings.ContainsAny(path, "\r\n") {
		return nil, fmt.Errorf("reading %q: invalid path", path)
	}
	if len(commits) == 0 {
		return nil, nil
	}
	var query strings.Builder
	for _, c := range commits {
		if err := checkRev(c); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		query.WriteString(c + ":" + path + "\n")
	}
	out, err := r.read(ctx, cmd{args: []string{"cat-file", "--batch-check"}, stdin: strings.NewReader(query.String())})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(commits) {
		return nil, fmt.Errorf("%s: unexpected git cat-file output", what)
	}
	return lines, nil
}

// parseObjectLine parses a `git cat-file --batch-check` line: "<id> <type> <size>", or
// "<name> missing" (ok false).
func parseObjectLine(line string) (id, typ string, size int64, ok bool) {
	f := strings.Fields(line)
	if len(f) != 3 {
		return "", "", 0, false
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return "", "", 0, false
	}
	return f[0], f[1], size, true
}

// MergeBase returns the best common ancestor; ErrNoMergeBase when there is none.
func (r *Repo) MergeBase(ctx context.Context, a, b string) (string, error) {
	what := fmt.Sprintf("finding merge base of %s and %s", a, b)
	if err := checkRevs(what, a, b); err != nil {
		return "", err
	}
	out, err := r.read(ctx, cmd{args: []string{"merge-base", a, b}})
	if err != nil {
		// Exit code 1 and no output is git's way of saying there is none.
		if exitCode(err) == 1 && len(out) == 0 {
			return "", fmt.Errorf("%s: %w", what, ErrNoMergeBase)
		}
		return "", r.revError(ctx, what, err, a, b)
	}
	return strings.TrimSpace(string(out)), nil
}

// IsAncestor reports whether a is an ancestor of (or equal to) b.
func (r *Repo) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	what := fmt.Sprintf("checking whether %s is an ancestor of %s", a, b)
	if err := checkRevs(what, a, b); err != nil {
		return false, err
	}
	_, err := r.read(ctx, cmd{args: []string{"merge-base", "--is-ancestor", a, b}})
	switch {
	case err == nil:
		return true, nil
	case exitCode(err) == 1:
		return false, nil
	default:
		return false, r.revError(ctx, what, err, a, b)
	}
}

// Log returns the commits reachable from include but not from exclude (exclude may be ""),
// newest first, at most max (max <= 0: no limit), with subjects and trailers.
func (r *Repo) Log(ctx context.Context, exclude, include string, max int) ([]Commit, error) {
	recs, err := r.logRecords(ctx, "%s", exclude, include, max)
	if err != nil {
		return nil, err
	}
	commits := make([]Commit, 0, len(recs))
	for _, rec := range recs {
		commits = append(commits, Commit{ID: rec.id, Subject: rec.field, Trailers: rec.trailers})
	}
	return commits, nil
}

// DatedCommit is a commit with its committer time and trailers.
type DatedCommit struct {
	ID       string
	Time     time.Time
	Trailers map[string][]string
}

// DatedLog returns the commits reachable from include, newest first, at most max, with
// their committer times and trailers.
func (r *Repo) DatedLog(ctx context.Context, include string, max int) ([]DatedCommit, error) {
	recs, err := r.logRecords(ctx, "%ct", "", include, max)
	if err != nil {
		return nil, err
	}
	out := make([]DatedCommit, 0, len(recs))
	for _, rec := range recs {
		sec, err := strconv.ParseInt(rec.field, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("listing commits of %s: commit %s: unexpected time %q", include, rec.id, rec.field)
		}
		out = append(out, DatedCommit{ID: rec.id, Time: time.Unix(sec, 0).UTC(), Trailers: rec.trailers})
	}
	return out, nil
}

// logRecord is one commit as logRecords reads it: its ID, one more field (a git log
// placeholder) and its trailers.
type logRecord struct {
	id, field string
	trailers  map[string][]string
}

// logRecords lists the commits reachable from include but not from exclude, newest
// first, at most max (<= 0: no limit).
func (r *Repo) logRecords(ctx context.Context, field, exclude, include string, max int) ([]logRecord, error) {
	what := fmt.Sprintf("listing commits of %s", include)
	revs := []string{include}
	if exclude != "" {
		what += " not in " + exclude
		revs = append(revs, exclude)
	}
	if err := checkRevs(what, revs...); err != nil {
		return nil, err
	}
	// NUL ends each field and, with -z, each commit; trailers use two other control
	// characters, so no subject or trailer value can break the parse.
	args := []string{
		"-c", "log.showSignature=false", "log", "-z",
		"--format=%H%x00" + field + "%x00%(trailers:only,unfold,separator=%x1e,key_value_separator=%x1f)",
	}
	if max > 0 {
		args = append(args, "--max-count="+strconv.Itoa(max))
	}
	args = append(args, include)
	if exclude != "" {
		args = append(args, "^"+exclude)
	}
	args = append(args, "--")
	out, err := r.read(ctx, cmd{args: args})
	if err != nil {
		return nil, r.revError(ctx, what, err, revs...)
	}
	fields := strings.Split(string(out), "\x00")
	if n := len(fields); n > 0 && fields[n-1] == "" {
		fields = fields[:n-1]
	}
	if len(fields)%3 != 0 {
		return nil, fmt.Errorf("%s: unexpected git log output", what)
	}
	recs := make([]logRecord, 0, len(fields)/3)
	for i := 0; i < len(fields); i += 3 {
		rec := logRecord{id: fields[i], field: fields[i+1], trailers: map[string][]string{}}
		for _, t := range strings.Split(fields[i+2], "\x1e") {
			if key, value, ok := strings.Cut(t, "\x1f"); ok {
				rec.trailers[key] = append(rec.trailers[key], value)
			}
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// GraphCommit is a commit with its parents and trailers.
type GraphCommit struct {
	ID       string
	Parents  []string
	Trailers map[string][]string
}

// Graph returns the commits reachable from include but not from exclude ("" for none),
// with their parents and trailers, at most max of them, newest first.
func (r *Repo) Graph(ctx context.Context, exclude, include string, max int) ([]GraphCommit, error) {
	recs, err := r.logRecords(ctx, "%P", exclude, include, max)
	if err != nil {
		return nil, err
	}
	commits := make([]GraphCommit, 0, len(recs))
	for _, rec := range recs {
		commits = append(commits, GraphCommit{ID: rec.id, Parents: strings.Fields(rec.field), Trailers: rec.trailers})
	}
	return commits, nil
}

// FileHistory returns the commits on the first-parent history of commit that changed
// path, newest first, at most max: the versions of one file as its branch saw them.
func (r *Repo) FileHistory(ctx context.Context, commit, path string, max int) ([]string, error) {
	what := fmt.Sprintf("listing the history of %s at %s", path, commit)
	if err := checkRev(commit); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !fs.ValidPath(path) || path == "." || strings.ContainsAny(path, "\r\n") {
		return nil, fmt.Errorf("%s: invalid path", what)
	}
	args := []string{"log", "--first-parent", "--format=%H", "--max-count=" + strconv.Itoa(max), commit, "--", path}
	// The path is a file name, never a pathspec with magic.
	out, err := r.read(ctx, cmd{args: args, env: []string{"GIT_LITERAL_PATHSPECS=1"}})
	if err != nil {
		return nil, r.revError(ctx, what, err, commit)
	}
	return strings.Fields(string(out)), nil
}

func checkRevs(what string, revs ...string) error {
	for _, rev := range revs {
		if err := checkRev(rev); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// revError explains a failed history command: if one of the revisions does not exist,
// that is the error (ErrUnknownRevision); otherwise git's own. Only the failure path pays
// for the extra lookups.
func (r *Repo) revError(ctx context.Context, what string, err error, revs ...string) error {
	if !errors.Is(err, ErrUnavailable) {
		for _, rev := range revs {
			if _, rerr := r.ResolveCommit(ctx, rev); errors.Is(rerr, ErrUnknownRevision) {
				return fmt.Errorf("%s: %w", what, rerr)
			}
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// CommitDates returns each commit's committer date, in one git process.
func (r *Repo) CommitDates(ctx context.Context, commits []string) (map[string]time.Time, error) {
	what := fmt.Sprintf("reading the dates of %d commits", len(commits))
	out := make(map[string]time.Time, len(commits))
	if len(commits) == 0 {
		return out, nil
	}
	if err := checkRevs(what, commits...); err != nil {
		return nil, err
	}
	lines, err := r.read(ctx, cmd{args: []string{"log", "--no-walk=unsorted", "--format=%H %ct", "--stdin"},
		stdin: strings.NewReader(strings.Join(commits, "\n") + "\n")})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(lines)), "\n") {
		id, date, ok := strings.Cut(line, " ")
		sec, err := strconv.ParseInt(date, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("%s: unexpected git log output %q", what, line)
		}
		out[id] = time.Unix(sec, 0).UTC()
	}
	for _, c := range commits {
		if _, ok := out[c]; !ok {
			return nil, fmt.Errorf("%s: no date for %s", what, c)
		}
	}
	return out, nil
}

// TreeIDs returns the object ID of path at each commit ("" where it is absent), in one
// git process: comparing IDs compares whole directories.
func (r *Repo) TreeIDs(ctx context.Context, path string, commits []string) ([]string, error) {
	what := fmt.Sprintf("reading %s at %d commits", path, len(commits))
	lines, err := r.batchCheck(ctx, what, path, commits)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(commits))
	for i, l := range lines {
		if id, _, _, ok := parseObjectLine(l); ok {
			ids[i] = id
		}
	}
	return ids, nil
}
