package generator

import (
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/shopset/shopset/placement"
	"github.com/shopset/shopset/snapshot"
)

// maxHost is the longest DNS name.
const maxHost = 253

// ShopLookup is GET /api/v1/shops/{host}: where one shop is served, in every inventory
// view that places it. Its ShopSets come best first, in the routing table's order (the
// order a proxy tries them in).
type ShopLookup struct {
	Host  string       `json:"host"`
	Views []ShopServed `json:"views"`
}

// ShopServed is the shop in one view.
type ShopServed struct {
	RepoURL       string `json:"repoURL"`
	Revision      string `json:"revision"`
	Path          string `json:"path"`
	Tier          string `json:"tier"`
	Configuration string `json:"configuration"`
	// Want is the shop's redundancy; Degraded is set when fewer failure domains serve it.
	Want     int             `json:"want"`
	Degraded bool            `json:"degraded"`
	ShopSets []ShopSetStatus `json:"shopsets"`
}

// LookupShop finds host in every view's snapshot. Hosts compare as DNS names do, without
// regard to case or a trailing dot.
func (s *Server) LookupShop(host string) ShopLookup {
	host = normalizeHost(host)
	out := ShopLookup{Host: host, Views: []ShopServed{}}
	for _, url := range s.order {
		for _, v := range s.sources[url].viewList() {
			if served, ok := v.lookupShop(host); ok {
				served.RepoURL = url
				out.Views = append(out.Views, served)
			}
		}
	}
	return out
}

func (v *view) lookupShop(host string) (ShopServed, bool) {
	v.mu.Lock()
	good := v.good
	v.mu.Unlock()
	if good == nil {
		return ShopServed{}, false
	}
	// Placement lists the shops in the inventory's order.
	i := slices.IndexFunc(good.Placement.Shops, func(p placement.Placement) bool { return normalizeHost(p.Host) == host })
	if i < 0 {
		return ShopServed{}, false
	}
	p := good.Placement.Shops[i]
	served := ShopServed{Revision: v.key.revision, Path: v.key.path, Want: p.Want, Degraded: p.Degraded,
		ShopSets: []ShopSetStatus{}}
	if i < len(good.Inventory.Shops) {
		shop := good.Inventory.Shops[i]
		served.Tier, served.Configuration = shop.Tier, shop.Configuration
	}
	params := good.Params
	roll := v.rollouts.status(good)
	if roll != nil {
		params = roll.params
	}
	for _, name := range p.ShopSets {
		if j := slices.IndexFunc(params, func(q snapshot.Params) bool { return q.Name == name }); j >= 0 {
			served.ShopSets = append(served.ShopSets, shopSetStatus(params[j], roll))
		}
	}
	return served, true
}

func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// lookupShop serves GET /api/v1/shops/{host}; 404 when no view places the shop.
func (s *Server) lookupShop(w http.ResponseWriter, r *http.Request) {
	host := chi.URLParam(r, "host")
	if len(host) > maxHost {
		writeError(w, s.log, badRequest("host longer than %d characters", maxHost))
		return
	}
	res := s.LookupShop(host)
	code := http.StatusOK
	if len(res.Views) == 0 {
		code = http.StatusNotFound
	}
	writeJSON(w, code, res)
}
