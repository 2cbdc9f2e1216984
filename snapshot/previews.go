package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/preview"
	"github.com/shopset/shopset/render"
)

// PoliciesDir is the directory of a checkout whose Rego policies a render is checked
// against (package policy): a preview runs only with the lowest tier's.
const PoliciesDir = "policies"

// Previews are the topic branches a snapshot may preview: every matching branch that can
// run (named, same policies as the lowest tier), newest first, each with its parameter set.
// Which of them are served depends on the time as well (expiry): At decides.
type Previews struct {
	// Settings is the inventory's previews section.
	Settings   *inventory.Previews
	Candidates []preview.Preview
	// Skipped are the matching branches that cannot run, whatever the time.
	Skipped []preview.Skipped
	// params and encoded hold each candidate's parameter set, and its JSON; index finds a
	// candidate's by name.
	params  []Params
	encoded [][]byte
	index   map[string]int
}

// Served is what previews answer at one time.
type Served struct {
	Previews []preview.Preview
	Params   []Params
	Encoded  [][]byte
	// Skipped are all matching branches not served, with why, newest first.
	Skipped []preview.Skipped
}

// At serves the newest unexpired candidates at now, up to the maximum.
func (p *Previews) At(now time.Time) Served {
	if p == nil {
		return Served{}
	}
	served, late := preview.Select(p.Settings, p.Candidates, now)
	out := Served{Previews: served, Params: make([]Params, 0, len(served)), Encoded: make([][]byte, 0, len(served))}
	for _, s := range served {
		i := p.index[s.Name]
		out.Params, out.Encoded = append(out.Params, p.params[i]), append(out.Encoded, p.encoded[i])
	}
	out.Skipped = append(append(out.Skipped, p.Skipped...), late...)
	return out
}

// RoutingAt is the snapshot's routing parameter sets at now, naming the previews served
// then whose hosts the routing table lists, and their JSON. Without previews with hosts
// they are the model's.
func (s *Snapshot) RoutingAt(now time.Time) ([]RoutingParams, [][]byte, error) {
	if s.Previews == nil || s.Previews.Settings.Domain == "" {
		return s.Routing, s.EncodedRouting, nil
	}
	served := s.Previews.At(now)
	names := make([]string, 0, len(served.Previews))
	for _, p := range served.Previews {
		names = append(names, p.Name)
	}
	out := slices.Clone(s.Routing)
	for i := range out {
		out[i].Previews, out[i].PreviewsCSV = names, strings.Join(names, ",")
	}
	enc, err := encodeAll(out)
	return out, enc, err
}

// Find returns the parameter set of branch's preview, whether or not the time serves it
// now; a matching branch that cannot run gives its Skipped entry instead.
func (p *Previews) Find(branch string) (Params, *preview.Skipped, bool) {
	if p == nil {
		return Params{}, nil, false
	}
	for i, c := range p.Candidates {
		if c.Branch.Name == branch {
			return p.params[i], nil, true
		}
	}
	for _, s := range p.Skipped {
		if s.Branch.Name == branch {
			return Params{}, &s, false
		}
	}
	return Params{}, nil, false
}

// RenderInput is what a render of the parameter set's ShopSet or preview needs: what the
// plugin reads from the Application's plugin env, which the template fills from it.
func (p Params) RenderInput() render.ShopSet {
	return render.ShopSet{
		Name: p.Name, Namespace: p.Namespace, Tier: p.Tier, Configuration: p.Configuration, Cluster: p.Cluster.Name,
		Components: p.Components, MaxMemoryLimit: p.MaxMemoryLimit, AllowClusterScoped: p.AllowClusterScoped,
	}
}

// previewFacts keeps what previews need to know of a commit (its date, its policies/
// tree), which never changes: a rebuild reads Git only for the commits it has not seen,
// so a push to a tier branch in a repository of many preview branches costs them nothing.
// It holds the commits of the latest pinning only.
type previewFacts struct {
	mu      sync.Mutex
	commits map[string]commitFacts
	// encoded keeps each preview's parameter set by name and commit.
	encoded map[previewKey]encodedParams
}

type commitFacts struct {
	committed time.Time
	policies  string // the object ID of policies/, "" when there is none
}

type previewKey struct{ name, branch, commit string }

type encodedParams struct {
	params Params
	json   []byte
}

// of returns the facts of commits, reading Git for those not known yet, and forgets the
// others.
func (f *previewFacts) of(ctx context.Context, repo *gitrepo.Repo, commits []string) (map[string]commitFacts, error) {
	f.mu.Lock()
	known := f.commits
	f.mu.Unlock()
	out := make(map[string]commitFacts, len(commits))
	var missing []string
	for _, c := range commits {
		if fc, ok := known[c]; ok {
			out[c] = fc
		} else if !slices.Contains(missing, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		dates, err := repo.CommitDates(ctx, missing)
		if err != nil {
			return nil, err
		}
		ids, err := repo.TreeIDs(ctx, PoliciesDir, missing)
		if err != nil {
			return nil, fmt.Errorf("comparing policies: %w", err)
		}
		for i, c := range missing {
			out[c] = commitFacts{committed: dates[c], policies: ids[i]}
		}
	}
	f.mu.Lock()
	f.commits = out
	f.mu.Unlock()
	return out, nil
}

// params returns the candidates' parameter sets and their JSON, encoding only those not
// encoded for the latest pinning, and forgets the others.
func (f *previewFacts) params(inv *inventory.Inventory, repoURL string, cands []preview.Preview) ([]Params, [][]byte, error) {
	f.mu.Lock()
	known := f.encoded
	f.mu.Unlock()
	next := make(map[previewKey]encodedParams, len(cands))
	params := make([]Params, len(cands))
	encoded := make([][]byte, len(cands))
	for i, c := range cands {
		key := previewKey{c.Name, c.Branch.Name, c.Commit}
		e, ok := known[key]
		if !ok {
			e.params = PreviewParams(inv, repoURL, []preview.Preview{c})[0]
			b, err := json.Marshal(e.params)
			if err != nil {
				return nil, nil, fmt.Errorf("encoding parameters: %w", err)
			}
			e.json = b
		}
		next[key] = e
		params[i], encoded[i] = e.params, e.json
	}
	f.mu.Lock()
	f.encoded = next
	f.mu.Unlock()
	return params, encoded, nil
}

// pinPreviews lists the previews of the model's inventory from the branch heads: exclude
// names branches that are never previews (the inventory's own, the tiers'), lowestPinned
// is the lowest tier's pinned revision, whose policies previews must have.
func (m *Model) pinPreviews(ctx context.Context, repo *gitrepo.Repo, heads map[string]string, exclude map[string]bool, lowestPinned string) (*Previews, error) {
	set := m.Inventory.Previews
	if set == nil {
		return nil, nil
	}
	commits := []string{lowestPinned}
	var names []string
	for name, commit := range heads {
		if !exclude[name] && set.Matches(name) {
			names = append(names, name)
			commits = append(commits, commit)
		}
	}
	facts, err := m.facts.of(ctx, repo, commits)
	if err != nil {
		return nil, fmt.Errorf("previews: %w", err)
	}
	branches := make([]preview.Branch, 0, len(names))
	for _, name := range names {
		branches = append(branches, preview.Branch{Name: name, Commit: heads[name], Committed: facts[heads[name]].committed})
	}
	cands, skipped := preview.Candidates(set, branches, exclude)
	trees := make(map[string]string, len(cands))
	for _, c := range cands {
		trees[c.Commit] = facts[c.Commit].policies
	}
	cands, differ := preview.SamePolicies(cands, trees, facts[lowestPinned].policies)
	p := &Previews{Settings: set, Candidates: cands, Skipped: append(skipped, differ...)}
	if p.params, p.encoded, err = m.facts.params(m.Inventory, m.RepoURL, cands); err != nil {
		return nil, err
	}
	p.index = make(map[string]int, len(cands))
	for i, c := range cands {
		p.index[c.Name] = i
	}
	return p, nil
}

// PreviewParams gives each preview the parameter set a ShopSet would have, on the
// previews' cluster with their configuration and components, at its branch's head.
func PreviewParams(inv *inventory.Inventory, repoURL string, previews []preview.Preview) []Params {
	set := inv.Previews
	cl, _ := inv.Cluster(set.Cluster)
	cfg, _ := inv.Configuration(set.Configuration)
	out := make([]Params, 0, len(previews))
	for _, p := range previews {
		out = append(out, Params{
			Name:                  p.Name,
			AppName:               AppNamePrefix + p.Name,
			Namespace:             p.Namespace,
			Tier:                  inventory.PreviewTier,
			TierIndex:             -1,
			Branch:                p.Branch.Name,
			Revision:              p.Commit,
			Configuration:         set.Configuration,
			MaxMemoryLimit:        cfg.MaxMemoryLimit,
			Components:            append([]string{}, set.Components...),
			ComponentsCSV:         strings.Join(set.Components, ","),
			AllowClusterScoped:    append([]string{}, inv.AllowClusterScoped...),
			AllowClusterScopedCSV: strings.Join(inv.AllowClusterScoped, ","),
			Cluster: Cluster{
				Name: cl.Name, Server: cl.Server, FailureDomain: cl.FailureDomain, State: string(cl.State),
			},
			RepoURL:     repoURL,
			SyncPolicy:  string(inventory.SyncAutomated),
			Preview:     true,
			PreviewHost: p.Host,
		})
	}
	return out
}
