package generator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/removal"
	"github.com/shopset/shopset/snapshot"
)

// Bounds of the removal guard's look back over the inventory's history.
const (
	// RemovalHistory is how many versions of the inventory file (commits that changed
	// it, on the first-parent history of the served revision) the guard replays.
	RemovalHistory = 50
	// removalRangeCommits bounds the commits read for confirming trailers between two
	// versions; past it a trailer is not seen, which refuses (fails closed).
	removalRangeCommits = 1000
	// removalCacheEntries bounds the remembered versions and ranges.
	removalCacheEntries = 4096
)

// guardRemoval refuses next when the removal rule, replayed over the inventory's
// history at next's revision, refuses it. The baseline comes from Git alone, so it is
// the same after a restart and on every replica.
func (s *source) guardRemoval(ctx context.Context, next *snapshot.Snapshot) error {
	history, err := s.removals.history(ctx, s.repo, next)
	if err != nil {
		return fmt.Errorf("checking %s for removals: %w", next.Path, err)
	}
	v := removal.Decide(history, s.cfg.MaxRemovalShare)
	if !v.Allowed {
		return fmt.Errorf("%w: %w", errRemoval, v.Err(next.Path, next.Revision, next.InventoryCommit))
	}
	if v.Confirmed {
		s.log.Info("removal confirmed", "commit", next.InventoryCommit, "removed", len(v.Removed))
	}
	return nil
}

// removalHistory reads and remembers versions of inventory files: what a version lists
// and which confirmations lead to it never change for a commit.
type removalHistory struct {
	mu     sync.Mutex
	names  map[string]namesAt // by commit and path
	ranges map[string][]int   // by "from..to"
}

type namesAt struct {
	names   []string
	invalid bool
}

// history returns the versions of next's inventory file, oldest first, the last being
// next itself.
func (h *removalHistory) history(ctx context.Context, repo *gitrepo.Repo, next *snapshot.Snapshot) ([]removal.Version, error) {
	commits, err := repo.FileHistory(ctx, next.InventoryCommit, next.Path, RemovalHistory)
	if err != nil {
		return nil, err
	}
	// The served commit may come after the last change of the file: its content is
	// that change's, and trailers up to it count.
	if len(commits) == 0 || commits[0] != next.InventoryCommit {
		if len(commits) == RemovalHistory {
			commits = commits[:len(commits)-1]
		}
		commits = append([]string{next.InventoryCommit}, commits...)
	}
	out := make([]removal.Version, len(commits))
	for i := range commits {
		c := commits[len(commits)-1-i]
		v := removal.Version{Commit: c}
		if c == next.InventoryCommit {
			for _, p := range next.Inventory.ShopSets {
				v.Names = append(v.Names, p.Name)
			}
		} else if v.Names, v.Invalid, err = h.namesAt(ctx, repo, c, next.Path); err != nil {
			return nil, err
		}
		from := ""
		if i > 0 {
			from = out[i-1].Commit
		}
		if v.Confirmations, err = h.confirmations(ctx, repo, from, c); err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (h *removalHistory) namesAt(ctx context.Context, repo *gitrepo.Repo, commit, path string) ([]string, bool, error) {
	key := commit + ":" + path
	h.mu.Lock()
	n, ok := h.names[key]
	h.mu.Unlock()
	if ok {
		return n.names, n.invalid, nil
	}
	data, err := repo.ReadFile(ctx, commit, path)
	switch {
	case err == nil:
		names, perr := inventory.ShopSetNames(path, data)
		n = namesAt{names: names, invalid: perr != nil}
	case errors.Is(err, gitrepo.ErrNotFound):
		n = namesAt{invalid: true}
	default:
		return nil, false, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.names == nil || len(h.names) >= removalCacheEntries {
		h.names = map[string]namesAt{}
	}
	h.names[key] = n
	return n.names, n.invalid, nil
}

// confirmations returns the confirming trailer values of the commits in from..to (from
// "" means to's own commit alone).
func (h *removalHistory) confirmations(ctx context.Context, repo *gitrepo.Repo, from, to string) ([]int, error) {
	key := from + ".." + to
	h.mu.Lock()
	c, ok := h.ranges[key]
	h.mu.Unlock()
	if ok {
		return c, nil
	}
	max := removalRangeCommits
	if from == "" {
		max = 1
	}
	commits, err := repo.Log(ctx, from, to, max)
	if err != nil {
		return nil, err
	}
	c = []int{}
	for _, commit := range commits {
		for _, v := range commit.Trailers[removal.Trailer] {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
				c = append(c, n)
			}
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ranges == nil || len(h.ranges) >= removalCacheEntries {
		h.ranges = map[string][]int{}
	}
	h.ranges[key] = c
	return c, nil
}
