package generator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/shopset/shopset/snapshot"
)

// request is the body Argo CD's plugin-generator client sends.
type request struct {
	ApplicationSetName string `json:"applicationSetName"`
	Input              struct {
		Parameters map[string]json.RawMessage `json:"parameters"`
	} `json:"input"`
}

// query is a decoded request: which inventory, and which of its ShopSets.
type query struct {
	repoURL, revision, path string
	kind                    string
	filters                 map[string][]string // tier, cluster, configuration
}

// Kinds of parameter sets a request asks for.
const (
	KindShopSets = "shopsets" // one per ShopSet (the default)
	KindRouting  = "routing"  // one per cluster, for the routing table's Applications
	KindPreviews = "previews" // one per previewed topic branch
)

// Input parameter names, as an ApplicationSet's generator.plugin.input.parameters sets them.
const (
	ParamRepoURL       = "repoURL"
	ParamRevision      = "revision"
	ParamPath          = "path"
	ParamTier          = "tier"
	ParamCluster       = "cluster"
	ParamConfiguration = "configuration"
	ParamKind          = "kind"
)

var filterParams = []string{ParamTier, ParamCluster, ParamConfiguration}

// decodeRequest reads a request; what it does not name comes from defaults (the
// server's --default-revision and --default-path).
func decodeRequest(body []byte, defaultRepo string, defaults viewKey) (query, error) {
	var req request
	// Unknown top-level fields are tolerated: newer Argo CD versions may send more.
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return query{}, badRequest("malformed request body: %v", err)
	}
	// One JSON value and nothing after it: a body with more is not what Argo CD sends.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return query{}, badRequest("malformed request body: data after the JSON object")
	}
	q := query{repoURL: defaultRepo, revision: defaults.revision, path: defaults.path, kind: KindShopSets, filters: map[string][]string{}}
	for name, raw := range req.Input.Parameters {
		switch name {
		case ParamRepoURL, ParamRevision, ParamPath, ParamKind:
			var s string
			if err := json.Unmarshal(raw, &s); err != nil || s == "" {
				return query{}, badRequest("input parameter %q must be a non-empty string", name)
			}
			switch name {
			case ParamRepoURL:
				q.repoURL = s
			case ParamRevision:
				q.revision = s
			case ParamPath:
				q.path = s
			case ParamKind:
				if s != KindShopSets && s != KindRouting && s != KindPreviews {
					return query{}, badRequest("input parameter %q must be %q, %q or %q", name, KindShopSets, KindRouting, KindPreviews)
				}
				q.kind = s
			}
		case ParamTier, ParamCluster, ParamConfiguration:
			values, err := stringOrList(raw)
			if err != nil {
				return query{}, badRequest("input parameter %q: %v", name, err)
			}
			q.filters[name] = values
		default:
			return query{}, badRequest("unknown input parameter %q (known: %s)", name,
				strings.Join([]string{ParamRepoURL, ParamRevision, ParamPath, ParamKind, ParamTier, ParamCluster, ParamConfiguration}, ", "))
		}
	}
	if q.repoURL == "" {
		return query{}, badRequest("input parameter %q is required", ParamRepoURL)
	}
	if clean := path.Clean(q.path); clean != q.path || path.IsAbs(q.path) || strings.HasPrefix(q.path, "../") ||
		q.path == ".." || q.path == "." {
		return query{}, badRequest("input parameter %q must be a clean relative path inside the repository", ParamPath)
	}
	if q.kind == KindRouting && (len(q.filters[ParamTier]) > 0 || len(q.filters[ParamConfiguration]) > 0) {
		return query{}, badRequest("routing parameter sets are per cluster: only the %q filter applies", ParamCluster)
	}
	if q.kind == KindPreviews && len(q.filters) > 0 {
		return query{}, badRequest("previews run on the inventory's previews cluster with its configuration: no filter applies")
	}
	if strings.HasPrefix(q.revision, "-") {
		return query{}, badRequest("input parameter %q must not start with '-'", ParamRevision)
	}
	return q, nil
}

// stringOrList accepts "a" or ["a", "b"]: one value or several.
func stringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		if one == "" {
			return nil, fmt.Errorf("must not be empty")
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("must be a string or a list of strings")
	}
	if len(many) == 0 || slices.Contains(many, "") {
		return nil, fmt.Errorf("must not be empty")
	}
	return many, nil
}

// selectParams returns the indexes of the parameter sets that pass the filters. Every
// filter value must name something in the inventory: a typo would otherwise select
// nothing, and the ApplicationSet would delete the Applications it used to select.
func selectParams(s *snapshot.Snapshot, kind string, filters map[string][]string) ([]int, error) {
	known := map[string]func(string) bool{
		ParamTier:          func(v string) bool { _, _, ok := s.Inventory.Tier(v); return ok },
		ParamCluster:       func(v string) bool { _, ok := s.Inventory.Cluster(v); return ok },
		ParamConfiguration: func(v string) bool { _, ok := s.Inventory.Configuration(v); return ok },
	}
	for _, name := range filterParams {
		for _, v := range filters[name] {
			if !known[name](v) {
				return nil, badRequest("input parameter %q: %q is not in %s at %s", name, v, s.Path, s.Revision)
			}
		}
	}
	if kind == KindPreviews {
		return nil, nil // snapshot.Previews.At decides
	}
	match := func(values []string, v string) bool { return len(values) == 0 || slices.Contains(values, v) }
	tiers, clusters, configurations := filters[ParamTier], filters[ParamCluster], filters[ParamConfiguration]
	if kind == KindRouting {
		out := make([]int, 0, len(s.Routing))
		for i := range s.Routing {
			if match(clusters, s.Routing[i].Cluster.Name) {
				out = append(out, i)
			}
		}
		return out, nil
	}
	var out []int
	for _, g := range s.Groups {
		if !match(tiers, g.Tier) || !match(clusters, g.Cluster) {
			continue
		}
		for i := g.Start; i < g.End; i++ {
			if match(configurations, s.Params[i].Configuration) {
				out = append(out, i)
			}
		}
	}
	return out, nil
}
