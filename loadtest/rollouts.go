package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/internal/bigrepo"
	"github.com/shopset/shopset/inventory"
)

// withRollouts commits a rollout section for every tier to main's inventory and returns
// the new inventory.
func withRollouts(ctx context.Context, repo *bigrepo.Repo, inv []byte) ([]byte, error) {
	for _, t := range bigrepo.Tiers {
		branch := []byte("    branch: tier/" + t + "\n")
		if !bytes.Contains(inv, branch) {
			return nil, fmt.Errorf("rollouts: the inventory has no tier %q", t)
		}
		if !bytes.Contains(inv, append(branch, "    rollout:"...)) {
			inv = bytes.Replace(inv, branch, append(branch, "    rollout: {soak: 1m}\n"...), 1)
		}
	}
	if _, err := repo.Commit(ctx, "main", map[string]string{bigrepo.InventoryFile: string(inv)}, "Roll every tier out"); err != nil {
		return nil, fmt.Errorf("rollouts: %w", err)
	}
	return inv, nil
}

// steadyApps stands in for the generator's watch cache of Applications (the load test
// runs no Argo CD): one Application per ShopSet, Synced and Healthy for an hour at its
// tier's pin when the run starts, never changing.
type steadyApps struct {
	mu   sync.Mutex
	list []argoapps.App
}

func (s *steadyApps) fill(srv *generator.Server, inv *inventory.Inventory) {
	pinned := map[string]string{}
	for _, r := range srv.Status().Repositories {
		for _, v := range r.Views {
			for _, t := range v.Tiers {
				pinned[t.Name] = t.Pinned
			}
		}
	}
	since := time.Now().Add(-time.Hour)
	list := make([]argoapps.App, 0, len(inv.ShopSets))
	for _, set := range inv.ShopSets {
		rev := pinned[set.Tier]
		list = append(list, argoapps.App{Name: argoapps.NamePrefix + set.Name, ShopSet: set.Name, Tier: set.Tier,
			TargetRevision: rev, SyncRevision: rev, SyncStatus: "Synced", Health: "Healthy",
			SyncedAt: since, HealthSince: since, History: []string{rev}})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = list
}

func (s *steadyApps) List() ([]argoapps.App, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list, nil
}

func (s *steadyApps) Version() string { return "1" }
