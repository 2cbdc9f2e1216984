package generator

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/rollout"
	"github.com/shopset/shopset/snapshot"
)

// A rollout decision changes when Argo CD's state does, and when the clock reaches a
// time it names (a soak ends, a health timeout runs out, a freeze ends: its due time).
// A call after the due time decides at once; a change of the Applications is decided
// again in the background, at most once per rolloutMinInterval (they change all the time
// on a large installation, and a decision of 10,000 ShopSets costs milliseconds), while
// calls are answered from the last decision: reading Applications never slows getparams.
// rolloutMaxAge makes a decision again whatever happened, in case.
var rolloutMinInterval = time.Second

const rolloutMaxAge = 30 * time.Second

// rolled is a snapshot as its rollouts serve it: each ShopSet's revision decided from
// what Argo CD reports.
type rolled struct {
	snap    *snapshot.Snapshot
	plans   []rollout.TierPlan
	params  []snapshot.Params
	encoded [][]byte
	apps    map[string]rollout.App
	// blind is why Argo CD's state is not current (nothing moves meanwhile); nil when it is.
	blind error
	notes []string
	// at is the decision's time by the configured clock; madeAt by the real one, and
	// version the Applications' version it read.
	at      time.Time
	madeAt  time.Time
	version string
	// due is when the clock alone changes the decision (rollout.Decision.Due), zero when
	// it does not: a call after it decides at once rather than in the background.
	due time.Time
}

// stale reports whether the decision should be made again in the background.
func (d *rolled) stale(cfg *Config) bool {
	age := time.Since(d.madeAt)
	return age >= rolloutMaxAge || age >= rolloutMinInterval && cfg.Applications.Version() != d.version
}

// rollouts keeps a view's decisions: for its good snapshot, and for the one before,
// which callers that trusted the mirror may still be answered from while a new one is
// published.
type rollouts struct {
	mu         sync.Mutex
	last, prev *rolled
	updating   bool
	// err is why the latest attempt to decide again failed; the last decision stands.
	err error
}

// find returns the decision for snap, nil when there is none.
func (r *rollouts) find(snap *snapshot.Snapshot) *rolled {
	for _, d := range []*rolled{r.last, r.prev} {
		if d != nil && d.snap == snap {
			return d
		}
	}
	return nil
}

// put keeps d, never over a newer decision for the same snapshot: a wave a newer one
// released must not be taken back, even for a moment. changed reports that d answers
// another revision than the decision it replaced for some ShopSet.
func (r *rollouts) put(d *rolled) (changed bool) {
	r.err = nil
	switch {
	case r.last != nil && r.last.snap == d.snap:
		if d.madeAt.After(r.last.madeAt) {
			changed, r.last = changedRevisions(r.last, d), d
		}
	case r.prev != nil && r.prev.snap == d.snap:
		if d.madeAt.After(r.prev.madeAt) {
			changed, r.prev = changedRevisions(r.prev, d), d
		}
	default:
		changed = changedRevisions(r.last, d)
		r.prev, r.last = r.last, d
	}
	return changed
}

// rolled returns the decision for snap, or nil when rollouts play no part: no
// Kubernetes access, or no tier with a rollout or a freeze (every ShopSet takes its
// tier's pin, as Pin gave it). Applications never read since the start are an error
// (503): nothing is known of where the ShopSets are, and nothing may move.
func (s *source) rolled(ctx context.Context, v *view, snap *snapshot.Snapshot) (*rolled, error) {
	if s.cfg.Applications == nil || !snap.HasRollouts() {
		return nil, nil
	}
	r := &v.rollouts
	r.mu.Lock()
	defer r.mu.Unlock()
	last := r.find(snap)
	if last != nil {
		switch {
		case !last.due.IsZero() && !s.cfg.Now().Before(last.due):
			// A soak has ended since: the next wave is due now, not at the next call.
		case !r.updating && last.stale(s.cfg):
			r.updating = true
			go s.redecide(v, snap)
			return last, nil
		default:
			return last, nil
		}
	}
	// No decision yet (the build could not make one), or one due: made now, and every
	// caller waits for it.
	next, err := s.decide(ctx, snap)
	if err != nil {
		if last != nil {
			r.err = err
			return last, nil // the last decision stands
		}
		return nil, err
	}
	if r.put(next) {
		s.answerChanged()
	}
	return next, nil
}

// decideBuilt makes the decision for a snapshot just built, before it is published: the
// callers that wait for the build then find it, and the others are answered from the
// snapshot before it and its decision, without waiting.
func (s *source) decideBuilt(ctx context.Context, v *view, snap *snapshot.Snapshot) {
	if s.cfg.Applications == nil || !snap.HasRollouts() {
		return
	}
	d, err := s.decide(ctx, snap)
	if err != nil {
		s.log.Debug("rollouts not decided with the build: the first call will", "err", err)
		return
	}
	v.rollouts.mu.Lock()
	defer v.rollouts.mu.Unlock()
	if v.rollouts.put(d) {
		s.answerChanged()
	}
}

// status is the decision for snap, if there is one.
func (r *rollouts) status(snap *snapshot.Snapshot) *rolled {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.find(snap)
}

func (r *rollouts) lastError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// redecide makes the decision for snap again in the background.
func (s *source) redecide(v *view, snap *snapshot.Snapshot) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.GitTimeout)
	defer cancel()
	next, err := s.decide(ctx, snap)
	r := &v.rollouts
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updating = false
	if err != nil {
		r.err = err
		s.log.Warn("rollouts not decided again: the last decision stands", "err", err)
		return
	}
	if r.find(snap) != nil && r.put(next) {
		s.answerChanged()
	}
}

// decide reads the Applications and plans every tier of snap.
func (s *source) decide(ctx context.Context, snap *snapshot.Snapshot) (*rolled, error) {
	now, madeAt := s.cfg.Now(), time.Now()
	version := s.cfg.Applications.Version()
	list, blind := s.cfg.Applications.List()
	if blind != nil && list == nil {
		return nil, fmt.Errorf("%w: %w", errArgoCD, blind)
	}
	apps, notes := argoapps.Index(list)
	notes = append(notes, snap.ActionNotes...)
	plans, err := snap.PlanRollouts(ctx, s.ancestry, apps, blind != nil, now)
	if err != nil {
		return nil, err
	}
	params, encoded, err := snap.Rolled(plans)
	if err != nil {
		return nil, err
	}
	d := &rolled{snap: snap, plans: plans, params: params, encoded: encoded, apps: apps,
		blind: blind, notes: notes, at: now, madeAt: madeAt, version: version}
	for _, p := range plans {
		if !p.Due.IsZero() && (d.due.IsZero() || p.Due.Before(d.due)) {
			d.due = p.Due
		}
	}
	return d, nil
}
