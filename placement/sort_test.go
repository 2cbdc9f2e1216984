package placement

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSortedHosts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	// A tiny alphabet with a NUL makes long shared prefixes, equal keys, duplicates and hosts
	// that end inside the key all common.
	alphabet := "ab\x00"
	for range 2_000 {
		prefix := strings.Repeat("w", r.IntN(3))
		shops := make([]Shop, r.IntN(40))
		for i := range shops {
			b := make([]byte, r.IntN(14))
			for j := range b {
				b[j] = alphabet[r.IntN(len(alphabet))]
			}
			shops[i].Host = prefix + string(b)
		}

		want := make([]int32, len(shops))
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(a, b int32) int { return strings.Compare(shops[a].Host, shops[b].Host) })

		var got []int32
		for _, o := range sortedHosts(shops) {
			got = append(got, o.index)
		}
		if len(want) == 0 {
			want = nil
		}
		require.Equal(t, want, got)
	}
}
