package generator

import (
	"sync"

	"github.com/shopset/shopset/snapshot"
)

// maxModels bounds the models kept per repository: one per (inventory commit, path) in
// use, so a handful; past the bound the oldest goes.
const maxModels = 8

// modelCache keeps the models of the inventory commits in use. A model depends on its
// commit alone, so it never goes stale; it is dropped only to bound memory.
type modelCache struct {
	mu    sync.Mutex
	order []*snapshot.Model // oldest first
}

func (c *modelCache) get(commit, path string) *snapshot.Model {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, m := range c.order {
		if m.InventoryCommit == commit && m.Path == path {
			// Used: move it to the back, the last to go.
			c.order = append(append(c.order[:i:i], c.order[i+1:]...), m)
			return m
		}
	}
	return nil
}

func (c *modelCache) put(m *snapshot.Model) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, have := range c.order {
		if have.InventoryCommit == m.InventoryCommit && have.Path == m.Path {
			return
		}
	}
	if len(c.order) >= maxModels {
		c.order = c.order[1:]
	}
	c.order = append(c.order, m)
}
