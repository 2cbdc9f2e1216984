package loadtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/internal/bigrepo"
	"github.com/shopset/shopset/inventory"
)

// maxChanges bounds the commits of one run: a run is at most MaxDuration long, and at most
// one change is made per tick.
const maxChanges = 100000

// committer changes main's inventory while the clients run, as people merging pull
// requests do: each tick it toggles one ShopSet's maintenance component, commits, and
// refreshes the server the way a push webhook would.
type committer struct {
	repo    *bigrepo.Repo
	srv     *generator.Server
	inv     *inventory.Inventory
	content []byte // main's inventory now
	every   time.Duration
	served  string // the inventory commit served after the last refresh
	stats   *changeStats
	// toTier commits to the lowest tier's branch instead (see Options.CommitToTier).
	toTier bool
}

// changeStats is what the commit loop saw; the load test reads it once the loop is done.
type changeStats struct {
	commits, errors, rebuilds atomic.Int64
	caughtUp                  atomic.Bool // the last commit made was served after its refresh

	mu        sync.Mutex
	refreshes []time.Duration
	lastErr   error
}

func (c *committer) run(ctx context.Context) {
	components := map[string][]string{}
	for _, s := range c.inv.ShopSets {
		components[s.Name] = s.Components
	}
	t := time.NewTicker(c.every)
	defer t.Stop()
	for k := range maxChanges {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if c.toTier {
			if err := c.changeTier(ctx, k); err != nil {
				c.stats.errors.Add(1)
				c.stats.setError(err)
			}
			continue
		}
		// A stride through the ShopSets touches a different one each time.
		name := c.inv.ShopSets[(k*7919)%len(c.inv.ShopSets)].Name
		next := []string{"maintenance"}
		if len(components[name]) > 0 {
			next = nil
		}
		if err := c.change(ctx, name, next); err != nil {
			c.stats.errors.Add(1)
			c.stats.setError(err)
			continue
		}
		components[name] = next
	}
}

// changeTier commits a release note to the lowest tier's branch and refreshes.
func (c *committer) changeTier(ctx context.Context, k int) error {
	_, err := c.commit(ctx, "tier/"+bigrepo.Tiers[0], map[string]string{"apps/RELEASE": fmt.Sprintf("release %d\n", k)},
		fmt.Sprintf("Release %d", k), servedPin)
	return err
}

func (c *committer) change(ctx context.Context, name string, components []string) error {
	content, err := bigrepo.SetComponents(c.content, name, components...)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Maintenance for %s: %v", name, len(components) > 0)
	if ok, err := c.commit(ctx, "main", map[string]string{bigrepo.InventoryFile: string(content)}, msg, servedCommit); ok {
		c.content = content
	} else if err != nil {
		return err
	}
	return nil
}

// commit commits files to branch and refreshes the server the way a push webhook would;
// served reads what the server serves of that branch, to tell whether the commit is
// served. ok is false when no commit was made (the run ended first, or an error).
func (c *committer) commit(ctx context.Context, branch string, files map[string]string, msg string,
	served func(*generator.Server) string) (ok bool, err error) {
	// The commit is bounded by the run's context: a commit cut short is not made.
	commit, err := c.repo.Commit(ctx, branch, files, msg)
	if err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		return false, err
	}
	c.stats.commits.Add(1)
	// Refresh bounds itself with the server's Git timeout; the run's end does not cut it
	// short, so every commit made is also refreshed.
	start := time.Now()
	c.srv.Refresh(context.WithoutCancel(ctx))
	c.stats.addRefresh(time.Since(start))
	if now := served(c.srv); now != c.served {
		c.stats.rebuilds.Add(1)
		c.served = now
	}
	c.stats.caughtUp.Store(c.served == commit)
	return true, nil
}

func (s *changeStats) addRefresh(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshes = append(s.refreshes, d)
}

func (s *changeStats) setError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastErr = err
}

func (s *changeStats) lastError() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr == nil {
		return ""
	}
	return s.lastErr.Error()
}

// refreshTimes returns the number of refreshes, their mean and their maximum.
func (s *changeStats) refreshTimes() (n int, mean, longest time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.refreshes) == 0 {
		return 0, 0, 0
	}
	var sum time.Duration
	for _, d := range s.refreshes {
		sum += d
	}
	return len(s.refreshes), sum / time.Duration(len(s.refreshes)), slices.Max(s.refreshes)
}
