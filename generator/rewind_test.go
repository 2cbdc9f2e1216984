package generator_test

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/generator"
)

// argoState stands in for Argo CD's Applications as the generator reads them (its
// Applications seam): what the last answer made Argo CD create. The end-to-end suite
// reads real Applications through a real API server.
type argoState struct {
	mu      sync.Mutex
	apps    []argoapps.App
	err     error
	version int
	lists   int // calls of List
}

func (s *argoState) List() ([]argoapps.App, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	return s.apps, s.err
}

func (s *argoState) listed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists
}

func (s *argoState) Version() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strconv.Itoa(s.version)
}

// apply makes the state what Argo CD would have after an answer.
func (s *argoState) apply(apps []argoapps.App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps = apps
	s.version++
}

func (f *fixture) argoApps(t *testing.T) []argoapps.App {
	t.Helper()
	apps, err := f.argo(t).applications()
	require.NoError(t, err)
	var out []argoapps.App
	for _, a := range apps {
		out = append(out, argoapps.App{Name: a.Name, ShopSet: a.Labels["shopset.io/name"], Tier: a.Labels["shopset.io/tier"],
			TargetRevision: a.Spec.Source.TargetRevision})
	}
	return out
}

// Force-pushing a tier branch backwards is refused, with what to do, until a commit
// confirms it; the baseline is what Argo CD has, so a restart refuses the same.
func TestRewindGuard(t *testing.T) {
	state := &argoState{}
	f := newFixtureWith(t, "file", func(f *fixture) { f.cfg.Applications = state })
	state.apply(f.argoApps(t))

	// A change on dev, served and applied; then dev is force-pushed back before it.
	before := f.gitRepo.Head(t, "tier/dev")
	f.gitRepo.Commit(t, "tier/dev", map[string]string{"apps/NOTES": "dev\n"}, "A dev change")
	state.apply(f.argoApps(t))
	f.gitRepo.Git(t, "update-ref", "refs/heads/tier/dev", before)

	_, err := f.argo(t).applications()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tier rewind refused")
	assert.Contains(t, err.Error(), `tier "dev" would move back from `)
	assert.Contains(t, err.Error(), `"Shopset-Confirm-Rewind: dev"`)

	f.restart(t, true)
	_, err = f.argo(t).applications()
	require.Error(t, err, "a restart refuses the same")
	assert.Contains(t, err.Error(), "tier rewind refused")

	f.gitRepo.Commit(t, "tier/dev", map[string]string{"apps/NOTES": "back\n"}, "Go back on dev\n\nShopset-Confirm-Rewind: dev\n")
	apps, err := f.argo(t).applications()
	require.NoError(t, err, "confirmed")
	assert.NotEmpty(t, apps)
}

// Argo CD's state unknown (the watch cache out of sync): an error, never a guess.
func TestRewindGuardFailsClosed(t *testing.T) {
	state := &argoState{err: argoapps.ErrNotSynced}
	f := newFixtureWith(t, "file", func(f *fixture) { f.cfg.Applications = state })
	_, err := f.argo(t).applications()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Argo CD's Applications unavailable")
	var _ generator.Applications = state
}
