package snapshot

import (
	"context"
	"fmt"
	"slices"
	"strings"
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

// pinPreviews lists the previews of the model's inventory from the mirror's branches:
// exclude names branches that are never previews (the inventory's own), lowestPinned is
// the lowest tier's pinned revision, whose policies previews must have.
func (m *Model) pinPreviews(ctx context.Context, repo *gitrepo.Repo, exclude map[string]bool, lowestPinned string) (*Previews, error) {
	set := m.Inventory.Previews
	if set == nil {
		return nil, nil
	}
	heads, err := repo.BranchesUnder(ctx, set.RefDir())
	if err != nil {
		return nil, fmt.Errorf("previews: %w", err)
	}
	branches := make([]preview.Branch, 0, len(heads))
	for _, h := range heads {
		branches = append(branches, preview.Branch{Name: h.Name, Commit: h.Commit, Committed: h.Committed})
	}
	cands, skipped := preview.Candidates(set, branches, exclude)
	commits := make([]string, 0, len(cands)+1)
	commits = append(commits, lowestPinned)
	for _, c := range cands {
		commits = append(commits, c.Commit)
	}
	ids, err := repo.TreeIDs(ctx, PoliciesDir, commits)
	if err != nil {
		return nil, fmt.Errorf("previews: comparing policies: %w", err)
	}
	trees := make(map[string]string, len(cands))
	for i, c := range cands {
		trees[c.Commit] = ids[i+1]
	}
	cands, differ := preview.SamePolicies(cands, trees, ids[0])
	p := &Previews{Settings: set, Candidates: cands, Skipped: append(skipped, differ...)}
	p.params = PreviewParams(m.Inventory, m.RepoURL, cands)
	p.index = make(map[string]int, len(cands))
	for i, c := range cands {
		p.index[c.Name] = i
	}
	if p.encoded, err = encodeAll(p.params); err != nil {
		return nil, err
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
