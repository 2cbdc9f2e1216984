package removal_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shopset/shopset/removal"
)

func ver(commit string, names ...string) removal.Version {
	return removal.Version{Commit: commit, Names: names}
}

func confirmed(v removal.Version, n ...int) removal.Version {
	v.Confirmations = n
	return v
}

func invalid(commit string) removal.Version {
	return removal.Version{Commit: commit, Invalid: true}
}

func TestDecide(t *testing.T) {
	four := []string{"a", "b", "c", "d"}
	for _, tc := range []struct {
		name     string
		history  []removal.Version
		share    float64
		allowed  bool
		baseline string
		removed  []string
	}{
		{"first version with ShopSets", []removal.Version{ver("1", four...)}, 0.5, true, "", nil},
		{"first version empty: a fresh generator refuses", []removal.Version{ver("1")}, 0.5, false, "", nil},
		{"first version empty, confirmed", []removal.Version{confirmed(ver("1"), 0)}, 0.5, true, "", nil},
		{"adding", []removal.Version{ver("1", "a"), ver("2", four...)}, 0.5, true, "1", nil},
		{"removing half", []removal.Version{ver("1", four...), ver("2", "a", "b")}, 0.5, true, "1", []string{"c", "d"}},
		{"removing more than half", []removal.Version{ver("1", four...), ver("2", "a")}, 0.5, false, "1", []string{"b", "c", "d"}},
		{"removing all", []removal.Version{ver("1", four...), ver("2")}, 1, false, "1", four},
		{"share 0 refuses one removal", []removal.Version{ver("1", four...), ver("2", "a", "b", "c")}, 0, false, "1", []string{"d"}},
		{"share 0 allows none removed", []removal.Version{ver("1", four...), ver("2", "a", "b", "c", "d", "e")}, 0, true, "1", nil},
		{"confirmed with the exact count", []removal.Version{ver("1", four...), confirmed(ver("2"), 4)}, 0.5, true, "1", four},
		{"confirmed with too small a count", []removal.Version{ver("1", four...), confirmed(ver("2"), 3)}, 0.5, false, "1", four},
		// The restart case: a refused removal stays refused on every later version that
		// does not put the ShopSets back, however many come after it.
		{"a later unrelated change does not launder a refused removal",
			[]removal.Version{ver("1", four...), ver("2"), ver("3"), ver("4", "x")}, 0.5, false, "1", four},
		{"a confirmation in a later commit counts",
			[]removal.Version{ver("1", four...), ver("2"), confirmed(ver("3"), 4)}, 0.5, true, "1", four},
		{"putting the ShopSets back ends the refusal",
			[]removal.Version{ver("1", four...), ver("2"), ver("3", four...)}, 0.5, true, "1", nil},
		{"the baseline moves with every accepted version",
			[]removal.Version{ver("1", four...), ver("2", "a", "b"), ver("3", "a")}, 0.5, true, "2", []string{"b"}},
		{"an invalid version is never a baseline",
			[]removal.Version{ver("1", four...), invalid("2"), ver("3", "a")}, 0.5, false, "1", []string{"b", "c", "d"}},
		{"an invalid version's confirmation still counts",
			[]removal.Version{ver("1", four...), confirmed(invalid("2"), 3), ver("3", "a")}, 0.5, true, "1", []string{"b", "c", "d"}},
		{"a confirmation is spent once its version is accepted",
			[]removal.Version{ver("1", four...), confirmed(ver("2", "a", "b", "c"), 4), ver("3")}, 0.5, false, "2", []string{"a", "b", "c"}},
		{"a history cut short starts from its oldest listed version",
			[]removal.Version{ver("7", "a", "b"), ver("8", "a", "b", "c")}, 0.5, true, "7", nil},
		{"a history cut short at an empty version refuses until a version lists ShopSets",
			[]removal.Version{ver("7"), ver("8")}, 0.5, false, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := removal.Decide(tc.history, tc.share)
			assert.Equal(t, tc.allowed, v.Allowed)
			assert.Equal(t, tc.baseline, v.Baseline.Commit)
			assert.Equal(t, tc.removed, v.Removed)
			last := tc.history[len(tc.history)-1]
			err := v.Err("shopsets.yaml", "main", last.Commit)
			if tc.allowed {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, "shopsets.yaml at main")
			assert.ErrorContains(t, err, removal.Trailer+": ")
		})
	}
}

func TestErrMessages(t *testing.T) {
	v := removal.Decide([]removal.Version{ver("1111111111111111", "a", "b", "c"), ver("2222222222222222", "a")}, 0.5)
	assert.EqualError(t, v.Err("shopsets.yaml", "main", "2222222222222222"),
		`shopsets.yaml at main (222222222222) removes 2 of the 3 ShopSets of 111111111111, the last version accepted (b, c); `+
			`confirm with the trailer "Shopset-Confirm-Removal: 2" in a commit of the change`)
	v = removal.Decide([]removal.Version{ver("3333333333333333")}, 0.5)
	assert.EqualError(t, v.Err("shopsets.yaml", "main", "3333333333333333"),
		`shopsets.yaml at main (333333333333) lists no ShopSets and no earlier version of it was served to compare with: `+
			`Argo CD would delete every Application of the ApplicationSet; if that is meant, confirm with the trailer `+
			`"Shopset-Confirm-Removal: 0" in a commit of the change`)
}
