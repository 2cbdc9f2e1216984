package generator

import (
	"context"
	"sync"
	"time"
)

// Refresher asks Argo CD's ApplicationSet controller to call the generator again now
// (package appsetrefresh): a rollout's answer changes with the clock and with Argo CD's
// state, not with a push, so without it a released wave waits for the ApplicationSet's
// next requeue.
type Refresher interface {
	Refresh(ctx context.Context, repoURL string) error
	URL() string
}

// refreshGap is the shortest time between two refresh events for one repository: a
// burst of decisions (a health flapping) becomes one event per gap, the last one
// always sent.
var refreshGap = time.Second

// refreshState is what the status and /metrics say of the refresh events.
type refreshState struct {
	mu           sync.Mutex
	sent, failed uint64
	lastAt       time.Time
	lastErr      error
	lastErrAt    time.Time
}

// answerChanged is called with the view's decision lock held when a decision replaces
// another and the revisions it answers differ: the source's refresh loop sends one event.
func (s *source) answerChanged() {
	if s.refreshes == nil {
		return
	}
	select {
	case s.refreshes <- struct{}{}:
	default: // one is pending already
	}
}

// changedRevisions reports whether next answers another revision than prev for any
// ShopSet. A new snapshot is compared by name: ShopSets added or removed come with a
// push, which Argo CD's own webhook already reports. The first decision of a view (after
// a start) is compared with what the Applications were given: a wave that came due while
// the generator was down is announced too.
func changedRevisions(prev, next *rolled) bool {
	if prev == nil {
		for _, p := range next.params {
			if a, ok := next.apps[p.Name]; ok && a.Given != "" && a.Given != p.Revision {
				return true
			}
		}
		return false
	}
	if prev.snap == next.snap {
		for i := range next.params {
			if next.params[i].Revision != prev.params[i].Revision {
				return true
			}
		}
		return false
	}
	was := make(map[string]string, len(prev.params))
	for _, p := range prev.params {
		was[p.Name] = p.Revision
	}
	for _, p := range next.params {
		if rev, ok := was[p.Name]; ok && rev != p.Revision {
			return true
		}
	}
	return false
}

// decideLoop makes due decisions without waiting for a call, so that the refresh event
// goes out the moment a soak ends, and has rollouts decided again when Argo CD's state
// changes (rolled does both, as for a call).
func (s *Server) decideLoop(ctx context.Context) {
	t := time.NewTicker(rolloutMinInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, url := range s.order {
			src := s.sources[url]
			for _, v := range src.viewList() {
				v.mu.Lock()
				good := v.good
				v.mu.Unlock()
				if good == nil || v.rollouts.status(good) == nil {
					continue // no rollouts, or nothing decided yet: a call decides first
				}
				dctx, cancel := context.WithTimeout(ctx, s.cfg.GitTimeout)
				if _, err := src.rolled(dctx, v, good); err != nil {
					s.log.Debug("rollouts not decided in the background", "repo", url, "err", err)
				}
				cancel()
			}
		}
	}
}

// appsetRefreshLoop sends src's refresh events, at most one per refreshGap.
func (s *Server) appsetRefreshLoop(ctx context.Context, src *source) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-src.refreshes:
		}
		rctx, cancel := context.WithTimeout(ctx, s.cfg.GitTimeout)
		err := s.cfg.Refresher.Refresh(rctx, src.url)
		cancel()
		st := &src.refreshState
		st.mu.Lock()
		if err != nil {
			st.failed++
			st.lastErr, st.lastErrAt = err, time.Now()
		} else {
			st.sent++
			st.lastAt = time.Now()
		}
		st.mu.Unlock()
		if err != nil {
			// The ApplicationSet's requeue picks the change up anyway.
			s.log.Warn("asking Argo CD to refresh the ApplicationSets failed", "repo", src.url, "error", err)
		} else {
			s.log.Info("asked Argo CD to refresh the ApplicationSets: a rollout's answer changed", "repo", src.url)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(refreshGap):
		}
	}
}

func (st *refreshState) status(webhook string) *AppSetRefreshStatus {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := &AppSetRefreshStatus{Webhook: webhook, Sent: st.sent, Failed: st.failed,
		LastSent: timePtr(st.lastAt), LastErrorAt: timePtr(st.lastErrAt)}
	if st.lastErr != nil {
		out.LastError = st.lastErr.Error()
	}
	return out
}
