package snapshot

import (
	"strings"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/placement"
	"github.com/shopset/shopset/routing"
)

// Params is one ShopSet's parameter set: everything an ApplicationSet template needs for
// its Application, nothing it must compute. The JSON names are the template's names
// ({{.name}}, {{.cluster.server}}, ...), documented in the README.
type Params struct {
	Name           string   `json:"name" yaml:"name"`
	AppName        string   `json:"appName" yaml:"appName"`
	Namespace      string   `json:"namespace" yaml:"namespace"`
	Tier           string   `json:"tier" yaml:"tier"`
	TierIndex      int      `json:"tierIndex" yaml:"tierIndex"`
	Branch         string   `json:"branch" yaml:"branch"`
	Revision       string   `json:"revision" yaml:"revision"`
	Configuration  string   `json:"configuration" yaml:"configuration"`
	MaxMemoryLimit string   `json:"maxMemoryLimit" yaml:"maxMemoryLimit"`
	Components     []string `json:"components" yaml:"components"`
	ComponentsCSV  string   `json:"componentsCSV" yaml:"componentsCSV"`
	// AllowClusterScoped is the inventory's allowClusterScoped, the same for every
	// ShopSet: the kinds its render may yield cluster-scoped. The CSV form is for the
	// plugin env SHOPSET_ALLOW_CLUSTER_SCOPED.
	AllowClusterScoped    []string `json:"allowClusterScoped" yaml:"allowClusterScoped"`
	AllowClusterScopedCSV string   `json:"allowClusterScopedCSV" yaml:"allowClusterScopedCSV"`
	Cluster               Cluster  `json:"cluster" yaml:"cluster"`
	RepoURL               string   `json:"repoURL" yaml:"repoURL"`
	SyncPolicy            string   `json:"syncPolicy" yaml:"syncPolicy"`
	// Shops is how many shops placement puts on the ShopSet (the list is the routing
	// table's, not the ShopSet's).
	Shops int `json:"shops" yaml:"shops"`
	// Preview is true for a preview of a topic branch (kind previews), whose Tier is
	// inventory.PreviewTier, Branch the topic branch and Revision its head; PreviewHost is
	// its host under previews.domain, or "". One template serves both kinds.
	Preview     bool   `json:"preview" yaml:"preview"`
	PreviewHost string `json:"previewHost" yaml:"previewHost"`
}

// RoutingParams is the parameter set of one cluster's routing Application: it deploys
// the routing table, rendered from the inventory commit, onto that cluster.
type RoutingParams struct {
	Name      string  `json:"name" yaml:"name"`
	AppName   string  `json:"appName" yaml:"appName"`
	Namespace string  `json:"namespace" yaml:"namespace"`
	Cluster   Cluster `json:"cluster" yaml:"cluster"`
	RepoURL   string  `json:"repoURL" yaml:"repoURL"`
	// Revision is the inventory commit: the routing Application renders from main.
	Revision string `json:"revision" yaml:"revision"`
	// Path is the inventory's path in the repository, for the plugin.
	Path     string `json:"path" yaml:"path"`
	Shops    int    `json:"shops" yaml:"shops"`
	Degraded int    `json:"degraded" yaml:"degraded"`
	// Previews names the previews served now, whose hosts the routing table lists
	// (PreviewsCSV for the plugin env SHOPSET_PREVIEWS): empty without previews.domain.
	Previews    []string `json:"previews" yaml:"previews"`
	PreviewsCSV string   `json:"previewsCSV" yaml:"previewsCSV"`
}

// RoutingAppPrefix makes a routing Application's name: shopset-routing-<cluster>.
const RoutingAppPrefix = argoapps.RoutingNamePrefix

// Routing lists one routing parameter set per cluster, in inventory order.
func Routing(inv *inventory.Inventory, placed placement.Result, repoURL, revision, path string) []RoutingParams {
	degraded := 0
	for _, p := range placed.Shops {
		if p.Degraded {
			degraded++
		}
	}
	out := make([]RoutingParams, 0, len(inv.Clusters))
	for _, c := range inv.Clusters {
		out = append(out, RoutingParams{
			Name: "routing-" + c.Name, AppName: RoutingAppPrefix + c.Name, Namespace: routing.DefaultNamespace,
			Cluster: Cluster{Name: c.Name, Server: c.Server, FailureDomain: c.FailureDomain, State: string(c.State)},
			RepoURL: repoURL, Revision: revision, Path: path,
			Shops: len(placed.Shops), Degraded: degraded, Previews: []string{},
		})
	}
	return out
}

// Cluster is the ShopSet's destination.
type Cluster struct {
	Name          string `json:"name" yaml:"name"`
	Server        string `json:"server" yaml:"server"`
	FailureDomain string `json:"failureDomain" yaml:"failureDomain"`
	State         string `json:"state" yaml:"state"`
}

// AppNamePrefix makes a ShopSet's Application name: shopset-<name>.
const AppNamePrefix = argoapps.NamePrefix

// Parameters lists the parameter sets of inv's ShopSets sorted by tier (lowest first),
// cluster and name. revisions maps a tier's name to the revision its Applications deploy
// (the pinned commit); a tier without one gets an empty revision. placed is the
// placement of inv's shops (routing.Place).
func Parameters(inv *inventory.Inventory, placed placement.Result, repoURL string, revisions map[string]string) []Params {
	out := make([]Params, 0, len(inv.ShopSets))
	for _, s := range inv.Sorted() {
		tier, idx, _ := inv.Tier(s.Tier)
		cl, _ := inv.Cluster(s.Cluster)
		out = append(out, Params{
			Name:                  s.Name,
			AppName:               AppNamePrefix + s.Name,
			Namespace:             s.Namespace,
			Tier:                  s.Tier,
			TierIndex:             idx,
			Branch:                tier.Branch,
			Revision:              revisions[s.Tier],
			Configuration:         s.Configuration,
			MaxMemoryLimit:        inv.MaxMemoryLimit(s),
			Components:            append([]string{}, s.Components...),
			ComponentsCSV:         strings.Join(s.Components, ","),
			AllowClusterScoped:    append([]string{}, inv.AllowClusterScoped...),
			AllowClusterScopedCSV: strings.Join(inv.AllowClusterScoped, ","),
			Cluster: Cluster{
				Name: cl.Name, Server: cl.Server, FailureDomain: cl.FailureDomain, State: string(cl.State),
			},
			RepoURL:    repoURL,
			SyncPolicy: string(tier.SyncPolicy),
			Shops:      len(placed.ByShopSet[s.Name]),
		})
	}
	return out
}
