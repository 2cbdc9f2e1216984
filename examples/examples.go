// Package examples is the example platform: the inventory that lives on main and the
// history of the tier branches, and the code that turns them into a real Git repository.
//
// history/ holds one directory per commit, oldest first: 00-initial is a whole tree and
// every later directory holds only the files it changes, plus its COMMIT_MSG. The oldest
// commit is the highest tier's branch, and each later commit the next lower tier's, so
// every tier branch is an ancestor of the branch below it, as promotion leaves them.
//
//	repo, err := examples.BuildRepo(ctx, dir)
//	// repo.Branches["tier/dev"] is the commit tier/dev points at
package examples

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/shopset/shopset/inventory"
)

// Files holds shopsets.yaml and history/.
//
//go:embed shopsets.yaml history
var Files embed.FS

// InventoryFile is the inventory's path on main.
const InventoryFile = "shopsets.yaml"

const commitMsgFile = "COMMIT_MSG"

// Repo is a built example repository.
type Repo struct {
	Dir string
	// Branches maps each branch (main and the tier branches) to its commit.
	Branches map[string]string
}

// Inventory parses the example inventory.
func Inventory() (*inventory.Inventory, error) {
	b, err := Files.ReadFile(InventoryFile)
	if err != nil {
		return nil, err
	}
	return inventory.Parse(InventoryFile, b)
}

// BuildRepo creates a Git repository in dir (which must not exist or be empty) with
// main holding the inventory and one branch per tier. Commit dates and authors are fixed,
// so the same examples always give the same commit IDs.
func BuildRepo(ctx context.Context, dir string) (*Repo, error) {
	inv, err := Inventory()
	if err != nil {
		return nil, err
	}
	steps, err := fs.ReadDir(Files, "history")
	if err != nil {
		return nil, err
	}
	if len(steps) != len(inv.Tiers) {
		return nil, fmt.Errorf("examples: %d history steps for %d tiers", len(steps), len(inv.Tiers))
	}
	g := git{dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if _, err := g.run(ctx, "init", "--quiet", "--initial-branch=main"); err != nil {
		return nil, err
	}
	inventoryBytes, _ := Files.ReadFile(InventoryFile)
	if err := os.WriteFile(filepath.Join(dir, InventoryFile), inventoryBytes, 0o644); err != nil {
		return nil, err
	}
	if err := g.commit(ctx, 0, "Add the platform inventory\n"); err != nil {
		return nil, err
	}
	// The tier history has its own root: main carries only the inventory.
	if _, err := g.run(ctx, "checkout", "--quiet", "--orphan", "examples-build"); err != nil {
		return nil, err
	}
	if _, err := g.run(ctx, "rm", "--quiet", "-r", "--force", "."); err != nil {
		return nil, err
	}
	for i, step := range steps {
		msg, err := writeStep(dir, path.Join("history", step.Name()))
		if err != nil {
			return nil, err
		}
		if err := g.commit(ctx, i+1, msg); err != nil {
			return nil, err
		}
		// Oldest commit = highest tier.
		tier := inv.Tiers[len(inv.Tiers)-1-i]
		if _, err := g.run(ctx, "branch", tier.Branch); err != nil {
			return nil, err
		}
	}
	if _, err := g.run(ctx, "checkout", "--quiet", "main"); err != nil {
		return nil, err
	}
	if _, err := g.run(ctx, "branch", "--quiet", "-D", "examples-build"); err != nil {
		return nil, err
	}
	repo := &Repo{Dir: dir, Branches: map[string]string{}}
	for _, b := range append([]string{"main"}, inv.Branches()...) {
		out, err := g.run(ctx, "rev-parse", "refs/heads/"+b)
		if err != nil {
			return nil, err
		}
		repo.Branches[b] = strings.TrimSpace(out)
	}
	return repo, nil
}

// Checkout writes the tree of rev into dst (a new directory), without .git: what
// Argo CD's repo-server streams to the plugin once .git is excluded.
func (r *Repo) Checkout(ctx context.Context, rev, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	g := git{dir: r.Dir}
	// A throwaway index keeps the repository's own index and work tree untouched.
	index := filepath.Join(dst, ".shopset-index")
	defer os.Remove(index)
	env := []string{"GIT_INDEX_FILE=" + index}
	if _, err := g.runEnv(ctx, env, "read-tree", rev); err != nil {
		return err
	}
	_, err := g.runEnv(ctx, env, "checkout-index", "--all", "--prefix="+dst+"/")
	return err
}

// ShopSet is an example ShopSet with the content of its tier's branch.
type ShopSet struct {
	inventory.ShopSet
	Tree fs.FS
}

// ShopSets returns the example inventory and every ShopSet in it, in its order, each with
// its tier's tree: what rendering every example ShopSet needs.
func ShopSets() (*inventory.Inventory, []ShopSet, error) {
	inv, err := Inventory()
	if err != nil {
		return nil, nil, err
	}
	trees := map[string]fs.FS{}
	for _, t := range inv.Tiers {
		if trees[t.Name], err = Tree(t.Branch); err != nil {
			return nil, nil, err
		}
	}
	sets := make([]ShopSet, 0, len(inv.ShopSets))
	for _, s := range inv.ShopSets {
		sets = append(sets, ShopSet{ShopSet: s, Tree: trees[s.Tier]})
	}
	return inv, sets, nil
}

// Tree returns the content of a tier branch without Git: the history steps up to that
// tier's commit, overlaid in memory. It is what a checkout of the branch holds.
func Tree(branch string) (fs.FS, error) {
	inv, err := Inventory()
	if err != nil {
		return nil, err
	}
	steps, err := fs.ReadDir(Files, "history")
	if err != nil {
		return nil, err
	}
	for i, t := range inv.Tiers {
		if t.Branch != branch {
			continue
		}
		tree := fstest.MapFS{}
		for _, step := range steps[:len(inv.Tiers)-i] {
			dir := path.Join("history", step.Name())
			err := walkStep(dir, func(name string, data []byte) error {
				tree[name] = &fstest.MapFile{Data: data, Mode: 0o644}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		return tree, nil
	}
	return nil, fmt.Errorf("examples: no tier has branch %q", branch)
}

// walkStep calls fn with each file of a history step (its path in the tree, its bytes).
func walkStep(step string, fn func(name string, data []byte) error) error {
	return fs.WalkDir(Files, step, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == path.Join(step, commitMsgFile) {
			return err
		}
		b, err := Files.ReadFile(p)
		if err != nil {
			return err
		}
		return fn(strings.TrimPrefix(p, step+"/"), b)
	})
}

// writeStep copies one history directory over dir and returns its commit message.
func writeStep(dir, step string) (string, error) {
	msg, err := Files.ReadFile(path.Join(step, commitMsgFile))
	if err != nil {
		return "", fmt.Errorf("examples: %s: %w", step, err)
	}
	err = walkStep(step, func(name string, data []byte) error {
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	return string(msg), err
}

type git struct{ dir string }

// gitEnv isolates the commands from the user's Git configuration and pins identities and
// dates so commit IDs are reproducible.
var gitEnv = []string{
	"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
	"GIT_AUTHOR_NAME=Shop Platform", "GIT_AUTHOR_EMAIL=platform@shop.example",
	"GIT_COMMITTER_NAME=Shop Platform", "GIT_COMMITTER_EMAIL=platform@shop.example",
}

func (g git) run(ctx context.Context, args ...string) (string, error) {
	return g.runEnv(ctx, nil, args...)
}

func (g git) runEnv(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.dir}, args...)...)
	cmd.Env = slices.Concat(os.Environ(), gitEnv, env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// commit commits everything in the work tree; n orders the fixed commit dates.
func (g git) commit(ctx context.Context, n int, msg string) error {
	date := fmt.Sprintf("2026-01-%02dT10:00:00Z", n+1)
	if _, err := g.run(ctx, "add", "--all"); err != nil {
		return err
	}
	_, err := g.runEnv(ctx, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date},
		"commit", "--quiet", "--no-verify", "--no-gpg-sign", "--message", msg)
	return err
}
