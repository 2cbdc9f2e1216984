// Package rollout decides how a tier takes a new revision the way an SRE would move it by
// hand: in waves of one failure domain each, smallest blast radius first, a wave released
// only when every wave before it has run the revision Synced and Healthy for the tier's
// soak time, the rollout halted when a ShopSet degrades, and, where the tier asks for it,
// rolled back.
//
// It is pure: the tier's ShopSets, the revision the tier's pins offer (the target), what
// Argo CD reports of each ShopSet's Application, the tier's policy and a clock go in; the
// revision each ShopSet gets, the waves and a halt come out. Reading Applications is an
// adapter's work, and so is keeping nothing: a halt is read back from the Applications'
// own history (a ShopSet that ran the target and went back), so it survives a restart and
// is the same on every replica.
//
//	d := rollout.Decide(rollout.Input{Target: pinned, ShopSets: sets, Apps: apps,
//		Policy: rollout.Policy{Soak: 10 * time.Minute, HealthTimeout: 5 * time.Minute}, Now: now})
//	for name, rev := range d.Revisions { ... }
package rollout

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Policy is a tier's rollout settings, from the inventory.
type Policy struct {
	// Soak is how long a wave must run the target Synced and Healthy before the next
	// wave is released, and the whole tier before the target counts as proven.
	Soak time.Duration
	// HealthTimeout is how long a ShopSet synced to the target may stay not Healthy
	// before it halts the rollout.
	HealthTimeout time.Duration
	// Rollback gives every ShopSet of a halted rollout the revision it ran before.
	Rollback bool
	// Actions are people's decisions about halted rollouts of the tier (Retry, Resume).
	Actions []Action
}

// Kinds of Action.
const (
	// Resume ends a halt of a target: what halted it before the action no longer
	// counts, and a health timeout counts from the action; waves already soaked stay done.
	Resume = "resume"
	// Retry is Resume that also restarts every soak: each wave soaks again from the
	// action, in order.
	Retry = "retry"
)

// Action is a person's decision about a tier's rollout of one target, from Git.
type Action struct {
	Kind   string    `json:"kind"`
	Target string    `json:"target"`
	At     time.Time `json:"at"`
	// Commit is the commit that records it.
	Commit string `json:"commit"`
}

// ShopSet is one ShopSet of the tier.
type ShopSet struct {
	Name          string
	FailureDomain string
	// Shops is how many shops placement puts on it: a wave's blast radius.
	Shops int
}

// Health values of an Application, as Argo CD reports them.
const (
	Healthy  = "Healthy"
	Degraded = "Degraded"
)

// App is what Argo CD reports of one ShopSet's Application.
type App struct {
	// Given is the revision it was given (spec.source.targetRevision): what a ShopSet
	// not released keeps, so that no answer takes back what an earlier one gave.
	Given string
	// Revision is the revision it is synced to (status.sync.revision), Synced whether
	// it is in sync with its source, Health its health status.
	Revision string
	Synced   bool
	Health   string
	// SyncedAt is when its last sync to Revision finished; HealthySince when it was
	// last seen turning Healthy (zero: unknown, SyncedAt counts).
	SyncedAt     time.Time
	HealthySince time.Time
	// History lists the revisions it was deployed at, oldest first (status.history).
	History []string
	// HealthMessage is what Argo CD says of its health (a resource's message when the
	// Application's own is empty).
	HealthMessage string
}

// Input is everything Decide reads.
type Input struct {
	// Target is the revision the tier's pins offer now.
	Target   string
	ShopSets []ShopSet
	// Apps holds the Application of each ShopSet that has one, by ShopSet name.
	Apps   map[string]App
	Policy Policy
	Now    time.Time
	// Blind says that Argo CD's state could not be read: nothing is released and
	// nothing rolled back; every ShopSet keeps what it runs.
	Blind bool
}

// WaveState is where a wave stands.
type WaveState string

// Wave states.
const (
	Pending  WaveState = "pending"  // waiting for the waves before it
	Released WaveState = "released" // given the target, not all Healthy at it yet
	Soaking  WaveState = "soaking"  // all Healthy at the target, the soak not over
	Done     WaveState = "done"     // soaked
	Halted   WaveState = "halted"   // a ShopSet of it degraded at the target
)

// Wave is one failure domain's ShopSets.
type Wave struct {
	FailureDomain string    `json:"failureDomain"`
	ShopSets      []string  `json:"shopsets"`
	Shops         int       `json:"shops"`
	State         WaveState `json:"state"`
	// SoakLeft is the soak time still to run, while Soaking (in JSON, soakLeftSeconds).
	SoakLeft time.Duration `json:"-"`
}

// MarshalJSON writes SoakLeft in seconds, as people read it.
func (w Wave) MarshalJSON() ([]byte, error) {
	type plain Wave
	return json.Marshal(struct {
		plain
		SoakLeftSeconds float64 `json:"soakLeftSeconds,omitempty"`
	}{plain(w), w.SoakLeft.Seconds()})
}

// Halt is why a rollout stopped.
type Halt struct {
	ShopSet string `json:"shopset"`
	Reason  string `json:"reason"`
}

// Decision is Decide's answer.
type Decision struct {
	// Revisions is the revision each ShopSet gets, by name.
	Revisions map[string]string `json:"-"`
	Waves     []Wave            `json:"waves"`
	Halt      *Halt             `json:"halt,omitempty"`
	// RolledBack is set when the halted rollout's ShopSets get their revisions back.
	RolledBack bool `json:"rolledBack,omitempty"`
	// Proven is set when every ShopSet ran the target Healthy for the soak: the tier
	// above may take it. A tier without ShopSets proves what it is offered.
	Proven bool `json:"-"`
	// Notes say what Decide saw and did not act on (an Application at a revision it was
	// not given, say).
	Notes []string `json:"notes,omitempty"`
	// Action is the person's decision in force for the target (Resume, Retry), if any.
	Action *Action `json:"action,omitempty"`
	// Due is the first time at which the clock alone changes the decision (a soak ends,
	// a health timeout runs out, a freeze ends); zero when nothing waits on the clock.
	Due time.Time `json:"-"`
}

// dueAt keeps the earlier of the decision's Due and t.
func (d *Decision) dueAt(t time.Time) {
	if !t.IsZero() && (d.Due.IsZero() || t.Before(d.Due)) {
		d.Due = t
	}
}

// Waves groups the ShopSets into waves, one failure domain each, ordered by blast
// radius: fewest placed shops first, ties by the failure domain's name. ShopSets keep
// their order by name within a wave.
func Waves(sets []ShopSet) []Wave {
	byDomain := map[string]*Wave{}
	var waves []*Wave
	for _, s := range sets {
		w, ok := byDomain[s.FailureDomain]
		if !ok {
			w = &Wave{FailureDomain: s.FailureDomain}
			byDomain[s.FailureDomain] = w
			waves = append(waves, w)
		}
		w.ShopSets = append(w.ShopSets, s.Name)
		w.Shops += s.Shops
	}
	out := make([]Wave, 0, len(waves))
	for _, w := range waves {
		slices.Sort(w.ShopSets)
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b Wave) int {
		return cmp.Or(cmp.Compare(a.Shops, b.Shops), cmp.Compare(a.FailureDomain, b.FailureDomain))
	})
	return out
}

// Decide works out the revision of every ShopSet of the tier.
func Decide(in Input) Decision {
	d := Decision{Revisions: map[string]string{}, Waves: Waves(in.ShopSets)}
	if a, ok := in.action(); ok {
		d.Action = &a
	}
	if len(in.ShopSets) == 0 {
		d.Proven = true
		return d
	}
	if in.Blind {
		for _, s := range in.ShopSets {
			d.Revisions[s.Name] = in.keep(s.Name)
		}
		for i := range d.Waves {
			d.Waves[i].State = Pending
		}
		d.Notes = append(d.Notes, "Argo CD's state is unknown: the rollout stays where it is")
		return d
	}

	if d.Halt = in.haltFromHistory(); d.Halt != nil {
		// Rolled back before: the rollout stays halted until the target changes.
		for i := range d.Waves {
			d.Waves[i].State = Pending
			if d.Waves[i].holds(d.Halt.ShopSet) {
				d.Waves[i].State = Halted
			}
		}
		for _, s := range in.ShopSets {
			d.Revisions[s.Name] = in.keep(s.Name)
		}
	} else {
		d.release(in)
	}
	if d.Halt != nil && in.Policy.Rollback {
		d.RolledBack = true
		for _, s := range in.ShopSets {
			if prev, ok := in.previous(s.Name); ok {
				d.Revisions[s.Name] = prev
			}
		}
	}
	d.Proven = d.Halt == nil && !slices.ContainsFunc(d.Waves, func(w Wave) bool { return w.State != Done })
	for _, s := range in.ShopSets {
		if a, ok := in.Apps[s.Name]; ok && a.Revision != "" && a.Revision != in.Target &&
			!slices.Contains(a.History, a.Revision) {
			d.Notes = append(d.Notes, fmt.Sprintf("%s runs %.12s, a revision it was never given: left alone", s.Name, a.Revision))
		}
	}
	return d
}

// release walks the waves in order: each released wave's ShopSets get the target, and
// the next wave is released once this one is Done; a ShopSet that degrades halts it.
func (d *Decision) release(in Input) {
	released := true
	for i := range d.Waves {
		w := &d.Waves[i]
		if !released {
			w.State = Pending
			for _, n := range w.ShopSets {
				d.Revisions[n] = in.keep(n)
			}
			continue
		}
		w.State = Done
		for _, n := range w.ShopSets {
			d.Revisions[n] = in.Target
			state, left, reason := in.shopSet(n)
			switch {
			case state == Halted:
				if d.Halt == nil {
					d.Halt = &Halt{ShopSet: n, Reason: reason}
				}
				w.State = Halted
			case state == Released && w.State != Halted:
				w.State = Released
			case state == Soaking && w.State == Done:
				w.State = Soaking
			}
			if state == Soaking {
				w.SoakLeft = max(w.SoakLeft, left)
				d.dueAt(in.Now.Add(left))
			}
			if state == Released {
				d.dueAt(in.timeoutAt(n))
			}
		}
		if w.State != Soaking {
			w.SoakLeft = 0
		}
		released = w.State == Done
	}
}

func (w *Wave) holds(name string) bool { return slices.Contains(w.ShopSets, name) }

// keep is the revision a ShopSet not yet released keeps: what its Application was given
// (or, not known, runs), or the target when it has none (nothing to protect).
func (in Input) keep(name string) string {
	if a, ok := in.Apps[name]; ok {
		if a.Given != "" {
			return a.Given
		}
		if a.Revision != "" {
			return a.Revision
		}
	}
	return in.Target
}

// anyAtTarget reports whether some ShopSet of the list runs the target already: a wave
// that has it keeps it while the rollout halts elsewhere.
func (in Input) anyAtTarget(names []string) bool {
	for _, n := range names {
		if a, ok := in.Apps[n]; ok && a.Revision == in.Target {
			return true
		}
	}
	return false
}

// shopSet says where one released ShopSet stands at the target: Released (not there or
// not Healthy yet), Soaking (with the time left), Done, or Halted (with why).
func (in Input) shopSet(name string) (WaveState, time.Duration, string) {
	a, ok := in.Apps[name]
	if !ok || a.Revision != in.Target || !a.Synced {
		return Released, 0, ""
	}
	switch {
	case a.Health == Degraded:
		reason := fmt.Sprintf("%s is Degraded at %.12s", name, in.Target)
		if a.HealthMessage != "" {
			reason += ": " + a.HealthMessage
		}
		return Halted, 0, reason
	case a.Health != Healthy:
		synced := in.timeoutFrom(a)
		if !synced.IsZero() && in.Policy.HealthTimeout > 0 && in.Now.Sub(synced) > in.Policy.HealthTimeout {
			return Halted, 0, fmt.Sprintf("%s is %s, not Healthy, %s after syncing %.12s (health timeout %s)",
				name, cmp.Or(a.Health, "of unknown health"), in.Now.Sub(synced).Round(time.Second), in.Target, in.Policy.HealthTimeout)
		}
		return Released, 0, ""
	}
	since := a.SyncedAt
	if a.HealthySince.After(since) {
		since = a.HealthySince
	}
	if act, ok := in.action(); ok && act.Kind == Retry && act.At.After(since) {
		since = act.At // a retry soaks every wave again
	}
	if since.IsZero() {
		return Soaking, in.Policy.Soak, "" // no time known: the soak starts now
	}
	if left := in.Policy.Soak - in.Now.Sub(since); left > 0 {
		return Soaking, left, ""
	}
	return Done, 0, ""
}

// action is the newest Resume or Retry of the target.
func (in Input) action() (Action, bool) {
	var out Action
	found := false
	for _, a := range in.Policy.Actions {
		if a.Target == in.Target && (!found || a.At.After(out.At)) {
			out, found = a, true
		}
	}
	return out, found
}

// haltFromHistory finds a ShopSet that ran the target and went back to another revision:
// a rollback done earlier, which keeps the rollout halted until the target changes, or
// until a person resumes or retries it after the rollback.
func (in Input) haltFromHistory() *Halt {
	act, acted := in.action()
	for _, s := range in.ShopSets {
		a, ok := in.Apps[s.Name]
		if !ok || a.Revision == in.Target {
			continue
		}
		if acted && !a.SyncedAt.After(act.At) {
			continue // rolled back before the person's decision
		}
		if i := slices.Index(a.History, in.Target); i >= 0 && i < len(a.History)-1 {
			return &Halt{ShopSet: s.Name, Reason: fmt.Sprintf("%s ran %.12s and was rolled back to %.12s", s.Name, in.Target, a.Revision)}
		}
	}
	return nil
}

// previous is the revision a ShopSet ran before the target, from its history.
func (in Input) previous(name string) (string, bool) {
	a, ok := in.Apps[name]
	if !ok {
		return "", false
	}
	if a.Revision != "" && a.Revision != in.Target {
		return a.Revision, true
	}
	for i := len(a.History) - 1; i >= 0; i-- {
		if a.History[i] != in.Target {
			return a.History[i], true
		}
	}
	return "", false
}

// timeoutFrom is when a ShopSet's health timeout starts: its sync, or a later resume or
// retry; zero when unknown.
func (in Input) timeoutFrom(a App) time.Time {
	synced := a.SyncedAt
	if act, ok := in.action(); ok && act.At.After(synced) && !synced.IsZero() {
		synced = act.At
	}
	return synced
}

// timeoutAt is when a released ShopSet synced to the target, not Healthy yet, runs out
// of its health timeout; zero when no timeout runs.
func (in Input) timeoutAt(name string) time.Time {
	a, ok := in.Apps[name]
	if !ok || a.Revision != in.Target || !a.Synced || a.Health == Healthy || in.Policy.HealthTimeout <= 0 {
		return time.Time{}
	}
	if from := in.timeoutFrom(a); !from.IsZero() {
		return from.Add(in.Policy.HealthTimeout + time.Nanosecond)
	}
	return time.Time{}
}
