package generator

import (
	"context"
	"fmt"
	"slices"
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
	// removalRangeCommits bounds the commits read for confirming trailers over the
	// versions replayed; past it a trailer is not seen, which refuses (fails closed).
	removalRangeCommits = 10000
	// removalCacheEntries bounds the remembered verdicts.
	removalCacheEntries = 4096
)

// guardRemoval refuses next when the removal rule, replayed over the inventory's
// history at next's revision, refuses it. The baseline comes from Git alone, so it is
// the same after a restart and on every replica. A commit's history never changes, so
// the verdict is kept per inventory commit: a push to a tier branch costs nothing here.
func (s *source) guardRemoval(ctx context.Context, next *snapshot.Snapshot) error {
	v, err := s.removals.verdict(ctx, s.repo, next, s.cfg.MaxRemovalShare)
	if err != nil {
		return fmt.Errorf("checking %s for removals: %w", next.Path, err)
	}
	if !v.Allowed {
		return fmt.Errorf("%w: %w", errRemoval, v.Err(next.Path, next.Revision, next.InventoryCommit))
	}
	if v.Confirmed {
		s.log.Info("removal confirmed", "commit", next.InventoryCommit, "removed", len(v.Removed))
	}
	return nil
}

// removalHistory reads versions of inventory files and remembers verdicts: what a
// commit's history says never changes.
type removalHistory struct {
	mu       sync.Mutex
	verdicts map[string]removal.Verdict // by commit and path
	// names are the ShopSet names of versions read before (by commit and path), so a
	// new inventory commit reads and decodes only itself: at 10,000 ShopSets a version
	// takes tens of milliseconds to decode.
	names map[string]pastVersion
}

// pastVersion is what a past version of an inventory file lists.
type pastVersion struct {
	names   []string
	invalid bool
}

func (h *removalHistory) verdict(ctx context.Context, repo *gitrepo.Repo, next *snapshot.Snapshot, share float64) (removal.Verdict, error) {
	key := next.InventoryCommit + ":" + next.Path
	h.mu.Lock()
	v, ok := h.verdicts[key]
	h.mu.Unlock()
	if ok {
		return v, nil
	}
	history, err := h.readHistory(ctx, repo, next)
	if err != nil {
		return removal.Verdict{}, err
	}
	v = removal.Decide(history, share)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.verdicts == nil || len(h.verdicts) >= removalCacheEntries {
		h.verdicts = map[string]removal.Verdict{}
	}
	h.verdicts[key] = v
	return v, nil
}

// readHistory returns the versions of next's inventory file, oldest first, the last
// being next itself, in four git processes whatever the length of the history.
func (h *removalHistory) readHistory(ctx context.Context, repo *gitrepo.Repo, next *snapshot.Snapshot) ([]removal.Version, error) {
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
	slices.Reverse(commits) // oldest first
	out := make([]removal.Version, len(commits))
	for i, c := range commits {
		out[i].Commit = c
	}
	last := len(out) - 1
	for _, p := range next.Inventory.ShopSets {
		out[last].Names = append(out[last].Names, p.Name)
	}
	var missing []int
	h.mu.Lock()
	for i := range last {
		if v, ok := h.names[commits[i]+":"+next.Path]; ok {
			out[i].Names, out[i].Invalid = v.names, v.invalid
		} else {
			missing = append(missing, i)
		}
	}
	h.mu.Unlock()
	if len(missing) > 0 {
		want := make([]string, len(missing))
		for j, i := range missing {
			want[j] = commits[i]
		}
		files, err := repo.ReadFileAt(ctx, next.Path, want)
		if err != nil {
			return nil, err
		}
		// Decoded without the lock: at 10,000 ShopSets a version takes tens of ms.
		read := make([]pastVersion, len(missing))
		for j, i := range missing {
			read[j] = pastVersion{invalid: true}
			if files[j] != nil {
				names, err := inventory.ShopSetNames(next.Path, files[j])
				read[j] = pastVersion{names: names, invalid: err != nil}
			}
			out[i].Names, out[i].Invalid = read[j].names, read[j].invalid
		}
		h.mu.Lock()
		if h.names == nil || len(h.names)+len(missing) > removalCacheEntries {
			h.names = map[string]pastVersion{}
		}
		for j, i := range missing {
			h.names[commits[i]+":"+next.Path] = read[j]
		}
		h.mu.Unlock()
	}
	if err := confirmations(ctx, repo, out); err != nil {
		return nil, err
	}
	return out, nil
}

// confirmations fills each version's Confirmations: the trailers of the commits that
// the version brings and the one before does not (merged branches included), the
// oldest version's own commit for the oldest.
func confirmations(ctx context.Context, repo *gitrepo.Repo, versions []removal.Version) error {
	oldest, err := repo.Graph(ctx, "", versions[0].Commit, 1)
	if err != nil {
		return err
	}
	versions[0].Confirmations = trailerValues(oldest)
	if len(versions) == 1 {
		return nil
	}
	// Past the bound, commits are not seen and their trailers do not count: that refuses.
	window, err := repo.Graph(ctx, versions[0].Commit, versions[len(versions)-1].Commit, removalRangeCommits)
	if err != nil {
		return err
	}
	byID := make(map[string]gitrepo.GraphCommit, len(window))
	for _, c := range window {
		byID[c.ID] = c
	}
	// Versions lie on one first-parent line, each an ancestor of the next, so a commit
	// belongs to the first version whose ancestors include it.
	seen := map[string]bool{}
	for k := 1; k < len(versions); k++ {
		var mine []gitrepo.GraphCommit
		stack := []string{versions[k].Commit}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			c, ok := byID[id]
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			mine = append(mine, c)
			stack = append(stack, c.Parents...)
		}
		versions[k].Confirmations = trailerValues(mine)
	}
	return nil
}

func trailerValues(commits []gitrepo.GraphCommit) []int {
	out := []int{}
	for _, c := range commits {
		for _, v := range c.Trailers[removal.Trailer] {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
				out = append(out, n)
			}
		}
	}
	return out
}
