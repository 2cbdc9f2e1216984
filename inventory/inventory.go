package inventory

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Where an inventory is by convention: the file at the repository's root on the default
// branch. Every default of shopctl and of the generator comes from these.
const (
	DefaultPath     = "shopsets.yaml"
	DefaultRevision = "main"
)

// APIVersion and Kind are the only values the inventory header may carry;
// anything else is a file this version does not understand.
const (
	APIVersion = "shopset.io/v1alpha1"
	Kind       = "Inventory"
)

// SyncPolicy says whether Argo CD syncs a tier's applications on its own.
type SyncPolicy string

const (
	SyncAutomated SyncPolicy = "automated"
	SyncManual    SyncPolicy = "manual"
)

// ClusterState says whether new work may be placed on a cluster.
type ClusterState string

const (
	StateActive   ClusterState = "active"
	StateCordoned ClusterState = "cordoned"
	StateDown     ClusterState = "down"
)

// Position is where something was written in the inventory file (1-based).
type Position struct {
	Line, Column int
}

// Tier is one promotion stage; Inventory.Tiers lists them lowest first.
type Tier struct {
	Name       string
	Branch     string
	SyncPolicy SyncPolicy
	// Rollout is how the tier takes a new revision; nil when the tier has no rollout
	// section: every ShopSet gets the pinned revision at once.
	Rollout *Rollout
	Pos     Position
}

// WavesByFailureDomain is the only wave strategy: one failure domain per wave.
const WavesByFailureDomain = "failureDomain"

// Rollout is a tier's rollout settings.
type Rollout struct {
	// Waves is the wave strategy (WavesByFailureDomain).
	Waves string
	// Soak is how long a wave runs a revision Synced and Healthy before the next is
	// released (default 5m); HealthTimeout how long a ShopSet synced to it may stay
	// not Healthy before it halts the rollout (default 10m).
	Soak, HealthTimeout time.Duration
	// Rollback gives every ShopSet of a halted rollout back the revision it ran before.
	Rollback bool
	Pos      Position
}

// Default rollout timings.
const (
	DefaultSoak          = 5 * time.Minute
	DefaultHealthTimeout = 10 * time.Minute
)

// Freeze keeps tiers' revisions where they are, for a reason, until a time or until
// it is taken out of the inventory.
type Freeze struct {
	Tiers  []string
	Reason string
	// Until is when the freeze ends; zero: when it is removed.
	Until time.Time
	Pos   Position
}

// Active reports whether the freeze holds at now.
func (f Freeze) Active(now time.Time) bool { return f.Until.IsZero() || now.Before(f.Until) }

// FreezeOf returns the first freeze that holds tier at now.
func (inv *Inventory) FreezeOf(tier string, now time.Time) (Freeze, bool) {
	for _, f := range inv.Freezes {
		if f.Active(now) && slices.Contains(f.Tiers, tier) {
			return f, true
		}
	}
	return Freeze{}, false
}

// Cluster is a Kubernetes cluster registered in Argo CD.
type Cluster struct {
	Name          string
	Server        string
	FailureDomain string // defaults to Name
	State         ClusterState
	Pos           Position
}

// Configuration is a named set of settings a ShopSet or shop runs with.
type Configuration struct {
	Name        string
	Description string
	// MaxMemoryLimit is the largest memory limit a container of a ShopSet with this
	// configuration may ask for: a Kubernetes quantity as written (10Gi), or empty when
	// the inventory sets none. Policies read it as data.shopset.maxMemoryLimit.
	MaxMemoryLimit string
	Pos            Position
}

// ShopSet is one copy of the e-commerce stack.
type ShopSet struct {
	Name          string
	Tier          string
	Configuration string
	Cluster       string
	Namespace     string // defaults to DefaultNamespace(Name)
	Components    []string
	Pos           Position
}

// Placement holds the defaults for spreading shops over ShopSets.
type Placement struct {
	Redundancy int // defaults to 2
}

// Shop is one storefront, identified by its host name.
type Shop struct {
	Host          string
	Tier          string
	Configuration string // defaults to "production" when that configuration exists
	Redundancy    int    // 0 in the file means Placement.Redundancy, which Parse fills in
	Pos           Position
}

// Inventory is a parsed and validated shopsets.yaml.
type Inventory struct {
	File           string // the name errors use
	APIVersion     string
	Kind           string
	Tiers          []Tier // lowest first
	Clusters       []Cluster
	Configurations []Configuration
	ShopSets       []ShopSet
	Placement      Placement
	Shops          []Shop
	// ShopsFile names the file next to the inventory that lists the shops,
	// when they are not inline.
	ShopsFile string
	// AllowClusterScoped lists the kinds (Namespace, ClusterRole, ...) a ShopSet may
	// render as cluster-scoped objects; a render refuses any other. Empty by default:
	// a ShopSet renders namespaced objects only.
	AllowClusterScoped []string
	// Freezes hold tiers where they are (see Freeze).
	Freezes []Freeze
	// Previews runs topic branches as preview ShopSets; nil when the inventory has no
	// previews section.
	Previews *Previews
}

// Previews says which branches run as preview ShopSets, and where. A preview is not
// tiered or pinned: it runs its branch's head, on one cluster, with one configuration.
type Previews struct {
	// Branches is the pattern of the branches previewed (path.Match syntax, so '*' stops
	// at '/'): preview/*.
	Branches      string
	Cluster       string
	Configuration string
	Components    []string
	// Max is how many branches are previewed at once, the newest first.
	Max int
	// ExpireAfter is how long a branch with no new commit stays previewed.
	ExpireAfter time.Duration
	// Domain, when set, gives each preview a host <name>.<Domain> in the routing table.
	Domain string
	Pos    Position
}

// Preview defaults and bounds.
const (
	DefaultPreviewMax         = 10
	MaxPreviewMax             = 200
	DefaultPreviewExpireAfter = 14 * 24 * time.Hour
	MaxPreviewExpireAfter     = 90 * 24 * time.Hour
	// PreviewTier is the tier name a preview's parameter set and labels carry; no tier of
	// an inventory with previews may be called so.
	PreviewTier = "preview"
	// PreviewNamePrefix starts every preview's name; no ShopSet of an inventory with
	// previews may start with it.
	PreviewNamePrefix = "pr-"
)

// maxInputSize bounds what Load reads and Parse accepts; real inventories
// are a few hundred kilobytes, so anything near this is a mistake or an attack.
const maxInputSize = 64 << 20

// Load reads the inventory at path and parses it; errors in the file name it
// by path as given.
func Load(path string) (*Inventory, error) {
	f, err := os.Open(path)
	if err != nil {
		// *fs.PathError already names the file.
		return nil, fmt.Errorf("load inventory: %w", err)
	}
	defer f.Close()
	// Read one byte past the limit so Parse can tell an oversized file
	// apart from one exactly at the limit without reading all of it.
	data, err := io.ReadAll(io.LimitReader(f, maxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("load inventory: %w", err)
	}
	dir := filepath.Dir(path)
	return ParseFiles(path, data, func(name string) ([]byte, error) {
		return readLimited(filepath.Join(dir, name))
	})
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxInputSize+1))
}

// DefaultNamespace is the namespace a ShopSet gets when the inventory does
// not name one.
func DefaultNamespace(shopset string) string {
	return "shopset-" + shopset
}

// Branches lists the tiers' branches, lowest tier first.
func (inv *Inventory) Branches() []string {
	out := make([]string, 0, len(inv.Tiers))
	for _, t := range inv.Tiers {
		out = append(out, t.Branch)
	}
	return out
}

// ShopSet returns the ShopSet called name.
func (inv *Inventory) ShopSet(name string) (ShopSet, bool) {
	if inv == nil {
		return ShopSet{}, false
	}
	for _, s := range inv.ShopSets {
		if s.Name == name {
			return s, true
		}
	}
	return ShopSet{}, false
}

// Tier returns the tier called name and its index in promotion order
// (0 is the lowest tier), or -1 when there is no such tier.
func (inv *Inventory) Tier(name string) (Tier, int, bool) {
	if inv == nil {
		return Tier{}, -1, false
	}
	for i, t := range inv.Tiers {
		if t.Name == name {
			return t, i, true
		}
	}
	return Tier{}, -1, false
}

// Cluster returns the cluster called name.
func (inv *Inventory) Cluster(name string) (Cluster, bool) {
	if inv == nil {
		return Cluster{}, false
	}
	for _, c := range inv.Clusters {
		if c.Name == name {
			return c, true
		}
	}
	return Cluster{}, false
}

// Configuration returns the configuration called name.
func (inv *Inventory) Configuration(name string) (Configuration, bool) {
	if inv == nil {
		return Configuration{}, false
	}
	for _, c := range inv.Configurations {
		if c.Name == name {
			return c, true
		}
	}
	return Configuration{}, false
}

// MaxMemoryLimit returns the maximum memory limit of the ShopSet's configuration, or ""
// when its configuration sets none.
func (inv *Inventory) MaxMemoryLimit(s ShopSet) string {
	c, _ := inv.Configuration(s.Configuration)
	return c.MaxMemoryLimit
}

// Sorted returns the ShopSets in rollout order: by tier (lowest first), then
// cluster name, then ShopSet name. The inventory's own slice is left as is.
func (inv *Inventory) Sorted() []ShopSet {
	if inv == nil {
		return nil
	}
	rank := make(map[string]int, len(inv.Tiers))
	for i, t := range inv.Tiers {
		if _, dup := rank[t.Name]; !dup {
			rank[t.Name] = i
		}
	}
	tierIndex := func(name string) int {
		if i, ok := rank[name]; ok {
			return i
		}
		return len(inv.Tiers) // hand-built inventories may name unknown tiers: sort them last
	}
	out := slices.Clone(inv.ShopSets)
	slices.SortStableFunc(out, func(a, b ShopSet) int {
		return cmp.Or(
			cmp.Compare(tierIndex(a.Tier), tierIndex(b.Tier)),
			cmp.Compare(a.Cluster, b.Cluster),
			cmp.Compare(a.Name, b.Name),
		)
	})
	return out
}
