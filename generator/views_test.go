package generator_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/generator"
)

// Requests naming ever new revisions keep at most MaxViews views, never drop the default
// inventory's, and keep /metrics to the default view's per-ShopSet series.
func TestViewsAreBounded(t *testing.T) {
	f := newFixture(t, "file")
	main := f.repo.Branches["main"]
	var revisions []string
	for n := 7; n <= 40 && len(revisions) < generator.MaxViews+10; n++ {
		revisions = append(revisions, main[:n])
	}
	for _, b := range []string{"tier/dev", "tier/prod"} {
		for n := 7; n <= 40 && len(revisions) < generator.MaxViews+10; n++ {
			revisions = append(revisions, f.repo.Branches[b][:n])
		}
	}
	require.Len(t, revisions, generator.MaxViews+10)
	for _, rev := range revisions {
		code, body := post(t, f.http.URL+"/api/v1/getparams.execute", testToken,
			`{"input":{"parameters":{"repoURL":"`+f.url+`","revision":"`+rev+`"}}}`)
		// A tier head holds an inventory of its own or none: any answer will do, as long
		// as it is one.
		require.NotZero(t, code, body)
	}
	views := f.gen.Status().Repositories[0].Views
	assert.LessOrEqual(t, len(views), generator.MaxViews)
	seen := map[string]bool{}
	for _, v := range views {
		seen[v.Revision] = true
	}
	assert.True(t, seen["main"], "the default inventory's view is never dropped")
	assert.False(t, seen[revisions[0]], "the view asked for least recently is dropped first")
	assert.True(t, seen[revisions[len(revisions)-1]])

	resp, err := http.Get(f.http.URL + "/metrics")
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	shops := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "shopset_generator_shops{") {
			shops++
			assert.Contains(t, line, `revision="main"`)
		}
	}
	assert.Equal(t, 9, shops, "per-ShopSet series for the default inventory only")
}
