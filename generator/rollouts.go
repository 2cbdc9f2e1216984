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

// rolloutTTL is how long a rollout decision is served before it is made again: what
// Argo CD reports changes all the time, and a soak ends with no change at all, so the
// decision follows the clock. Requests in between are answered from the decision, which
// is made again in the background: reading Applications never slows getparams.
const rolloutTTL = time.Second

// rolloutMinInterval is the least time between two decisions when Argo CD's state has
// changed: Applications change all the time on a large installation, and deciding at
// most ten times a second bounds the work while still following a sync at once.
const rolloutMinInterval = 100 * time.Millisecond

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
	// due is when the clock alone changes the decision (the first soak to end), zero
	// when it does not: a call after it decides at once rather than in the background.
	due time.Time
}

// stale reports whether the decision should be made again.
func (d *rolled) stale(cfg *Config) bool {
	age := time.Since(d.madeAt)
	return age >= rolloutTTL || cfg.Now().Sub(d.at) >= rolloutTTL ||
		age >= rolloutMinInterval && cfg.Applications.Version() != d.version
}

// rollouts keeps a view's latest decision.
type rollouts struct {
	mu       sync.Mutex
	last     *rolled
	updating bool
	// err is why the latest attempt to decide again failed; the last decision stands.
	err error
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
	if last := r.last; last != nil && last.snap == snap {
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
	// A new snapshot, or a soak ended: the decision is made now, and every caller waits
	// for it (a new snapshot's revisions belong to other pins).
	next, err := s.decide(ctx, snap)
	if err != nil {
		if last := r.last; last != nil && last.snap == snap {
			r.err = err
			return last, nil // the last decision stands
		}
		return nil, err
	}
	r.last, r.err = next, nil
	return next, nil
}

// status is the last decision for snap, if there is one.
func (r *rollouts) status(snap *snapshot.Snapshot) *rolled {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last != nil && r.last.snap == snap {
		return r.last
	}
	return nil
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
	// Never over a newer decision (one made at once meanwhile): a wave it released must
	// not be taken back, even for a moment.
	if r.last == nil || r.last.snap == snap && next.madeAt.After(r.last.madeAt) {
		r.last, r.err = next, nil
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
		for _, w := range p.Waves {
			if end := now.Add(w.SoakLeft); w.State == rollout.Soaking && (d.due.IsZero() || end.Before(d.due)) {
				d.due = end
			}
		}
	}
	return d, nil
}
