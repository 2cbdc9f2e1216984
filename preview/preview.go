package preview

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopset/shopset/inventory"
)

// Branch is a branch head: its name (without refs/heads/), its commit and when that was
// committed.
type Branch struct {
	Name      string    `json:"name"`
	Commit    string    `json:"commit"`
	Committed time.Time `json:"committed"`
}

// Preview is one branch run as a ShopSet.
type Preview struct {
	// Name is the ShopSet's name: pr-<what the branch adds to the pattern's prefix>.
	Name string `json:"name"`
	// Namespace is the default namespace of Name: shopset-pr-....
	Namespace string `json:"namespace"`
	Branch
	// Host is <Name>.<domain> when the previews section names a domain, else "".
	Host string `json:"host,omitempty"`
}

// Reason says why a matching branch is not previewed.
type Reason string

const (
	// NameTaken: another branch is given the same name (see Name).
	NameTaken Reason = "name-taken"
	// PoliciesDiffer: the branch's policies/ is not the lowest tier's.
	PoliciesDiffer Reason = "policies-differ"
	// Expired: no commit on the branch for longer than expireAfter.
	Expired Reason = "expired"
	// OverMax: newer branches fill every preview.
	OverMax Reason = "over-max"
)

// Skipped is a matching branch that is not previewed, and why.
type Skipped struct {
	Branch
	Name   string `json:"name"`
	Reason Reason `json:"reason"`
	Detail string `json:"detail"`
}

// hashLen is how many hex digits of the branch's SHA-256 a name carries when it cannot be
// the branch's own words: 32 bits, so two branches meet by chance only among tens of
// thousands.
const hashLen = 8

// maxSlug is the longest part of a name after "pr-": the namespace shopset-pr-<slug> is
// a DNS label of at most 63 characters.
const maxSlug = 63 - len("shopset-") - len(inventory.PreviewNamePrefix)

// Name derives a preview's ShopSet name from its branch: pr- and what the branch adds to
// prefix (the pattern's literal start), lowercased, every run of other characters than
// letters and digits made one '-'. A name that had to change the branch's words (a
// capital, a '/', a '_'), or that is too long, is cut and ends in -<8 hex digits of the
// branch's SHA-256>, so two branches that read alike still get two names; a name that
// did not have to change ends in none, so the usual branch reads as itself.
func Name(prefix, branch string) string {
	rest := strings.TrimPrefix(branch, prefix)
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(rest) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	slug := strings.TrimRight(b.String(), "-")
	if slug == rest && slug != "" && len(slug) <= maxSlug {
		return inventory.PreviewNamePrefix + slug
	}
	sum := sha256.Sum256([]byte(branch))
	hash := hex.EncodeToString(sum[:])[:hashLen]
	slug = strings.TrimRight(slug[:min(len(slug), maxSlug-hashLen-1)], "-")
	if slug == "" {
		return inventory.PreviewNamePrefix + hash
	}
	return inventory.PreviewNamePrefix + slug + "-" + hash
}

// Candidates lists the branches that match the previews' pattern as previews, newest
// commit first (then by branch name), leaving out the branches in exclude (the
// inventory's own branch). Of branches given the same name, the one whose name is its
// own words (no hash) keeps it, so a branch crafted to take a name cannot push out the
// branch the name reads as; else the first by branch name. The others are skipped.
func Candidates(p *inventory.Previews, branches []Branch, exclude map[string]bool) ([]Preview, []Skipped) {
	if p == nil {
		return nil, nil
	}
	prefix := p.BranchPrefix()
	var out []Preview
	byName := map[string][]int{}
	for _, b := range branches {
		if exclude[b.Name] || !p.Matches(b.Name) {
			continue
		}
		name := Name(prefix, b.Name)
		byName[name] = append(byName[name], len(out))
		out = append(out, Preview{Name: name, Namespace: inventory.DefaultNamespace(name), Branch: b, Host: host(name, p.Domain)})
	}
	var skipped []Skipped
	drop := map[int]bool{}
	for name, idx := range byName {
		if len(idx) < 2 {
			continue
		}
		// The branch whose name is its own words keeps it; else the first by name.
		own := func(i int) bool {
			return inventory.PreviewNamePrefix+strings.TrimPrefix(out[i].Branch.Name, prefix) == name
		}
		keep := idx[0]
		for _, i := range idx[1:] {
			if own(i) || !own(keep) && out[i].Branch.Name < out[keep].Branch.Name {
				keep = i
			}
		}
		for _, i := range idx {
			if i == keep {
				continue
			}
			drop[i] = true
			skipped = append(skipped, Skipped{Branch: out[i].Branch, Name: name, Reason: NameTaken,
				Detail: "branch " + out[keep].Branch.Name + " has the name " + name})
		}
	}
	kept := out[:0]
	for i, c := range out {
		if !drop[i] {
			kept = append(kept, c)
		}
	}
	slices.SortFunc(kept, newestFirst)
	sortSkipped(skipped)
	return kept, skipped
}

func newestFirst(a, b Preview) int {
	return cmp.Or(b.Committed.Compare(a.Committed), cmp.Compare(a.Branch.Name, b.Branch.Name))
}

func sortSkipped(s []Skipped) {
	slices.SortFunc(s, func(a, b Skipped) int {
		return cmp.Or(b.Committed.Compare(a.Committed), cmp.Compare(a.Branch.Name, b.Branch.Name))
	})
}

func host(name, domain string) string {
	if domain == "" {
		return ""
	}
	return name + "." + domain
}

// SamePolicies keeps the candidates whose policies/ tree (trees: commit -> tree ID, ""
// for none) is want, the lowest tier's: a preview runs under the rules the lowest tier
// runs under, or not at all.
func SamePolicies(cands []Preview, trees map[string]string, want string) ([]Preview, []Skipped) {
	var kept []Preview
	var skipped []Skipped
	for _, c := range cands {
		if got := trees[c.Commit]; got != want {
			skipped = append(skipped, Skipped{Branch: c.Branch, Name: c.Name, Reason: PoliciesDiffer,
				Detail: "policies/ differs from the lowest tier's pinned revision: land policy changes on the tier first"})
			continue
		}
		kept = append(kept, c)
	}
	return kept, skipped
}

// Select serves, at now, the newest candidates (sorted newest first, as Candidates gives
// them) with a commit within expireAfter, up to the maximum; the others are reported.
func Select(p *inventory.Previews, cands []Preview, now time.Time) ([]Preview, []Skipped) {
	if p == nil {
		return nil, nil
	}
	served := make([]Preview, 0, min(len(cands), p.Max))
	var skipped []Skipped
	for _, c := range cands {
		switch {
		case now.Sub(c.Committed) > p.ExpireAfter:
			skipped = append(skipped, Skipped{Branch: c.Branch, Name: c.Name, Reason: Expired,
				Detail: "no commit since " + c.Committed.UTC().Format(time.RFC3339) + ", longer than expireAfter " + p.ExpireAfter.String()})
		case len(served) >= p.Max:
			skipped = append(skipped, Skipped{Branch: c.Branch, Name: c.Name, Reason: OverMax,
				Detail: "newer branches fill all " + strconv.Itoa(p.Max) + " previews (previews.max)"})
		default:
			served = append(served, c)
		}
	}
	return served, skipped
}
