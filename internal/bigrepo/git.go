package bigrepo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// InventoryFile is the inventory's path on main.
const InventoryFile = "shopsets.yaml"

// epoch dates the first commit (2024-01-01T00:00:00Z); each later commit is a minute after
// its parent, so the same sizes always give the same commit IDs.
const epoch = 1704067200

// Repo is a generated repository on disk: main holds the inventory, the tier branches a
// small tree the generator never reads (it only pins their commits).
type Repo struct {
	Dir string
	// Branches maps main and each tier branch to the commit it had when Build returned.
	Branches map[string]string
}

// tierTree is what the oldest tier commit holds.
var tierTree = map[string]string{
	"apps/kustomization.yaml":                      "resources: [shop.yaml]\n",
	"apps/shop.yaml":                               "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop\ndata:\n  release: \"1\"\n",
	"configurations/production/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
	"configurations/staging/kustomization.yaml":    "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
	"components/maintenance/kustomization.yaml":    "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
}

// Build creates a Git repository in dir (created if missing; it must hold no repository
// yet) with main holding Inventory(shopsets, clusters, shops) and one branch per tier.
// prod is the oldest commit and each lower tier one commit ahead of the tier above, as
// promotion leaves them. main has its own root: it carries only the inventory.
func Build(ctx context.Context, dir string, shopsets, clusters, shops int) (*Repo, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("building the repository: %w", err)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("building the repository: %w", err)
	}
	r := &Repo{Dir: dir, Branches: map[string]string{}}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return nil, fmt.Errorf("building the repository: %s already holds one", dir)
	}
	if _, err := r.git(ctx, nil, nil, "init", "--quiet", "--initial-branch=main"); err != nil {
		return nil, fmt.Errorf("building the repository: %w", err)
	}
	// Commits are made with plumbing, so the working tree stays empty; let a push to the
	// checked-out branch through all the same.
	if _, err := r.git(ctx, nil, nil, "config", "receive.denyCurrentBranch", "ignore"); err != nil {
		return nil, fmt.Errorf("building the repository: %w", err)
	}

	for i := len(Tiers) - 1; i >= 0; i-- {
		branch := "tier/" + Tiers[i]
		files := tierTree
		parent := ""
		if i < len(Tiers)-1 {
			parent = r.Branches["tier/"+Tiers[i+1]]
			files = map[string]string{"apps/shop.yaml": strings.Replace(tierTree["apps/shop.yaml"], `"1"`,
				strconv.Quote(strconv.Itoa(len(Tiers)-i)), 1)}
		}
		if parent != "" {
			if _, err := r.git(ctx, nil, nil, "update-ref", "refs/heads/"+branch, parent); err != nil {
				return nil, fmt.Errorf("building the repository: %w", err)
			}
		}
		msg := fmt.Sprintf("Release %d", len(Tiers)-i)
		if r.Branches[branch], err = r.Commit(ctx, branch, files, msg); err != nil {
			return nil, fmt.Errorf("building the repository: %w", err)
		}
	}
	inv := Inventory(shopsets, clusters, shops)
	if r.Branches["main"], err = r.Commit(ctx, "main", map[string]string{InventoryFile: string(inv)}, "Add the platform inventory"); err != nil {
		return nil, fmt.Errorf("building the repository: %w", err)
	}
	return r, nil
}

// Commit writes files (path -> content; "" deletes the path) onto branch, created as an
// orphan when it does not exist, and returns the new commit. The working tree and index
// are left alone. Concurrent commits to one branch fail rather than lose one.
func (r *Repo) Commit(ctx context.Context, branch string, files map[string]string, msg string) (string, error) {
	ref := "refs/heads/" + branch
	parent, err := r.git(ctx, nil, nil, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		parent = "" // no such branch yet
	}
	tmp, err := os.MkdirTemp("", "bigrepo-index-*")
	if err != nil {
		return "", fmt.Errorf("committing to %s: %w", branch, err)
	}
	defer os.RemoveAll(tmp)
	// A private index keeps the commit from touching the repository's own.
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(tmp, "index")}
	readTree := []string{"read-tree", "--empty"}
	if parent != "" {
		readTree = []string{"read-tree", parent}
	}
	if _, err := r.git(ctx, env, nil, readTree...); err != nil {
		return "", fmt.Errorf("committing to %s: %w", branch, err)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var index strings.Builder
	for _, p := range paths {
		if files[p] == "" {
			// Mode 0 removes the path (update-index --index-info).
			fmt.Fprintf(&index, "0 %s\t%s\n", strings.Repeat("0", 40), p)
			continue
		}
		blob, err := r.git(ctx, env, strings.NewReader(files[p]), "hash-object", "-w", "--stdin")
		if err != nil {
			return "", fmt.Errorf("committing to %s: %w", branch, err)
		}
		fmt.Fprintf(&index, "100644 %s\t%s\n", blob, p)
	}
	if _, err := r.git(ctx, env, strings.NewReader(index.String()), "update-index", "--index-info"); err != nil {
		return "", fmt.Errorf("committing to %s: %w", branch, err)
	}
	tree, err := r.git(ctx, env, nil, "write-tree")
	if err != nil {
		return "", fmt.Errorf("committing to %s: %w", branch, err)
	}
	date := int64(epoch)
	args := []string{"commit-tree", tree, "-F", "-"}
	if parent != "" {
		out, err := r.git(ctx, nil, nil, "show", "-s", "--format=%ct", parent)
		if err != nil {
			return "", fmt.Errorf("committing to %s: %w", branch, err)
		}
		ct, err := strconv.ParseInt(out, 10, 64)
		if err != nil {
			return "", fmt.Errorf("committing to %s: reading the date of %s: %w", branch, parent, err)
		}
		date = ct + 60
		args = append(args, "-p", parent)
	}
	stamp := fmt.Sprintf("@%d +0000", date)
	env = append(env, "GIT_AUTHOR_DATE="+stamp, "GIT_COMMITTER_DATE="+stamp)
	commit, err := r.git(ctx, env, strings.NewReader(msg), args...)
	if err != nil {
		return "", fmt.Errorf("committing to %s: %w", branch, err)
	}
	old := parent
	if old == "" {
		old = strings.Repeat("0", len(commit))
	}
	if _, err := r.git(ctx, nil, nil, "update-ref", ref, commit, old); err != nil {
		return "", fmt.Errorf("committing to %s: %w", branch, err)
	}
	return commit, nil
}

// ReadFile returns path at rev.
func (r *Repo) ReadFile(ctx context.Context, rev, path string) ([]byte, error) {
	cmd := r.command(ctx, nil, nil, "cat-file", "blob", rev+":"+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w: %s", path, rev, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// git runs git in the repository and returns its trimmed stdout.
func (r *Repo) git(ctx context.Context, env []string, stdin io.Reader, args ...string) (string, error) {
	cmd := r.command(ctx, env, stdin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

func (r *Repo) command(ctx context.Context, env []string, stdin io.Reader, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Dir
	cmd.Env = append(gitEnv(), env...)
	cmd.Stdin = stdin
	return cmd
}

// gitEnv is the process environment without variables that point git elsewhere, with no
// system or user configuration, fixed identities, and no automatic gc (which could still
// be writing when the directory is removed).
func gitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	stamp := fmt.Sprintf("@%d +0000", epoch)
	return append(env,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
		"GIT_AUTHOR_NAME=Shop Platform", "GIT_AUTHOR_EMAIL=platform@shop.example",
		"GIT_COMMITTER_NAME=Shop Platform", "GIT_COMMITTER_EMAIL=platform@shop.example",
		"GIT_AUTHOR_DATE="+stamp, "GIT_COMMITTER_DATE="+stamp,
		"GIT_CONFIG_COUNT=2",
		"GIT_CONFIG_KEY_0=gc.auto", "GIT_CONFIG_VALUE_0=0",
		"GIT_CONFIG_KEY_1=maintenance.auto", "GIT_CONFIG_VALUE_1=false",
	)
}
