package generator_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/generator"
)

// Two replicas on the same repository answer every kind of request with the same bytes
// after the same pushes, whatever each saw before: the answer depends on Git alone.
func TestReplicasAnswerAlike(t *testing.T) {
	f := newFixture(t, "http")
	cfg := f.cfg
	cfg.CacheDir = t.TempDir()
	other, err := generator.New(cfg)
	require.NoError(t, err)
	other.Refresh(context.Background())
	second := httptest.NewServer(other.Handler())
	t.Cleanup(second.Close)

	repo := `"repoURL":"` + f.url + `"`
	requests := map[string]string{
		"all":                `{` + repo + `}`,
		"filtered":           `{` + repo + `,"tier":["dev","prod"],"cluster":"cluster-a"}`,
		"configuration":      `{` + repo + `,"configuration":"staging"}`,
		"routing":            `{` + repo + `,"kind":"routing"}`,
		"routing, a cluster": `{` + repo + `,"kind":"routing","cluster":"cluster-b"}`,
		"at a tier branch":   `{` + repo + `,"revision":"tier/dev","path":"shopsets.yaml"}`,
		"unknown filter":     `{` + repo + `,"tier":"nope"}`,
	}
	compare := func(when string) {
		for name, params := range requests {
			body := `{"applicationSetName":"shopsets","input":{"parameters":` + params + `}}`
			c1, b1 := post(t, f.http.URL+"/api/v1/getparams.execute", testToken, body)
			c2, b2 := post(t, second.URL+"/api/v1/getparams.execute", testToken, body)
			assert.Equal(t, c1, c2, "%s, %s", when, name)
			assert.Equal(t, b1, b2, "%s, %s", when, name)
		}
	}
	compare("at start")
	f.gitRepo.Commit(t, "tier/dev", map[string]string{"apps/NOTES": "dev\n"}, "A dev change")
	compare("after a push to tier/dev")
	f.commitInventory(t, strings.Replace(f.inventory(t), "# How shops are placed", shopSetEntry("r-1")+"# How shops are placed", 1), "Add r-1")
	compare("after a push to main")
	f.gitRepo.Commit(t, "tier/prod", map[string]string{"apps/HOTFIX": "prod\n"}, "Straight to prod")
	compare("after a held push to prod")
	f.commitInventory(t, noShopSets(t, f.inventory(t)), "Drop every ShopSet")
	compare("after a refused removal")
}
