package generator_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/internal/bigrepo"
)

// benchServer is a generator serving a repository of bigrepo's measured scale (10,000
// ShopSets, 50 clusters, 40,000 shops) over file://, refreshed once.
func benchServer(b *testing.B) (*generator.Server, string) {
	b.Helper()
	ctx := context.Background()
	repo, err := bigrepo.Build(ctx, filepath.Join(b.TempDir(), "platform"), bigrepo.ShopSets, bigrepo.Clusters, bigrepo.Shops)
	if err != nil {
		b.Fatal(err)
	}
	tokenFile := filepath.Join(b.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(testToken), 0o600); err != nil {
		b.Fatal(err)
	}
	url := "file://" + repo.Dir
	srv, err := generator.New(generator.Config{
		Repos: []string{url}, CacheDir: b.TempDir(), TokenFile: tokenFile,
		// The handler is measured, not Git: no ls-remote during the loop.
		RefCheckTTL: time.Hour, RefreshInterval: time.Hour,
	})
	if err != nil {
		b.Fatal(err)
	}
	srv.Refresh(ctx)
	if st := srv.Status(); st.Repositories[0].Views[0].ShopSets != bigrepo.ShopSets {
		b.Fatalf("the snapshot holds %d ShopSets, want %d: %+v", st.Repositories[0].Views[0].ShopSets, bigrepo.ShopSets, st)
	}
	return srv, url
}

// BenchmarkGetParams drives the handler in-process, without a network, with the requests
// an ApplicationSet sends: the whole list, one tier, and one tier on one cluster (what a
// per-cluster ApplicationSet asks). resp-bytes/op is the response size.
func BenchmarkGetParams(b *testing.B) {
	// The parent runs once; building the repository is the slow part.
	srv, url := benchServer(b)
	h := srv.Handler()
	for _, bc := range []struct {
		name, filters string
		params        int // parameter sets in the response
	}{
		{"all", ``, bigrepo.ShopSets},
		{"tier", `,"tier":"beta"`, bigrepo.ShopSets / len(bigrepo.Tiers)},
		{"tier+cluster", `,"tier":"dev","cluster":"cluster-07"`, bigrepo.ShopSets / len(bigrepo.Tiers) / bigrepo.Clusters},
	} {
		body := []byte(`{"applicationSetName":"shopsets","input":{"parameters":{"repoURL":"` + url + `"` + bc.filters + `}}}`)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var last *httptest.ResponseRecorder
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/getparams.execute", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+testToken)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				last = rec
			}
			if n := bytes.Count(last.Body.Bytes(), []byte(`"appName":`)); n != bc.params {
				b.Fatalf("%d parameter sets in the response, want %d", n, bc.params)
			}
			b.ReportMetric(float64(last.Body.Len()), "resp-bytes/op")
			b.ReportMetric(float64(bc.params), "params/op")
		})
	}
}
