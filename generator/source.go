package generator

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/removal"
	"github.com/shopset/shopset/rollout"
	"github.com/shopset/shopset/snapshot"
)

// ConfirmRemovalTrailer is the commit trailer that confirms an inventory change removing
// more ShopSets than the generator accepts on its own (see package removal).
const ConfirmRemovalTrailer = removal.Trailer

// source is one served repository: its mirror, when the remote was last checked, and the
// views (revision, inventory path) asked of it.
type source struct {
	url  string
	repo *gitrepo.Repo
	cfg  *Config
	log  *slog.Logger

	// version changes whenever the mirror's branch heads change; views rebuild when
	// the version they were built from is behind.
	version atomic.Uint64

	mu            sync.Mutex
	checkedAt     time.Time
	checking      chan struct{} // closed when the in-flight check ends
	heads         map[string]string
	syncErr       error
	syncErrAt     time.Time
	failingSince  time.Time // first failure of the current run of failed checks
	fetchedAt     time.Time
	refreshErrors uint64
	views         map[viewKey]*view
	removals      removalHistory
	models        modelCache
	// ancestry answers rollouts' questions of the mirror.
	ancestry rollout.Ancestry
	// refreshes has one element when a refresh event is to be sent (appsetrefresh.go);
	// nil without a Refresher.
	refreshes    chan struct{}
	refreshState refreshState
}

type viewKey struct{ revision, path string }

// view is what one (revision, path) serves: the last good snapshot, and the outcome of
// the latest build.
type view struct {
	key viewKey
	// asked is when a caller last asked for the view (UnixNano).
	asked atomic.Int64

	mu    sync.Mutex
	built uint64 // the source version good/err reflect; 0: never built
	good  *snapshot.Snapshot
	err   error
	errAt time.Time
	// errSince is when the current run of failed builds began.
	errSince time.Time
	// building is closed when the build in flight ends; nil when none runs.
	// buildingFor is the source version that build is for.
	building    chan struct{}
	buildingFor uint64

	// rollouts holds the decision for the good snapshot (rollouts.go).
	rollouts rollouts
}

func newSource(url string, cfg *Config, log *slog.Logger) (*source, error) {
	repo, err := gitrepo.OpenMirror(url, cfg.CacheDir, cfg.Credentials)
	if err != nil {
		return nil, err
	}
	src := &source{url: url, repo: repo, cfg: cfg, log: log.With("repo", url), views: map[viewKey]*view{},
		ancestry: snapshot.Ancestry(repo)}
	if cfg.Refresher != nil && cfg.Applications != nil {
		src.refreshes = make(chan struct{}, 1)
	}
	return src, nil
}

// ensureFresh makes the mirror current with the remote at most once per RefCheckTTL
// (always when force is set): a cheap ls-remote, and a fetch only when a branch moved.
// checked reports whether this call ran a check or waited for one. A caller that finds a
// check in flight and has a mirror to read does not wait for it; a forced caller (an
// interval refresh, a webhook) waits for it and then runs its own, since the one in
// flight may have started before the push it was told about. git is the remote's
// failure after the check, if it fails.
func (s *source) ensureFresh(ctx context.Context, force bool) (checked bool, git outage) {
	s.mu.Lock()
	for s.checking != nil {
		ch := s.checking
		if !force && s.version.Load() > 0 {
			defer s.mu.Unlock()
			return false, s.outage()
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false, outage{ctx.Err(), time.Now()}
		}
		s.mu.Lock()
		if !force {
			defer s.mu.Unlock()
			return true, s.outage()
		}
	}
	if !force && s.version.Load() > 0 && time.Since(s.checkedAt) < s.cfg.RefCheckTTL {
		defer s.mu.Unlock()
		return false, s.outage()
	}
	ch := make(chan struct{})
	s.checking = ch
	s.mu.Unlock()

	// The check outlives a caller that gives up: others may wait on it.
	checkCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.GitTimeout)
	heads, fetched, err := s.check(checkCtx)
	cancel()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkedAt = time.Now()
	if fetched {
		s.fetchedAt = s.checkedAt
	}
	if err != nil {
		if s.syncErr == nil {
			s.failingSince = s.checkedAt
		}
		s.syncErr, s.syncErrAt = err, s.checkedAt
		s.refreshErrors++
		s.log.Warn("refreshing the mirror failed", "error", err)
	} else {
		s.syncErr = nil
		if s.version.Load() == 0 || !maps.Equal(heads, s.heads) {
			s.heads = heads
			s.version.Add(1)
		}
	}
	s.checking = nil
	close(ch)
	return true, s.outage()
}

func (s *source) check(ctx context.Context) (map[string]string, bool, error) {
	local, err := s.repo.Heads(ctx)
	if err == nil && len(local) > 0 {
		remote, err := s.repo.RemoteHeads(ctx)
		if err != nil {
			return nil, false, err
		}
		if maps.Equal(remote, local) {
			return local, false, nil
		}
	}
	if err := s.repo.Fetch(ctx); err != nil {
		return nil, false, err
	}
	local, err = s.repo.Heads(ctx)
	return local, true, err
}

// view returns the view of key, made on first use. Views are bounded: past MaxViews
// the one asked for least recently (never the default inventory's) is dropped, so
// requests naming ever new revisions cannot grow memory, refresh work or /metrics. A
// dropped view is built anew if asked again; nothing it held protects anything (the
// removal guard reads Git).
func (s *source) view(key viewKey) *view {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.views[key]
	if !ok {
		if len(s.views) >= MaxViews {
			s.evictLocked()
		}
		v = &view{key: key}
		s.views[key] = v
	}
	v.asked.Store(time.Now().UnixNano())
	return v
}

// viewList returns the views in (revision, path) order, taking s.mu.
func (s *source) viewList() []*view {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.viewsLocked()
}

// viewsLocked is viewList with s.mu held.
func (s *source) viewsLocked() []*view {
	views := make([]*view, 0, len(s.views))
	for _, v := range s.views {
		views = append(views, v)
	}
	slices.SortFunc(views, func(a, b *view) int {
		if a.key.revision != b.key.revision {
			return strings.Compare(a.key.revision, b.key.revision)
		}
		return strings.Compare(a.key.path, b.key.path)
	})
	return views
}

// lookup returns the view of key if there is one, without counting it as asked.
func (s *source) lookup(key viewKey) *view {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.views[key]
}

// evictLocked drops the least recently asked view other than the default; s.mu is held.
func (s *source) evictLocked() {
	var oldest *view
	for k, v := range s.views {
		if k == s.defaultKey() {
			continue
		}
		if oldest == nil || v.asked.Load() < oldest.asked.Load() {
			oldest = v
		}
	}
	if oldest != nil {
		delete(s.views, oldest.key)
		s.log.Info("view dropped, the least recently asked", "revision", oldest.key.revision, "path", oldest.key.path, "views", MaxViews)
	}
}

func (s *source) defaultKey() viewKey { return s.cfg.defaultKey() }

// get returns the snapshot to serve for key. stale is set when it is an earlier good
// snapshot served because the remote or the current inventory failed.
//
// A call that checked the remote itself (or waited on the check in flight) and found it
// moved waits for the new snapshot: the call after a push sees the push. A call that
// trusted the mirror within RefCheckTTL serves the view's good snapshot at once, even
// while another call rebuilds it, so one slow rebuild never queues every caller.
func (s *source) get(ctx context.Context, key viewKey) (snap *snapshot.Snapshot, stale bool, err error) {
	return s.getView(ctx, s.view(key))
}

// getView is get for a view in hand: a refresh rebuilds views without counting them as
// asked for.
func (s *source) getView(ctx context.Context, v *view) (snap *snapshot.Snapshot, stale bool, err error) {
	checked, git := s.ensureFresh(ctx, false)
	// A build that ended during this call is its answer, even one that failed in a way
	// worth retrying (Git or Argo CD unavailable, v.built left 0): the next call retries,
	// this one does not spin.
	var ended uint64 // the version a build that ended during this call was for
	for {
		v.mu.Lock()
		version := s.version.Load()
		if version == 0 || v.built == version || ended == version {
			defer v.mu.Unlock()
			return v.serve(s.url, git, s.cfg.MaxStale)
		}
		if v.building == nil {
			done := make(chan struct{})
			v.building, v.buildingFor = done, version
			v.mu.Unlock()
			s.build(ctx, v, version, done)
			ended = version
			continue
		}
		if v.good != nil && !checked {
			defer v.mu.Unlock()
			return v.serve(s.url, git, s.cfg.MaxStale)
		}
		done, doneFor := v.building, v.buildingFor
		v.mu.Unlock()
		select {
		case <-done:
			ended = doneFor
		case <-ctx.Done():
			return nil, false, fmt.Errorf("%w: waiting for the snapshot: %w", gitrepo.ErrUnavailable, ctx.Err())
		}
	}
}

// outage is a failure and since when it has lasted; the zero outage is none.
type outage struct {
	err   error
	since time.Time
}

// expired returns the failure once it has lasted longer than maxStale, nil before.
func (o outage) expired(maxStale time.Duration) error {
	if o.err == nil || time.Since(o.since) <= maxStale {
		return nil
	}
	return fmt.Errorf("%w (failing since %s, longer than the %s a snapshot may be served stale)",
		o.err, o.since.UTC().Format(time.RFC3339), maxStale)
}

// outage is the remote's current failure; s.mu is held.
func (s *source) outage() outage {
	if s.syncErr == nil {
		return outage{}
	}
	return outage{s.syncErr, s.failingSince}
}

// serve decides what a view answers now; v.mu is held.
//
// An inventory that fails validation or a removal guard is answered with its error even
// when an earlier snapshot is good: Argo CD then shows it in the ApplicationSet's
// conditions and leaves every Application as it is, where a stale answer would hide it.
// A failing Git server is served around with the last good snapshot for up to maxStale,
// then answered with its error too, so an outage that lasts shows in Argo CD.
func (v *view) serve(url string, git outage, maxStale time.Duration) (*snapshot.Snapshot, bool, error) {
	var build outage // a build that failed on Git
	if v.err != nil && statusOf(v.err) == http.StatusServiceUnavailable {
		build = outage{v.err, v.errSince}
	}
	switch {
	case v.err != nil && (v.good == nil || build.err == nil):
		return nil, false, v.err
	case v.good == nil && git.err != nil:
		return nil, false, git.err
	case v.good == nil:
		return nil, false, fmt.Errorf("%w: %s has not been fetched yet", gitrepo.ErrUnavailable, url)
	}
	for _, o := range []outage{git, build} {
		if err := o.expired(maxStale); err != nil {
			return nil, false, err
		}
	}
	return v.good, git.err != nil || build.err != nil, nil
}

// snapshot builds key's snapshot, from a model kept by inventory commit when there is
// one: a push to a tier branch only pins the tiers again.
func (s *source) snapshot(ctx context.Context, key viewKey) (*snapshot.Snapshot, error) {
	commit, err := s.repo.ResolveCommit(ctx, key.revision)
	if err != nil {
		return nil, fmt.Errorf("revision %q: %w", key.revision, err)
	}
	m := s.models.get(commit, key.path)
	if m == nil {
		if m, err = snapshot.LoadModel(ctx, s.repo, s.url, key.revision, commit, key.path); err != nil {
			return nil, err
		}
		s.models.put(m)
	}
	return m.Pin(ctx, s.repo, key.revision)
}

// build computes the view's snapshot at version without holding v.mu (reads of the
// view go on meanwhile), then records the outcome and closes done.
func (s *source) build(ctx context.Context, v *view, version uint64, done chan struct{}) {
	buildCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.GitTimeout)
	defer cancel()
	snap, err := s.snapshot(buildCtx, v.key)
	if err == nil {
		err = s.guardRemoval(buildCtx, snap)
	}
	if err == nil {
		err = s.guardRewind(buildCtx, snap)
	}
	if err == nil {
		s.decideBuilt(buildCtx, v, snap)
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	defer close(done)
	v.building = nil
	v.built = version
	if err != nil {
		if statusOf(err) == http.StatusServiceUnavailable { // a passing Git failure: retry on the next request
			v.built = 0
		}
		if v.err == nil {
			v.errSince = time.Now()
		}
		v.err, v.errAt = err, time.Now()
		s.log.Warn("snapshot refused", "revision", v.key.revision, "path", v.key.path, "error", err)
		return
	}
	v.good, v.err = snap, nil
	s.log.Info("snapshot", "revision", v.key.revision, "path", v.key.path, "commit", snap.InventoryCommit, "shopsets", len(snap.Params))
}
