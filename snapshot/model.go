package snapshot

import (
	"context"
	"errors"
	"fmt"
	pathpkg "path"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/placement"
	"github.com/shopset/shopset/rollout"
	"github.com/shopset/shopset/routing"
)

// Model is the inventory at one commit and all that follows from it alone: the parsed
// inventory, the placement of its shops, its degraded shops and the routing parameter
// sets. The tier branches play no part, so one model serves every pinning of the tiers
// until the inventory's own branch moves: the generator keeps models by commit, and a
// push to a tier branch only pins again (Model.Pin). plan, review and render --routing
// need nothing more.
type Model struct {
	RepoURL         string
	Path            string
	InventoryCommit string
	Inventory       *inventory.Inventory
	// Placement places the inventory's shops.
	Placement placement.Result
	// Routing holds one parameter set per cluster for the routing Applications, and
	// EncodedRouting their JSON.
	Routing        []RoutingParams
	EncodedRouting [][]byte
	// Actions are people's decisions about the tiers' rollouts, by tier, read from the
	// trailers of the inventory's branch (ResumeTrailer, RetryTrailer); ActionNotes the
	// trailers left out as malformed.
	Actions     map[string][]rollout.Action
	ActionNotes []string

	// params are the ShopSets' parameter sets without revisions, and groups their runs
	// per tier and cluster: Pin fills in the revisions.
	params []Params
	groups []Group
	// encoded is params' JSON, each with its revision left empty: Pin splices the
	// revisions in rather than encoding 10,000 sets again after each push.
	encoded []paramsJSON
	// facts keeps what the previews read of each commit, across pinnings.
	facts *previewFacts
}

// LoadModelAt resolves revision (a branch, tag or commit) and loads the model there.
func LoadModelAt(ctx context.Context, repo *gitrepo.Repo, repoURL, revision, path string) (*Model, error) {
	commit, err := repo.ResolveCommit(ctx, revision)
	if err != nil {
		return nil, fmt.Errorf("revision %q: %w", revision, err)
	}
	return LoadModel(ctx, repo, repoURL, revision, commit, path)
}

// LoadModel reads the inventory at path and commit (a commit ID; revision is the name it
// was asked by, for messages) and derives the model. repoURL is what parameter sets
// carry as the Applications' source.
func LoadModel(ctx context.Context, repo *gitrepo.Repo, repoURL, revision, commit, path string) (*Model, error) {
	data, err := repo.ReadFile(ctx, commit, path)
	if errors.Is(err, gitrepo.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s not found at %s (%s)", ErrInvalid, path, revision, short(commit))
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", path, revision, err)
	}
	// A shops file lives next to the inventory, at the same commit.
	inv, err := inventory.ParseFiles(path, data, func(name string) ([]byte, error) {
		return repo.ReadFile(ctx, commit, pathpkg.Join(pathpkg.Dir(path), name))
	})
	if err != nil {
		return nil, errors.Join(ErrInvalid, err)
	}
	m, err := NewModel(inv, repoURL, commit, path)
	if err != nil {
		return nil, err
	}
	if m.HasRollouts() {
		tiers := map[string]bool{}
		for _, t := range inv.Tiers {
			tiers[t.Name] = true
		}
		if m.Actions, m.ActionNotes, err = readActions(ctx, repo, commit, tiers); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// NewModel derives the model of an inventory already parsed.
func NewModel(inv *inventory.Inventory, repoURL, commit, path string) (*Model, error) {
	m := &Model{RepoURL: repoURL, Path: path, InventoryCommit: commit, Inventory: inv, facts: &previewFacts{}}
	m.Placement = routing.Place(inv)
	m.Routing = Routing(inv, m.Placement, repoURL, commit, path)
	m.params = Parameters(inv, m.Placement, repoURL, nil)
	m.groups = groups(m.params)
	var err error
	if m.encoded, err = encodeUnpinned(m.params); err != nil {
		return nil, err
	}
	if m.EncodedRouting, err = encodeAll(m.Routing); err != nil {
		return nil, err
	}
	return m, nil
}

// Degraded lists the shops placed on fewer failure domains than they ask for.
func (m *Model) Degraded() []string { return m.Placement.Degraded() }
