package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"testing/fstest"
)

// Tree returns the files of commit as an in-memory fs.FS: regular files with their modes
// (0644 or 0755), symlinks as symlinks (fs.ModeSymlink, Data holds the target; MapFS
// implements fs.ReadLinkFS) and directories, submodules included as empty directories.
//
// The files are the blobs exactly as committed. git archive would apply the repository's
// export-ignore and export-subst attributes and so could hand a renderer different
// manifests from those Argo CD checks out; ls-tree and cat-file do not.
func (r *Repo) Tree(ctx context.Context, commit string) (fs.FS, error) {
	what := fmt.Sprintf("reading tree of %s", commit)
	if err := checkRev(commit); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out, err := r.read(ctx, cmd{args: []string{"ls-tree", "-r", "-t", "-z", "--full-tree", commit + "^{commit}"}})
	if err != nil {
		return nil, r.revError(ctx, what, err, commit)
	}

	fsys := fstest.MapFS{}
	files := map[string][]string{} // blob ID -> paths
	var ids []string               // blob IDs in first-seen order, for cat-file
	for _, rec := range records(out) {
		// "<mode> SP <type> SP <id> TAB <path>"
		meta, path, ok := strings.Cut(string(rec), "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("%s: unexpected git ls-tree output %q", what, rec)
		}
		if !fs.ValidPath(path) || path == "." {
			return nil, fmt.Errorf("%s: invalid path %q in tree", what, path)
		}
		mode, err := strconv.ParseUint(f[0], 8, 32)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid mode %q of %s", what, f[0], path)
		}
		switch f[1] {
		case "tree", "commit": // a submodule is an empty directory, as in git archive
			fsys[path] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
		case "blob":
			m := fs.FileMode(0o644)
			switch {
			case mode&0o170000 == 0o120000:
				m = fs.ModeSymlink | 0o777
			case mode&0o111 != 0:
				m = 0o755
			}
			fsys[path] = &fstest.MapFile{Mode: m}
			if files[f[2]] == nil {
				ids = append(ids, f[2])
			}
			files[f[2]] = append(files[f[2]], path)
		default:
			return nil, fmt.Errorf("%s: unexpected object type %q of %s", what, f[1], path)
		}
	}
	if len(ids) == 0 {
		return fsys, nil
	}

	out, err = r.read(ctx, cmd{args: []string{"cat-file", "--batch"}, stdin: strings.NewReader(strings.Join(ids, "\n") + "\n")})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	for _, id := range ids {
		// "<id> <type> <size> LF <content> LF"
		header, rest, ok := bytes.Cut(out, []byte{'\n'})
		if !ok {
			return nil, fmt.Errorf("%s: truncated git cat-file output", what)
		}
		gotID, typ, size, ok := parseObjectLine(string(header))
		if !ok || gotID != id || typ != "blob" || size+1 > int64(len(rest)) {
			return nil, fmt.Errorf("%s: unexpected git cat-file output for %s: %q", what, id, header)
		}
		// Files share the output buffer; the full slice expression keeps an append to one
		// file from overwriting the next.
		data := rest[:size:size]
		for _, path := range files[id] {
			fsys[path].Data = data
		}
		out = rest[size+1:]
	}
	return fsys, nil
}

// records splits NUL-terminated records.
func records(b []byte) [][]byte {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	return bytes.Split(b, []byte{0})
}
