package routing

import (
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/placement"
)

// APIVersion and Kind identify a routing table document.
const (
	APIVersion = "shopset.io/v1alpha1"
	Kind       = "RoutingTable"
)

// ConfigMap defaults.
const (
	DefaultName      = "shopset-routing"
	DefaultNamespace = "shopset-routing"
	DataKey          = "routing.json"
)

// Entry is one ShopSet serving a shop.
type Entry struct {
	ShopSet   string `json:"shopset"`
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
}

// Table is the routing table.
type Table struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Shops      map[string][]Entry `json:"shops"`
	Degraded   []string           `json:"degraded"`
	// Previews maps each preview's host (<name>.<previews.domain>) to the preview, apart
	// from the shops: a proxy routes a reviewer there, never a shop.
	Previews map[string]Entry `json:"previews,omitempty"`
}

// Place places inv's shops. A ShopSet on a cluster that is not active gets no shops.
func Place(inv *inventory.Inventory) placement.Result {
	state := map[string]inventory.Cluster{}
	for _, c := range inv.Clusters {
		state[c.Name] = c
	}
	shopsets := make([]placement.ShopSet, 0, len(inv.ShopSets))
	for _, s := range inv.ShopSets {
		c := state[s.Cluster]
		shopsets = append(shopsets, placement.ShopSet{
			Name: s.Name, Tier: s.Tier, Configuration: s.Configuration, Cluster: s.Cluster,
			FailureDomain: c.FailureDomain, Active: c.State == inventory.StateActive,
		})
	}
	shops := make([]placement.Shop, 0, len(inv.Shops))
	for _, s := range inv.Shops {
		shops = append(shops, placement.Shop{Host: s.Host, Tier: s.Tier, Configuration: s.Configuration, Redundancy: s.Redundancy})
	}
	return placement.Place(shopsets, shops)
}

// Build turns a placement of inv into the routing table.
func Build(inv *inventory.Inventory, placed placement.Result) Table {
	byName := map[string]inventory.ShopSet{}
	for _, s := range inv.ShopSets {
		byName[s.Name] = s
	}
	t := Table{APIVersion: APIVersion, Kind: Kind, Shops: map[string][]Entry{}, Degraded: []string{}}
	for _, p := range placed.Shops {
		entries := make([]Entry, 0, len(p.ShopSets))
		for _, name := range p.ShopSets {
			s := byName[name]
			entries = append(entries, Entry{ShopSet: s.Name, Cluster: s.Cluster, Namespace: s.Namespace})
		}
		t.Shops[p.Host] = entries
		if p.Degraded {
			t.Degraded = append(t.Degraded, p.Host)
		}
	}
	return t
}

// AddPreviews lists the named previews (ShopSet names pr-..., as the generator serves them
// now) under their hosts. An inventory without previews.domain gives previews no hosts;
// names that are not previews' are an error.
func AddPreviews(t *Table, inv *inventory.Inventory, names []string) error {
	if len(names) == 0 {
		return nil
	}
	set := inv.Previews
	if set == nil {
		return fmt.Errorf("routing table: previews %s named, but %s has no previews section", strings.Join(names, ", "), inv.File)
	}
	if len(names) > inventory.MaxPreviewMax {
		return fmt.Errorf("routing table: %d previews named, more than the %d any inventory serves", len(names), inventory.MaxPreviewMax)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, inventory.PreviewNamePrefix) || inventory.ValidDNSLabel(inventory.DefaultNamespace(n)) != nil {
			return fmt.Errorf("routing table: %q is not a preview's name (%s<DNS label>)", n, inventory.PreviewNamePrefix)
		}
	}
	if set.Domain == "" {
		return nil
	}
	t.Previews = make(map[string]Entry, len(names))
	for _, n := range names {
		t.Previews[n+"."+set.Domain] = Entry{ShopSet: n, Cluster: set.Cluster, Namespace: inventory.DefaultNamespace(n)}
	}
	return nil
}

// ConfigMap renders the table as a ConfigMap manifest. The bytes are deterministic:
// JSON object keys are sorted, and degraded hosts are in inventory order.
func ConfigMap(t Table, name, namespace string, labels map[string]string) ([]byte, error) {
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the routing table: %w", err)
	}
	cm := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": name, "namespace": namespace, "labels": labels},
		"data":       map[string]string{DataKey: string(data) + "\n"},
	}
	out, err := yaml.Marshal(cm)
	if err != nil {
		return nil, fmt.Errorf("encoding the routing ConfigMap: %w", err)
	}
	return out, nil
}

// Render places inv's shops and renders the routing ConfigMap for cluster (which must be
// one of inv's clusters) into namespace, with the hosts of the previews named: what the
// plugin prints for a routing Application and `shopctl render --routing` prints for a
// person.
func Render(inv *inventory.Inventory, cluster, namespace string, previews []string) ([]byte, error) {
	if _, ok := inv.Cluster(cluster); !ok {
		return nil, fmt.Errorf("routing table: cluster %q is not in %s", cluster, inv.File)
	}
	if namespace == "" {
		namespace = DefaultNamespace
	}
	t := Build(inv, Place(inv))
	if err := AddPreviews(&t, inv, previews); err != nil {
		return nil, err
	}
	return ConfigMap(t, DefaultName, namespace, map[string]string{
		"app.kubernetes.io/name":    DefaultName,
		"app.kubernetes.io/part-of": "shopset",
		"shopset.io/cluster":        cluster,
	})
}
