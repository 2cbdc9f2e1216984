package review

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/placement"
	"github.com/shopset/shopset/render"
	"github.com/shopset/shopset/routing"
	"github.com/shopset/shopset/snapshot"
)

// Side is one side of a comparison: what the generator would serve.
type Side struct {
	// Label names the side for people, e.g. the revision as given.
	Label string
	// Path and InventoryCommit say where the inventory was read.
	Path            string
	InventoryCommit string
	Inventory       *inventory.Inventory
	// placed is the model's placement of Inventory's shops, computed once; it counts
	// only while Inventory is the model's (a Side changed by hand is placed anew).
	placed *snapshot.Model
	// Revisions maps each tier's name to the commit its ShopSets render from.
	Revisions map[string]string
}

// place is the side's placement: its model's, or computed for a Side built or changed
// by hand.
func (s Side) place() placement.Result {
	if s.placed != nil && s.placed.Inventory == s.Inventory {
		return s.placed.Placement
	}
	return routing.Place(s.Inventory)
}

// FromSnapshot is the side a snapshot serves: every tier at its pinned revision.
func FromSnapshot(label string, snap *snapshot.Snapshot) Side {
	s := Side{
		Label: label, Path: snap.Path, InventoryCommit: snap.InventoryCommit, Inventory: snap.Inventory,
		placed: snap.Model, Revisions: map[string]string{},
	}
	for _, t := range snap.Tiers {
		s.Revisions[t.Name] = t.Pinned
	}
	return s
}

// InventorySide reads the inventory at revision and pins the tiers from the branch heads,
// as the generator would serve that inventory: its model and the pinned revisions, with
// none of the held or waiting commits a snapshot lists.
func InventorySide(ctx context.Context, repo *gitrepo.Repo, revision, path string) (Side, error) {
	m, err := snapshot.LoadModelAt(ctx, repo, repo.URL(), revision, path)
	if err != nil {
		return Side{}, err
	}
	_, pinned, err := m.PinnedRevisions(ctx, repo)
	if err != nil {
		return Side{}, err
	}
	s := Side{Label: revision, Path: path, InventoryCommit: m.InventoryCommit, Inventory: m.Inventory,
		placed: m, Revisions: map[string]string{}}
	for i, t := range m.Inventory.Tiers {
		s.Revisions[t.Name] = pinned[i]
	}
	return s, nil
}

// WithTier is snap's side with one tier rendering revision (a change proposed to that
// tier's branch) instead of its pinned commit; the tiers above it are pinned against it
// as the generator would.
func WithTier(ctx context.Context, repo *gitrepo.Repo, snap *snapshot.Snapshot, tier int, revision string) (Side, error) {
	commit, err := repo.ResolveCommit(ctx, revision)
	if err != nil {
		return Side{}, fmt.Errorf("revision %q: %w", revision, err)
	}
	s := FromSnapshot(revision, snap)
	s.Revisions[snap.Tiers[tier].Name] = commit
	prev := commit
	for _, t := range snap.Tiers[tier+1:] {
		p, err := repo.MergeBase(ctx, t.Head, prev)
		if err != nil {
			return Side{}, fmt.Errorf("tier %q: pinning against %s: %w", t.Name, revision, err)
		}
		s.Revisions[t.Name] = p
		prev = p
	}
	return s, nil
}

// WithHeads is snap's side with some branches moved (branch -> commit), every tier
// pinned again: what the generator serves after a promotion, say.
func WithHeads(ctx context.Context, repo *gitrepo.Repo, snap *snapshot.Snapshot, label string, moved map[string]string) (Side, error) {
	heads := map[string]string{}
	for _, t := range snap.Tiers {
		heads[t.Branch] = t.Head
	}
	for b, c := range moved {
		heads[b] = c
	}
	pinned, err := snapshot.Pin(ctx, repo, snap.Inventory.Tiers, heads)
	if err != nil {
		return Side{}, err
	}
	s := FromSnapshot(label, snap)
	for i, t := range snap.Tiers {
		s.Revisions[t.Name] = pinned[i]
	}
	return s, nil
}

// Options tune Compare.
type Options struct {
	// Context is the number of unchanged lines around each change; 0 means 3. A
	// negative value means none.
	Context int
	// Workers bounds the renders running at once; 0 means one per CPU.
	Workers int
	// Trees is the cache of trees to read through; nil means one of Compare's own.
	Trees *Trees
	// Progress, when set, is told each step of a long comparison as it starts, for a
	// person watching a terminal.
	Progress func(step string)
}

// movedShops lists the shops whose ShopSets differ between two placements.
func movedShops(base, head placement.Result) []placement.Move {
	return placement.Diff(base, head)
}

// Status says how a ShopSet differs.
type Status string

const (
	Changed Status = "changed"
	Added   Status = "added"
	Removed Status = "removed"
)

// Version is one side of a ShopSet: the revisions its manifests come from.
type Version struct {
	Tier            string `json:"tier"`
	Branch          string `json:"branch"`
	Revision        string `json:"revision"`
	InventoryCommit string `json:"inventoryCommit"`
}

// ShopSetDiff is one ShopSet whose manifests differ, or that only one side has.
type ShopSetDiff struct {
	Name      string `json:"name"`
	AppName   string `json:"appName"`
	Tier      string `json:"tier"`
	TierIndex int    `json:"tierIndex"`
	Cluster   string `json:"cluster"`
	Status    Status `json:"status"`
	// Notes list the parameters that differ, e.g. "cluster: cluster-a -> cluster-b".
	Notes []string `json:"notes,omitempty"`
	// Base and Head are nil on the side that does not have the ShopSet.
	Base *Version `json:"base,omitempty"`
	Head *Version `json:"head,omitempty"`
	// Diff is the unified diff of the manifests, "" when a render failed (Err).
	Diff    string `json:"diff"`
	Added   int    `json:"added"`
	Removed int    `json:"removed"`
	Err     error  `json:"-"`
}

// Report is the outcome of Compare.
type Report struct {
	Base, Head Side
	// ShopSets are the ShopSets that differ, by tier (lowest first), cluster and name.
	ShopSets []ShopSetDiff
	// Unchanged counts the ShopSets on both sides with the same manifests.
	Unchanged int
	// Rendered counts the renders done; identical inputs are rendered once.
	Rendered int
	// Moves are the shops whose placement differs between the two inventories.
	Moves []placement.Move
	// HeadManifests holds the head side's manifests of every ShopSet Compare rendered
	// there, by name, so a check of them need not render again.
	HeadManifests map[string]render.Manifests `json:"-"`
}

// Differs reports whether any ShopSet differs.
func (r *Report) Differs() bool { return len(r.ShopSets) > 0 || len(r.Moves) > 0 }

// Failed lists the ShopSets that could not be rendered.
func (r *Report) Failed() []ShopSetDiff {
	var out []ShopSetDiff
	for _, s := range r.ShopSets {
		if s.Err != nil {
			out = append(out, s)
		}
	}
	return out
}

// shopSetSide is one ShopSet on one side.
type shopSetSide struct {
	s       inventory.ShopSet
	params  render.ShopSet
	tier    inventory.Tier
	tierIdx int
	commit  string
	key     string // hash of the render's inputs
	out     []byte
	json    [][]byte
	err     error
}

// Compare renders every ShopSet whose inputs differ between base and head and diffs
// their manifests.
func Compare(ctx context.Context, repo *gitrepo.Repo, base, head Side, opts Options) (*Report, error) {
	if opts.Context == 0 {
		opts.Context = 3
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Trees == nil {
		opts.Trees = NewTrees(repo)
	}
	trees := &treeCache{Trees: opts.Trees, hashes: map[string]string{}}

	bs, err := sides(base)
	if err != nil {
		return nil, err
	}
	hs, err := sides(head)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for n := range bs {
		names[n] = true
	}
	for n := range hs {
		names[n] = true
	}

	report := &Report{Base: base, Head: head}
	if opts.Progress != nil {
		opts.Progress(fmt.Sprintf("comparing the inputs of %d ShopSets", len(names)))
	}
	var todo []string
	for n := range names {
		b, h := bs[n], hs[n]
		if b != nil && h != nil && b.commit == h.commit && slices.Equal(paramsKey(b.params), paramsKey(h.params)) {
			report.Unchanged++ // the same inputs, without reading a tree
			continue
		}
		for _, x := range []*shopSetSide{b, h} {
			if x == nil {
				continue
			}
			if x.key, err = trees.key(ctx, x); err != nil {
				return nil, err
			}
		}
		if b != nil && h != nil && b.key == h.key {
			report.Unchanged++
			continue
		}
		todo = append(todo, n)
	}
	slices.Sort(todo)

	// One render per distinct input.
	var jobs []render.Job
	index := map[string]int{}
	var all []*shopSetSide
	for _, n := range todo {
		for _, x := range []*shopSetSide{bs[n], hs[n]} {
			if x == nil {
				continue
			}
			all = append(all, x)
			if _, ok := index[x.key]; ok {
				continue
			}
			tree, err := trees.tree(ctx, x.commit)
			if err != nil {
				return nil, err
			}
			index[x.key] = len(jobs)
			jobs = append(jobs, render.Job{Checkout: tree, ShopSet: x.params})
		}
	}
	if opts.Progress != nil {
		opts.Progress(fmt.Sprintf("rendering the %d ShopSets whose inputs differ (%d renders)", len(todo), len(jobs)))
	}
	results := render.RenderAll(ctx, jobs, opts.Workers)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	report.Rendered = len(jobs)
	for _, x := range all {
		r := results[index[x.key]]
		x.out, x.json, x.err = r.Out, r.JSON, r.Err
	}
	report.HeadManifests = map[string]render.Manifests{}
	for _, n := range todo {
		if h := hs[n]; h != nil && h.err == nil {
			report.HeadManifests[n] = render.Manifests{YAML: h.out, JSON: h.json}
		}
	}

	for _, n := range todo {
		b, h := bs[n], hs[n]
		d := diffShopSet(base, head, b, h, opts.Context)
		if d == nil {
			report.Unchanged++
			continue
		}
		report.ShopSets = append(report.ShopSets, *d)
	}
	slices.SortFunc(report.ShopSets, func(x, y ShopSetDiff) int {
		return cmp.Or(cmp.Compare(x.TierIndex, y.TierIndex), cmp.Compare(x.Cluster, y.Cluster), cmp.Compare(x.Name, y.Name))
	})
	report.Moves = movedShops(base.place(), head.place())
	return report, nil
}

// sides lists the ShopSets of a side by name.
func sides(side Side) (map[string]*shopSetSide, error) {
	out := map[string]*shopSetSide{}
	for _, s := range side.Inventory.ShopSets {
		tier, idx, ok := side.Inventory.Tier(s.Tier)
		if !ok {
			return nil, fmt.Errorf("%s: shopset %q: unknown tier %q", side.Label, s.Name, s.Tier)
		}
		commit := side.Revisions[s.Tier]
		if commit == "" {
			return nil, fmt.Errorf("%s: tier %q has no revision", side.Label, s.Tier)
		}
		out[s.Name] = &shopSetSide{s: s, params: render.FromInventory(side.Inventory, s), tier: tier, tierIdx: idx, commit: commit}
	}
	return out, nil
}

// paramsKey is the render parameters, in a fixed order. MaxMemoryLimit is not one: only
// policies read it, and it changes no manifest. AllowClusterScoped is: it decides whether
// a render succeeds.
func paramsKey(p render.ShopSet) []string {
	key := append([]string{p.Name, p.Namespace, p.Tier, p.Configuration, p.Cluster, "components:"}, p.Components...)
	return append(append(key, "allowClusterScoped:"), p.AllowClusterScoped...)
}

// treeCache reads each commit's tree once and hashes its content.
// Trees reads the tree of each commit once, for a comparison and for whatever reads the
// same commits after it (shopctl diff's policy check). It is safe for concurrent use.
type Trees struct {
	repo  *gitrepo.Repo
	mu    sync.Mutex
	trees map[string]fs.FS
}

// NewTrees makes an empty cache of repo's trees.
func NewTrees(repo *gitrepo.Repo) *Trees { return &Trees{repo: repo, trees: map[string]fs.FS{}} }

// Tree returns commit's tree, read on first use.
func (c *Trees) Tree(ctx context.Context, commit string) (fs.FS, error) {
	c.mu.Lock()
	t, ok := c.trees[commit]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := c.repo.Tree(ctx, commit)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trees[commit] = t
	return t, nil
}

// treeCache is a comparison's trees and their content hashes.
type treeCache struct {
	*Trees
	hashes map[string]string
}

func (c *treeCache) tree(ctx context.Context, commit string) (fs.FS, error) {
	return c.Tree(ctx, commit)
}

// key hashes a ShopSet's render inputs: its parameters and its tier tree's content.
func (c *treeCache) key(ctx context.Context, x *shopSetSide) (string, error) {
	th, ok := c.hashes[x.commit]
	if !ok {
		t, err := c.tree(ctx, x.commit)
		if err != nil {
			return "", fmt.Errorf("shopset %q: reading %s at %.12s: %w", x.s.Name, x.tier.Branch, x.commit, err)
		}
		if th, err = contentHash(t); err != nil {
			return "", fmt.Errorf("shopset %q: hashing %s at %.12s: %w", x.s.Name, x.tier.Branch, x.commit, err)
		}
		c.hashes[x.commit] = th
	}
	p, _ := json.Marshal(paramsKey(x.params))
	sum := sha256.Sum256(append([]byte(th+"\n"), p...))
	return hex.EncodeToString(sum[:]), nil
}

// contentHash hashes every path, type and content of a tree (symlinks by their target).
func contentHash(fsys fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%q %v\n", p, info.Mode())
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := fs.ReadLink(fsys, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "-> %q\n", target)
		case d.Type().IsRegular():
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%d\n", len(b))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// diffShopSet compares one ShopSet's two sides; nil when the manifests are the same.
func diffShopSet(base, head Side, b, h *shopSetSide, context int) *ShopSetDiff {
	cur := h
	if cur == nil {
		cur = b
	}
	d := &ShopSetDiff{
		Name: cur.s.Name, AppName: snapshot.AppNamePrefix + cur.s.Name,
		Tier: cur.s.Tier, TierIndex: cur.tierIdx, Cluster: cur.s.Cluster,
	}
	var from, to []byte
	fromLabel, toLabel := "/dev/null", "/dev/null"
	switch {
	case b == nil:
		d.Status = Added
	case h == nil:
		d.Status = Removed
	default:
		d.Status = Changed
		d.Notes = notes(b.s, h.s)
	}
	if b != nil {
		d.Base = version(base, b)
		from = b.out
		fromLabel = "a/" + d.AppName + "\t" + d.Base.String()
		if b.err != nil {
			d.Err = fmt.Errorf("%s: %w", base.Label, b.err)
		}
	}
	if h != nil {
		d.Head = version(head, h)
		to = h.out
		toLabel = "b/" + d.AppName + "\t" + d.Head.String()
		if h.err != nil && d.Err == nil {
			d.Err = fmt.Errorf("%s: %w", head.Label, h.err)
		}
	}
	if d.Err != nil {
		return d
	}
	d.Diff, d.Added, d.Removed = Unified(from, to, fromLabel, toLabel, context)
	if d.Status == Changed && d.Diff == "" {
		return nil
	}
	return d
}

func version(side Side, x *shopSetSide) *Version {
	return &Version{Tier: x.tier.Name, Branch: x.tier.Branch, Revision: x.commit, InventoryCommit: side.InventoryCommit}
}

// String names the revisions: "tier/dev@1a2b3c4d5e6f shopsets.yaml@9f8e7d6c5b4a".
func (v *Version) String() string {
	return fmt.Sprintf("%s@%.12s inventory@%.12s", v.Branch, v.Revision, v.InventoryCommit)
}

// notes lists the parameters of a ShopSet that differ between its two sides.
func notes(b, h inventory.ShopSet) []string {
	var out []string
	for _, f := range []struct{ name, b, h string }{
		{"tier", b.Tier, h.Tier},
		{"cluster", b.Cluster, h.Cluster},
		{"configuration", b.Configuration, h.Configuration},
		{"namespace", b.Namespace, h.Namespace},
		{"components", strings.Join(b.Components, ","), strings.Join(h.Components, ",")},
	} {
		if f.b != f.h {
			out = append(out, fmt.Sprintf("%s: %s -> %s", f.name, orNone(f.b), orNone(f.h)))
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
