package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/inventory"
)

// ErrInvalid marks a repository whose content cannot be served: an inventory that does not
// parse or validate, a missing inventory file, a tier branch that does not exist or shares
// no history with the tier below. People fix it in Git; retrying does not.
var ErrInvalid = errors.New("invalid inventory")

// MaxHeld bounds the held commits, and the commits waiting for promotion, listed per
// tier; a longer list is cut and says so.
const MaxHeld = 100

// Tier is one tier's state in a snapshot.
type Tier struct {
	Name       string `json:"name"`
	Branch     string `json:"branch"`
	Index      int    `json:"index"`
	SyncPolicy string `json:"syncPolicy"`
	Head       string `json:"head"`
	Pinned     string `json:"pinned"`
	// PinnedSubject is the subject of the pinned commit.
	PinnedSubject string `json:"pinnedSubject"`
	// Held lists commits on the tier's branch past its pinned revision: pushed straight
	// to this tier, they wait until the tier below carries them.
	Held []gitrepo.Commit `json:"held"`
	// Waiting lists commits the tier below runs that this tier's branch does not have
	// yet: what promoting this tier would bring. Empty for the lowest tier.
	Waiting []gitrepo.Commit `json:"waiting"`
	// HeldCut and WaitingCut say that a list stops at MaxHeld and there are more.
	HeldCut    bool `json:"heldCut,omitempty"`
	WaitingCut bool `json:"waitingCut,omitempty"`
}

// Snapshot is what the generator serves for one (repository, revision, inventory path):
// a Model, and every tier pinned over it from the tier branches' heads.
type Snapshot struct {
	*Model
	Revision string
	Tiers    []Tier
	Params   []Params
	// Encoded holds each parameter set's JSON, so responses are assembled, not encoded.
	Encoded [][]byte
	// Groups are the runs of Params with one tier and cluster (Params are sorted by tier,
	// then cluster), so a filtered request visits only the runs it asks for.
	Groups []Group
	// Previews are the topic branches that may run as previews; nil when the inventory
	// has no previews section.
	Previews *Previews
	Built    time.Time
}

// Build reads the inventory at revision from repo and pins every tier: LoadModel, then
// Model.Pin. repoURL is what the parameter sets carry as the Applications' source.
func Build(ctx context.Context, repo *gitrepo.Repo, repoURL, revision, path string) (*Snapshot, error) {
	m, err := LoadModelAt(ctx, repo, repoURL, revision, path)
	if err != nil {
		return nil, err
	}
	return m.Pin(ctx, repo, revision)
}

// Pin pins every tier of the model from the tier branches' heads now, and gives the
// parameter sets: what changes when a tier branch moves while the inventory does not.
// revision is the name the inventory was asked by (its commit is the model's).
func (m *Model) Pin(ctx context.Context, repo *gitrepo.Repo, revision string) (*Snapshot, error) {
	heads, pinned, err := m.PinnedRevisions(ctx, repo)
	if err != nil {
		return nil, err
	}
	inv := m.Inventory
	s := &Snapshot{Model: m, Revision: revision, Built: time.Now()}
	revisions := map[string]string{}
	for i, t := range inv.Tiers {
		head := heads[t.Branch]
		held, err := repo.Log(ctx, pinned[i], head, MaxHeld+1)
		if err != nil {
			return nil, fmt.Errorf("tier %q: listing held commits: %w", t.Name, err)
		}
		waiting := []gitrepo.Commit{}
		if i > 0 {
			if waiting, err = repo.Log(ctx, head, pinned[i-1], MaxHeld+1); err != nil {
				return nil, fmt.Errorf("tier %q: listing commits waiting for promotion: %w", t.Name, err)
			}
		}
		heldCut, waitingCut := len(held) > MaxHeld, len(waiting) > MaxHeld
		held, waiting = held[:min(len(held), MaxHeld)], waiting[:min(len(waiting), MaxHeld)]
		subject, err := repo.Log(ctx, "", pinned[i], 1)
		if err != nil {
			return nil, fmt.Errorf("tier %q: reading the pinned commit: %w", t.Name, err)
		}
		s.Tiers = append(s.Tiers, Tier{
			Name: t.Name, Branch: t.Branch, Index: i, SyncPolicy: string(t.SyncPolicy),
			Head: head, Pinned: pinned[i], Held: nonNilCommits(held), Waiting: nonNilCommits(waiting),
			HeldCut: heldCut, WaitingCut: waitingCut,
		})
		if len(subject) > 0 {
			s.Tiers[i].PinnedSubject = subject[0].Subject
		}
		revisions[t.Name] = pinned[i]
	}
	s.Params = slices.Clone(m.params)
	s.Encoded = make([][]byte, len(s.Params))
	quoted := map[string][]byte{}
	for i := range s.Params {
		tier := s.Params[i].Tier
		s.Params[i].Revision = revisions[tier]
		q, ok := quoted[tier]
		if !ok {
			if q, err = json.Marshal(revisions[tier]); err != nil {
				return nil, fmt.Errorf("encoding parameters: %w", err)
			}
			quoted[tier] = q
		}
		s.Encoded[i] = m.encoded[i].with(q)
	}
	s.Groups = m.groups
	// A preview is never the inventory's own branch or a tier's.
	exclude := map[string]bool{revision: true}
	for _, t := range inv.Tiers {
		exclude[t.Branch] = true
	}
	if s.Previews, err = m.pinPreviews(ctx, repo, heads, exclude, pinned[0]); err != nil {
		return nil, err
	}
	return s, nil
}

// paramsJSON is a parameter set's JSON with its revision's value, "", at offset at.
type paramsJSON struct {
	b  []byte
	at int
}

// emptyRevision is how an unpinned set's JSON holds its revision. JSON escapes every quote
// inside a string, so these bytes can only be the key itself, not a part of some value.
var emptyRevision = []byte(`"revision":""`)

// encodeUnpinned encodes parameter sets whose revisions are not yet known.
func encodeUnpinned(params []Params) ([]paramsJSON, error) {
	out := make([]paramsJSON, len(params))
	for i, p := range params {
		p.Revision = ""
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encoding parameters: %w", err)
		}
		at := bytes.Index(b, emptyRevision)
		if at < 0 {
			return nil, fmt.Errorf("encoding parameters: no revision in %s", b)
		}
		out[i] = paramsJSON{b: b, at: at + len(emptyRevision) - 2}
	}
	return out, nil
}

// with is the JSON with revision, a JSON string, in place of "": byte for byte what
// json.Marshal gives the set with that revision.
func (p paramsJSON) with(revision []byte) []byte {
	out := make([]byte, 0, len(p.b)-2+len(revision))
	out = append(out, p.b[:p.at]...)
	out = append(out, revision...)
	return append(out, p.b[p.at+2:]...)
}

func encodeAll[T any](items []T) ([][]byte, error) {
	out := make([][]byte, 0, len(items))
	for _, item := range items {
		b, err := json.Marshal(item)
		if err != nil {
			return nil, fmt.Errorf("encoding parameters: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// PinnedRevisions reads the branch heads and pins every tier of the model from them: what
// Pin does before it lists held and waiting commits, for callers that need only the
// revisions (a review).
func (m *Model) PinnedRevisions(ctx context.Context, repo *gitrepo.Repo) (heads map[string]string, pinned []string, err error) {
	if heads, err = repo.Heads(ctx); err != nil {
		return nil, nil, fmt.Errorf("listing branches: %w", err)
	}
	if pinned, err = Pin(ctx, repo, m.Inventory.Tiers, heads); err != nil {
		return nil, nil, err
	}
	return heads, pinned, nil
}

// Pin computes each tier's pinned revision from the branch heads (branch -> commit),
// lowest tier first: pinned[0] is the lowest tier's head, pinned[k] the merge-base of
// tier k's head with pinned[k-1].
func Pin(ctx context.Context, repo *gitrepo.Repo, tiers []inventory.Tier, heads map[string]string) ([]string, error) {
	pinned := make([]string, len(tiers))
	for i, t := range tiers {
		head, ok := heads[t.Branch]
		if !ok {
			return nil, fmt.Errorf("%w: tier %q: branch %q not found", ErrInvalid, t.Name, t.Branch)
		}
		if i == 0 {
			pinned[i] = head
			continue
		}
		p, err := repo.MergeBase(ctx, head, pinned[i-1])
		if errors.Is(err, gitrepo.ErrNoMergeBase) {
			return nil, fmt.Errorf("%w: tier %q: branch %q shares no history with %q", ErrInvalid, t.Name, t.Branch, tiers[i-1].Branch)
		}
		if err != nil {
			return nil, fmt.Errorf("tier %q: %w", t.Name, err)
		}
		pinned[i] = p
	}
	return pinned, nil
}

// Tier returns the snapshot's state of the named tier.
func (s *Snapshot) Tier(name string) (Tier, bool) {
	for _, t := range s.Tiers {
		if t.Name == name {
			return t, true
		}
	}
	return Tier{}, false
}

// Names returns the set of ShopSet names the snapshot serves.
func (s *Snapshot) Names() map[string]bool {
	out := make(map[string]bool, len(s.Params))
	for _, p := range s.Params {
		out[p.Name] = true
	}
	return out
}

// Group is a run of parameter sets, Params[Start:End], on one tier and cluster.
type Group struct {
	Tier, Cluster string
	Start, End    int
}

func groups(params []Params) []Group {
	var out []Group
	for i, p := range params {
		if n := len(out); n > 0 && out[n-1].Tier == p.Tier && out[n-1].Cluster == p.Cluster.Name {
			out[n-1].End = i + 1
			continue
		}
		out = append(out, Group{Tier: p.Tier, Cluster: p.Cluster.Name, Start: i, End: i + 1})
	}
	return out
}

func nonNilCommits(c []gitrepo.Commit) []gitrepo.Commit {
	if c == nil {
		return []gitrepo.Commit{}
	}
	return c
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
