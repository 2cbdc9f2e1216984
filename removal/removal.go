// Package removal decides whether an inventory may remove ShopSets, from the inventory's
// own history in Git.
//
// An ApplicationSet deletes every Application its generator stops listing, so an
// inventory that drops most ShopSets (or all of them, or lists none) is refused until a
// commit of the change carries the trailer "Shopset-Confirm-Removal: N". The question
// "removes compared with what?" must have the same answer after a restart and on every
// replica, so the baseline is not what a process served last: it is the newest earlier
// version of the inventory, on the history of the served revision, that this same rule
// accepted. Decide replays the rule over the versions it is given, oldest first:
//
//	v := removal.Decide(history, 0.5)
//	if !v.Allowed { return v.Err(path) }
//
// A history cut short by its bound starts from its oldest version as the baseline when
// that version lists ShopSets; a version with none is refused unless confirmed, whatever
// came before, so a fresh generator never answers an empty list on its own.
package removal

import (
	"fmt"
	"slices"
	"strings"
)

// Trailer is the commit trailer that confirms a removal. Its value is the number of
// ShopSets the change removes (any number when nothing earlier is known); it lives in
// Git, so reviewers see it in the pull request.
const Trailer = "Shopset-Confirm-Removal"

// Version is the inventory at one commit of its history.
type Version struct {
	Commit string
	// Names are the ShopSets it lists.
	Names []string
	// Invalid marks a version that does not parse: it was never served, so it is never a
	// baseline.
	Invalid bool
	// Confirmations are the Trailer values (numbers) of the commits that lead from the
	// version before to this one, this one's own commit included.
	Confirmations []int
}

// Verdict is the rule's answer for the newest version.
type Verdict struct {
	Allowed bool
	// Baseline is the version compared with: the newest earlier one that was allowed;
	// its Commit is "" when there is none.
	Baseline Version
	// Removed lists, sorted, the ShopSets of Baseline the newest version drops.
	Removed []string
	// Listed is how many ShopSets the newest version lists.
	Listed int
	// Confirmed is set when a trailer allowed what the share alone would not.
	Confirmed bool
}

// Decide replays the rule over history (oldest first; the last is the version asked
// about) and returns its verdict for the last. maxShare is the share of the baseline's
// ShopSets a change may remove without a confirmation: 0 refuses every unconfirmed
// removal; nothing may remove all of them, or list none, unconfirmed.
func Decide(history []Version, maxShare float64) Verdict {
	var (
		baseline  *Version
		confirmed []int // since the baseline
		v         Verdict
	)
	for i := range history {
		cur := &history[i]
		confirmed = append(confirmed, cur.Confirmations...)
		v = judge(baseline, cur, confirmed, maxShare)
		if v.Allowed {
			baseline, confirmed = cur, nil
		}
	}
	return v
}

func judge(baseline, cur *Version, confirmed []int, maxShare float64) Verdict {
	v := Verdict{Listed: len(cur.Names)}
	if baseline != nil {
		v.Baseline = *baseline
	}
	if cur.Invalid {
		return v
	}
	if baseline == nil {
		// Nothing earlier to compare with: a list is fine, an empty one needs a word.
		v.Allowed = len(cur.Names) > 0 || len(confirmed) > 0
		v.Confirmed = len(cur.Names) == 0 && v.Allowed
		return v
	}
	keep := make(map[string]bool, len(cur.Names))
	for _, n := range cur.Names {
		keep[n] = true
	}
	for _, n := range baseline.Names {
		if !keep[n] {
			v.Removed = append(v.Removed, n)
		}
	}
	slices.Sort(v.Removed)
	removed := len(v.Removed)
	if removed == 0 || (len(cur.Names) > 0 && float64(removed) <= maxShare*float64(len(baseline.Names))) {
		v.Allowed = true
		return v
	}
	if slices.ContainsFunc(confirmed, func(n int) bool { return n >= removed }) {
		v.Allowed, v.Confirmed = true, true
	}
	return v
}

// Err explains a refusal of the inventory at path (revision rev, commit id); nil when
// the verdict allows it.
func (v Verdict) Err(path, rev, commit string) error {
	if v.Allowed {
		return nil
	}
	at := fmt.Sprintf("%s at %s (%.12s)", path, rev, commit)
	if v.Baseline.Commit == "" {
		return fmt.Errorf("%s lists no ShopSets and no earlier version of it was served to compare with: "+
			"Argo CD would delete every Application of the ApplicationSet; if that is meant, "+
			"confirm with the trailer \"%s: 0\" in a commit of the change", at, Trailer)
	}
	return fmt.Errorf("%s removes %d of the %d ShopSets of %.12s, the last version accepted (%s); "+
		"confirm with the trailer \"%s: %d\" in a commit of the change",
		at, len(v.Removed), len(v.Baseline.Names), v.Baseline.Commit, strings.Join(v.Removed, ", "),
		Trailer, len(v.Removed))
}
