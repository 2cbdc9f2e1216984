package generator

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/preview"
	"github.com/shopset/shopset/rollout"
	"github.com/shopset/shopset/snapshot"
)

// Status is GET /api/v1/status: per repository, when it was fetched and what failed; per
// inventory view, the snapshot served, whether it is stale, each tier's head, pinned
// revision, held and waiting commits, the clusters, the ShopSets and the degraded shops.
// The dashboard is rendered from it and from nothing else.
type Status struct {
	// Rollouts is "on" when the generator reads Argo CD's Applications, else why not.
	Rollouts     string       `json:"rollouts"`
	Repositories []RepoStatus `json:"repositories"`
}

// RolloutsOff is Status.Rollouts without Kubernetes access.
const RolloutsOff = "off: no Kubernetes access (not in a cluster, no --kubeconfig); every ShopSet takes its tier's pinned revision at once"

// RolloutStatus is the rollout decision a view serves.
type RolloutStatus struct {
	// DecidedAt is when it was made (it is made again every second or so).
	DecidedAt time.Time `json:"decidedAt"`
	// ArgoCD says why Argo CD's state is not current; while it is set nothing moves.
	ArgoCD string `json:"argoCD,omitempty"`
	// LastError is why the decision could not be made again; the one shown stands.
	LastError string        `json:"lastError,omitempty"`
	Notes     []string      `json:"notes,omitempty"`
	Tiers     []TierRollout `json:"tiers"`
}

// TierRollout is one tier's rollout: pinned, target and proven revisions, the waves
// with their states, a halt.
type TierRollout = rollout.TierPlan

// RepoStatus is one served repository.
type RepoStatus struct {
	URL           string     `json:"url"`
	LastChecked   *time.Time `json:"lastChecked,omitempty"`
	LastFetched   *time.Time `json:"lastFetched,omitempty"`
	LastError     string     `json:"lastError,omitempty"`
	LastErrorAt   *time.Time `json:"lastErrorAt,omitempty"`
	RefreshErrors uint64     `json:"refreshErrors"`
	// AppSetRefresh is set when the generator asks Argo CD's ApplicationSet controller to
	// refresh as rollouts' answers change.
	AppSetRefresh *AppSetRefreshStatus `json:"appsetRefresh,omitempty"`
	Views         []ViewStatus         `json:"views"`
}

// AppSetRefreshStatus is what became of the refresh events sent for a repository.
type AppSetRefreshStatus struct {
	Webhook     string     `json:"webhook"`
	Sent        uint64     `json:"sent"`
	Failed      uint64     `json:"failed"`
	LastSent    *time.Time `json:"lastSent,omitempty"`
	LastError   string     `json:"lastError,omitempty"`
	LastErrorAt *time.Time `json:"lastErrorAt,omitempty"`
}

// ViewStatus is one (revision, inventory path) of a repository.
type ViewStatus struct {
	Revision           string          `json:"revision"`
	Path               string          `json:"path"`
	InventoryCommit    string          `json:"inventoryCommit,omitempty"`
	SnapshotBuilt      *time.Time      `json:"snapshotBuilt,omitempty"`
	SnapshotAgeSeconds float64         `json:"snapshotAgeSeconds"`
	Stale              bool            `json:"stale"`
	LastError          string          `json:"lastError,omitempty"`
	LastErrorAt        *time.Time      `json:"lastErrorAt,omitempty"`
	ShopSets           int             `json:"shopsets"`
	Tiers              []snapshot.Tier `json:"tiers"`
	// Shops counts the shops placed on each ShopSet; Degraded lists the shops placed on
	// fewer failure domains than they ask for.
	Shops    map[string]int `json:"shops"`
	Degraded []string       `json:"degraded"`
	// Clusters lists the inventory's clusters in its order; ShopSetList the ShopSets in
	// rollout order (tier, cluster, name); DegradedShops details Degraded.
	Clusters      []ClusterStatus  `json:"clusters"`
	ShopSetList   []ShopSetStatus  `json:"shopsetList"`
	DegradedShops []DegradedStatus `json:"degradedShops"`
	// Rollouts is set when rollouts decide the ShopSets' revisions.
	Rollouts *RolloutStatus `json:"rollouts,omitempty"`
	// Previews is set when the inventory has a previews section.
	Previews *PreviewsStatus `json:"previews,omitempty"`
}

// PreviewsStatus is what kind previews answers now: the settings, the previews served and
// every matching branch left out, with why.
type PreviewsStatus struct {
	Branches      string            `json:"branches"`
	Cluster       string            `json:"cluster"`
	Configuration string            `json:"configuration"`
	Max           int               `json:"max"`
	ExpireAfter   string            `json:"expireAfter"`
	Domain        string            `json:"domain,omitempty"`
	Served        []PreviewStatus   `json:"served"`
	Skipped       []preview.Skipped `json:"skipped"`
	// ArgoCD says why the previews' Applications are not shown: Argo CD not read
	// (rollouts off) or its Applications unavailable now.
	ArgoCD string `json:"argoCD,omitempty"`
}

// PreviewStatus is one preview served.
type PreviewStatus struct {
	Name      string    `json:"name"`
	AppName   string    `json:"appName"`
	Namespace string    `json:"namespace"`
	Branch    string    `json:"branch"`
	Revision  string    `json:"revision"`
	Committed time.Time `json:"committed"`
	Host      string    `json:"host,omitempty"`
	// Application is what Argo CD has of the preview's Application; nil when it has
	// none (not made yet) or Argo CD could not be read (PreviewsStatus.ArgoCD).
	Application *PreviewApplication `json:"application,omitempty"`
}

// PreviewApplication is a preview's Application as Argo CD has it now.
type PreviewApplication struct {
	// Sync is status.sync.status and Revision status.sync.revision: whether it runs
	// the branch's head shows as Revision against PreviewStatus.Revision.
	Sync     string `json:"sync"`
	Revision string `json:"revision"`
	// Health is status.health.status, and HealthMessage what Argo CD says of it.
	Health        string `json:"health"`
	HealthMessage string `json:"healthMessage,omitempty"`
}

// argoView is what Status read of Argo CD's Applications, once for every view: by
// name, or why not.
type argoView struct {
	apps map[string]argoapps.App
	why  string
}

func (s *Server) readArgoCD() argoView {
	if s.cfg.Applications == nil {
		return argoView{why: "Argo CD is not read (no Kubernetes access)"}
	}
	list, err := s.cfg.Applications.List()
	if err != nil {
		return argoView{why: fmt.Sprintf("%v: %v", errArgoCD, err)}
	}
	apps := make(map[string]argoapps.App, len(list))
	for _, a := range list {
		apps[a.Name] = a
	}
	return argoView{apps: apps}
}

func previewsStatus(p *snapshot.Previews, now time.Time, readArgoCD func() argoView) *PreviewsStatus {
	if p == nil {
		return nil
	}
	argo := readArgoCD()
	set := p.Settings
	served := p.At(now)
	ps := &PreviewsStatus{Branches: set.Branches, Cluster: set.Cluster, Configuration: set.Configuration, Max: set.Max,
		ExpireAfter: set.ExpireAfter.String(), Domain: set.Domain,
		Served: make([]PreviewStatus, 0, len(served.Previews)), Skipped: served.Skipped}
	if ps.Skipped == nil {
		ps.Skipped = []preview.Skipped{}
	}
	for i, pv := range served.Previews {
		st := PreviewStatus{Name: pv.Name, AppName: served.Params[i].AppName, Namespace: pv.Namespace,
			Branch: pv.Branch.Name, Revision: pv.Commit, Committed: pv.Committed, Host: pv.Host}
		if a, ok := argo.apps[st.AppName]; ok {
			st.Application = &PreviewApplication{Sync: a.SyncStatus, Revision: a.SyncRevision, Health: a.Health, HealthMessage: a.HealthMessage}
		}
		ps.Served = append(ps.Served, st)
	}
	ps.ArgoCD = argo.why
	return ps
}

// ClusterStatus is one cluster of an inventory.
type ClusterStatus struct {
	Name          string `json:"name"`
	Server        string `json:"server"`
	FailureDomain string `json:"failureDomain"`
	// State is active, cordoned or down.
	State string `json:"state"`
}

// ShopSetStatus is one ShopSet as served: where it runs, what it renders and the revision
// its Application deploys.
type ShopSetStatus struct {
	Name          string   `json:"name"`
	AppName       string   `json:"appName"`
	Namespace     string   `json:"namespace"`
	Tier          string   `json:"tier"`
	Cluster       string   `json:"cluster"`
	Configuration string   `json:"configuration"`
	Components    []string `json:"components"`
	Revision      string   `json:"revision"`
	Shops         int      `json:"shops"`
	// Live, Sync and Health are what Argo CD reports of its Application, when rollouts
	// read it: the revision it is synced to, Synced or OutOfSync, its health.
	Live   string `json:"live,omitempty"`
	Sync   string `json:"sync,omitempty"`
	Health string `json:"health,omitempty"`
}

// DegradedStatus is a shop placed on fewer failure domains than it asks for.
type DegradedStatus struct {
	Host          string   `json:"host"`
	Tier          string   `json:"tier"`
	Configuration string   `json:"configuration"`
	Want          int      `json:"want"`
	ShopSets      []string `json:"shopsets"`
}

// Status reports the server's state now, with how Argo CD runs each preview.
func (s *Server) Status() Status { return s.state(true) }

// state reports the server's state now; withArgoCD reads Argo CD's Applications for
// the previews, which metrics and the ShopSet pages do not show: with 10,000
// Applications that read costs, so they do not pay it.
func (s *Server) state(withArgoCD bool) Status {
	st := Status{Rollouts: "on", Repositories: []RepoStatus{}}
	if s.cfg.Applications == nil {
		st.Rollouts = RolloutsOff
	}
	now := time.Now()
	argo := func() argoView { return argoView{why: "not read here"} }
	if withArgoCD {
		argo = sync.OnceValue(s.readArgoCD) // once, and only if a view has previews
	}
	for _, url := range s.order {
		src := s.sources[url]
		src.mu.Lock()
		rs := RepoStatus{URL: url, RefreshErrors: src.refreshErrors, LastChecked: timePtr(src.checkedAt), LastFetched: timePtr(src.fetchedAt)}
		git := src.outage()
		if git.err != nil {
			rs.LastError, rs.LastErrorAt = git.err.Error(), timePtr(src.syncErrAt)
		}
		views := src.viewsLocked()
		src.mu.Unlock()
		if src.refreshes != nil {
			rs.AppSetRefresh = src.refreshState.status(s.cfg.Refresher.URL())
		}
		for _, v := range views {
			rs.Views = append(rs.Views, v.status(now, git, s.cfg.MaxStale, argo))
		}
		st.Repositories = append(st.Repositories, rs)
	}
	return st
}

func (v *view) status(now time.Time, git outage, maxStale time.Duration, argo func() argoView) ViewStatus {
	v.mu.Lock()
	defer v.mu.Unlock()
	vs := ViewStatus{Revision: v.key.revision, Path: v.key.path, Tiers: []snapshot.Tier{},
		Shops: map[string]int{}, Degraded: []string{},
		Clusters: []ClusterStatus{}, ShopSetList: []ShopSetStatus{}, DegradedShops: []DegradedStatus{}}
	if v.err != nil {
		vs.LastError, vs.LastErrorAt = v.err.Error(), timePtr(v.errAt)
	}
	if v.good != nil {
		vs.InventoryCommit = v.good.InventoryCommit
		vs.SnapshotBuilt = timePtr(v.good.Built)
		vs.SnapshotAgeSeconds = now.Sub(v.good.Built).Seconds()
		_, vs.Stale, _ = v.serve("", git, maxStale)
		vs.ShopSets = len(v.good.Params)
		vs.Tiers = v.good.Tiers
		for name, hosts := range v.good.Placement.ByShopSet {
			vs.Shops[name] = len(hosts)
		}
		if d := v.good.Degraded(); d != nil {
			vs.Degraded = d
		}
		for _, c := range v.good.Inventory.Clusters {
			vs.Clusters = append(vs.Clusters, ClusterStatus{Name: c.Name, Server: c.Server, FailureDomain: c.FailureDomain, State: string(c.State)})
		}
		params := v.good.Params
		roll := v.rollouts.status(v.good)
		if roll != nil {
			params = roll.params
			vs.Rollouts = &RolloutStatus{DecidedAt: roll.at, Notes: roll.notes, Tiers: roll.plans}
			if roll.blind != nil {
				vs.Rollouts.ArgoCD = roll.blind.Error()
			}
			if err := v.rollouts.lastError(); err != nil {
				vs.Rollouts.LastError = err.Error()
			}
		}
		vs.Previews = previewsStatus(v.good.Previews, now, argo)
		vs.ShopSetList = make([]ShopSetStatus, 0, len(params))
		for _, p := range params {
			vs.ShopSetList = append(vs.ShopSetList, shopSetStatus(p, roll))
		}
		// Placement lists the shops in the inventory's order.
		for i, p := range v.good.Placement.Shops {
			if !p.Degraded || i >= len(v.good.Inventory.Shops) {
				continue
			}
			shop := v.good.Inventory.Shops[i]
			vs.DegradedShops = append(vs.DegradedShops, DegradedStatus{
				Host: p.Host, Tier: shop.Tier, Configuration: shop.Configuration, Want: p.Want,
				ShopSets: append([]string{}, p.ShopSets...),
			})
		}
	}
	return vs
}

// shopSetStatus is a ShopSet as served, with what Argo CD reports of it when rollouts
// read it (roll is nil otherwise).
func shopSetStatus(p snapshot.Params, roll *rolled) ShopSetStatus {
	ss := ShopSetStatus{
		Name: p.Name, AppName: p.AppName, Namespace: p.Namespace, Tier: p.Tier, Cluster: p.Cluster.Name,
		Configuration: p.Configuration, Components: p.Components, Revision: p.Revision, Shops: p.Shops,
	}
	if roll != nil {
		if a, ok := roll.apps[p.Name]; ok {
			ss.Live, ss.Health = a.Revision, a.Health
			ss.Sync = "OutOfSync"
			if a.Synced {
				ss.Sync = "Synced"
			}
		}
	}
	return ss
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Status())
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
