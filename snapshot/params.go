package snapshot

import (
	"strings"

	"github.com/shopset/shopset/inventory"
)

// Params is one ShopSet's parameter set: everything an ApplicationSet template needs for
// its Application, nothing it must compute. The JSON names are the template's names
// ({{.name}}, {{.cluster.server}}, ...), documented in the README.
type Params struct {
	Name          string   `json:"name" yaml:"name"`
	AppName       string   `json:"appName" yaml:"appName"`
	Namespace     string   `json:"namespace" yaml:"namespace"`
	Tier          string   `json:"tier" yaml:"tier"`
	TierIndex     int      `json:"tierIndex" yaml:"tierIndex"`
	Branch        string   `json:"branch" yaml:"branch"`
	Revision      string   `json:"revision" yaml:"revision"`
	Configuration string   `json:"configuration" yaml:"configuration"`
	Components    []string `json:"components" yaml:"components"`
	ComponentsCSV string   `json:"componentsCSV" yaml:"componentsCSV"`
	Cluster       Cluster  `json:"cluster" yaml:"cluster"`
	RepoURL       string   `json:"repoURL" yaml:"repoURL"`
	SyncPolicy    string   `json:"syncPolicy" yaml:"syncPolicy"`
}

// Cluster is the ShopSet's destination.
type Cluster struct {
	Name          string `json:"name" yaml:"name"`
	Server        string `json:"server" yaml:"server"`
	FailureDomain string `json:"failureDomain" yaml:"failureDomain"`
	State         string `json:"state" yaml:"state"`
}

// AppNamePrefix makes a ShopSet's Application name: shopset-<name>.
const AppNamePrefix = "shopset-"

// Parameters lists the parameter sets of inv's ShopSets sorted by tier (lowest first),
// cluster and name. revisions maps a tier's name to the revision its Applications deploy
// (the pinned commit); a tier without one gets an empty revision.
func Parameters(inv *inventory.Inventory, repoURL string, revisions map[string]string) []Params {
	out := make([]Params, 0, len(inv.ShopSets))
	for _, s := range inv.Sorted() {
		tier, idx, _ := inv.Tier(s.Tier)
		cl, _ := inv.Cluster(s.Cluster)
		out = append(out, Params{
			Name:          s.Name,
			AppName:       AppNamePrefix + s.Name,
			Namespace:     s.Namespace,
			Tier:          s.Tier,
			TierIndex:     idx,
			Branch:        tier.Branch,
			Revision:      revisions[s.Tier],
			Configuration: s.Configuration,
			Components:    append([]string{}, s.Components...),
			ComponentsCSV: strings.Join(s.Components, ","),
			Cluster: Cluster{
				Name: cl.Name, Server: cl.Server, FailureDomain: cl.FailureDomain, State: string(cl.State),
			},
			RepoURL:    repoURL,
			SyncPolicy: string(tier.SyncPolicy),
		})
	}
	return out
}
